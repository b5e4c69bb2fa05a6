/**
 * The sandbox: settings in, GPU run and view out. Owns the device, the simulation and the view,
 * applies settings changes with the least rebuilding, plays the run frame by frame, recovers from
 * a lost device, and is the scripting API's implementation. It holds no DOM beyond its canvas.
 */
import { acquireGpu, maxParticles, type Gpu } from './gpu/device';
import type { ShaderSources } from './gpu/kernel';
import { generateDataset, subsamplePoints, type Dataset } from './maths/datasets';
import { forwardLevels, levelAt, reverseLevels } from './maths/schedules';
import { ParticleView } from './render/particleView';
import { applyPatch, DEFAULTS, type Settings } from './settings';
import { Simulation, type RunStatus } from './sim/simulation';

export type MessageLevel = 'info' | 'warning' | 'error';

export interface SandboxEvents {
  /** Settings changed (after validation), with the keys that changed. */
  settings?: (settings: Readonly<Settings>, changed: readonly (keyof Settings)[]) => void;
  /** Something to tell the user. */
  message?: (text: string, level: MessageLevel) => void;
  /** After each rendered frame. */
  frame?: () => void;
}

export interface FrameStats {
  fps: number;
  playing: boolean;
}

/** Settings that only change how the run is drawn or paced. */
const STYLE_KEYS = new Set<keyof Settings>(['pointSize', 'brightness', 'showData']);
const PACE_KEYS = new Set<keyof Settings>(['speed', 'loop']);
/** Frames to hold the finished state before a looping run restarts. */
const LOOP_HOLD_FRAMES = 75;
const STEPS_ENCODER: GPUCommandEncoderDescriptor = { label: 'steps' };
const RESET_ENCODER: GPUCommandEncoderDescriptor = { label: 'reset' };

/** Steps per submit when running to the end, so the page stays responsive. */
const RUN_CHUNK = 32;

export class Sandbox {
  private current: Settings = { ...DEFAULTS };
  private gpu: Gpu | null = null;
  private sim: Simulation | null = null;
  private view: ParticleView | null = null;
  private dataset: Dataset | null = null;
  private custom: Float32Array | null = null;
  private playing = false;
  private accumulator = 0;
  private hold = 0;
  private fps = 0;
  private lastFrame = 0;
  private rebuilding: Promise<void> | null = null;
  /** Reused so that submitting a frame's steps allocates no array. */
  private readonly submission: GPUCommandBuffer[] = [];
  /** Bumped whenever the run restarts, so a running run() knows to stop. */
  private generation = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly sources: ShaderSources,
    private readonly events: SandboxEvents = {},
  ) {}

  /** Acquires the GPU and builds everything for `initial` settings (already validated). */
  async start(initial: Settings): Promise<void> {
    this.current = { ...initial };
    await this.build();
  }

  settings(): Settings {
    return { ...this.current };
  }

  get maxParticles(): number {
    return this.gpu ? maxParticles(this.gpu.device) : Infinity;
  }

  get device(): GPUDevice | null {
    return this.gpu?.device ?? null;
  }

  get adapterDescription(): string {
    return this.gpu?.description ?? '';
  }

  /** Validates and applies a patch; rejects with the reason and keeps the last good settings. */
  async configure(
    patch: Readonly<Partial<Settings>> | Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.rebuilding;
    const result = applyPatch(this.current, patch, { maxParticles: this.maxParticles });
    if (!result.ok) throw new Error(result.error);
    if (result.changed.length === 0) return;
    if (result.settings.dataset === 'custom' && !this.custom) {
      throw new Error('no custom points yet: draw on the canvas or load a CSV or JSON file');
    }
    const previous = this.current;
    this.current = result.settings;
    try {
      await this.apply(previous, result.changed);
    } catch (e) {
      this.current = previous;
      await this.apply(result.settings, result.changed).catch(() => undefined);
      throw e;
    }
    this.events.settings?.(this.settings(), result.changed);
  }

  /**
   * Makes `points` (x, y interleaved, already checked and scaled) the 'custom' dataset and
   * switches to it.
   */
  async setCustomPoints(points: Float32Array): Promise<void> {
    if (points.length < 2) throw new Error('no points to use');
    const previous = this.custom;
    this.custom = points;
    try {
      if (this.current.dataset === 'custom') {
        await this.apply(this.current, ['dataset']);
        this.events.settings?.(this.settings(), ['dataset']);
      } else {
        await this.configure({ dataset: 'custom' });
      }
    } catch (e) {
      this.custom = previous;
      throw e;
    }
  }

  /** Custom points kept from an earlier visit, before start(). */
  restoreCustomPoints(points: Float32Array): void {
    this.custom = points;
  }

  customPoints(): Float32Array | null {
    return this.custom;
  }

  status(): RunStatus {
    return this.sim?.status() ?? { t: 0, step: 0, steps: this.current.steps, nfe: 0 };
  }

  frameStats(): FrameStats {
    return { fps: this.fps, playing: this.playing };
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  play(): void {
    if (this.sim?.done) this.restart();
    this.playing = true;
  }

  pause(): void {
    this.playing = false;
  }

  /** Back to the start of the run (same seed: same initial noise). */
  async reset(): Promise<void> {
    await this.rebuilding;
    this.restart();
    await this.idle();
  }

  /** k steps (default 1), then resolves when the GPU has done them. Pauses playback. */
  async step(k = 1): Promise<void> {
    if (!Number.isInteger(k) || k < 1)
      throw new Error(`step(k) needs a positive integer, not ${k}`);
    await this.rebuilding;
    this.playing = false;
    this.submitSteps(k);
    await this.idle();
  }

  /** To the end of the process. Pauses playback. */
  async run(): Promise<void> {
    await this.rebuilding;
    this.playing = false;
    const generation = this.generation;
    while (this.sim && !this.sim.done && generation === this.generation) {
      this.submitSteps(RUN_CHUNK);
      await this.idle();
    }
  }

  /** Forward mode: jumps the particles to any t in [0, 1] in closed form. */
  async scrub(t: number): Promise<void> {
    if (!(t >= 0 && t <= 1)) throw new Error(`t must be in [0, 1], not ${t}`);
    if (this.current.mode !== 'forward') throw new Error("scrubbing t needs mode 'forward'");
    await this.rebuilding;
    const sim = this.requireSim();
    this.playing = false;
    this.hold = 0;
    const encoder = sim.device.createCommandEncoder({ label: 'scrub' });
    sim.scrub(encoder, levelAt(this.current.schedule, this.current, t));
    sim.device.queue.submit([encoder.finish()]);
    await this.idle();
  }

  async positions(): Promise<Float32Array> {
    await this.rebuilding;
    return this.requireSim().positions();
  }

  async data(): Promise<Float32Array> {
    await this.rebuilding;
    return this.requireSim().readBuffer('data');
  }

  /** For tests and the curious: loses the device as a driver crash would. */
  loseDevice(): void {
    this.gpu?.device.destroy();
  }

  /** The world point under a client position (for drawing). */
  toWorld(clientX: number, clientY: number): [number, number] {
    return this.view?.toWorld(clientX, clientY) ?? [0, 0];
  }

  resize(): void {
    this.view?.resize();
  }

  resetView(): void {
    this.view?.resetView();
  }

  setPanZoom(enabled: boolean): void {
    if (this.view) this.view.controls.enabled = enabled;
  }

  /** One animation frame: steps if playing, then draws. Never reads the GPU back. */
  frame(now: number): void {
    if (this.lastFrame) {
      const dt = Math.max(1e-3, (now - this.lastFrame) / 1000);
      this.fps = this.fps ? 0.95 * this.fps + 0.05 / dt : 1 / dt;
    }
    this.lastFrame = now;
    if (!this.sim || !this.view || this.rebuilding) return;
    if (this.playing) this.advance();
    this.view.render();
    this.events.frame?.();
  }

  private advance(): void {
    const sim = this.sim!;
    if (sim.done) {
      if (!this.current.loop) {
        this.playing = false;
      } else if (++this.hold >= LOOP_HOLD_FRAMES) {
        this.restart();
      }
      return;
    }
    this.accumulator += this.current.speed;
    const k = Math.floor(this.accumulator);
    if (k < 1) return;
    this.accumulator -= k;
    this.submitSteps(k);
  }

  private submitSteps(k: number): void {
    const sim = this.requireSim();
    const encoder = sim.device.createCommandEncoder(STEPS_ENCODER);
    sim.encodeSteps(encoder, k);
    this.submission[0] = encoder.finish();
    sim.device.queue.submit(this.submission);
  }

  private restart(): void {
    const sim = this.requireSim();
    this.generation++;
    this.hold = 0;
    this.accumulator = 0;
    const encoder = sim.device.createCommandEncoder(RESET_ENCODER);
    sim.reset(encoder);
    sim.device.queue.submit([encoder.finish()]);
  }

  private async idle(): Promise<void> {
    await this.sim?.device.queue.onSubmittedWorkDone();
  }

  private requireSim(): Simulation {
    if (!this.sim) throw new Error('the sandbox is not running');
    return this.sim;
  }

  private makeDataset(): Dataset {
    const s = this.current;
    if (s.dataset === 'custom') {
      if (!this.custom) throw new Error('no custom points');
      return { id: 'custom', points: subsamplePoints(this.custom, s.m, s.seed), mixture: null };
    }
    return generateDataset(s.dataset, s.m, s.seed);
  }

  private levels() {
    const s = this.current;
    return s.mode === 'reverse'
      ? reverseLevels(s.schedule, s, s.steps)
      : forwardLevels(s.schedule, s, s.steps);
  }

  /** Applies changed keys with the least work: restyle, new data, new particles, new run. */
  private async apply(previous: Settings, changed: readonly (keyof Settings)[]): Promise<void> {
    const sim = this.requireSim();
    const view = this.view!;
    const s = this.current;
    const has = (...keys: (keyof Settings)[]): boolean => keys.some((k) => changed.includes(k));
    if (changed.some((k) => STYLE_KEYS.has(k))) view.setStyle(s);
    if (changed.every((k) => STYLE_KEYS.has(k) || PACE_KEYS.has(k))) return;
    const device = sim.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    if (has('dataset', 'm', 'seed')) {
      this.dataset = this.makeDataset();
      sim.setData(this.dataset);
      view.setData(sim.data, this.dataset.points.length / 2);
    }
    if (has('n')) {
      sim.setParticles(s.n);
      view.setParticles(sim.x, s.n);
    }
    this.startRun();
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const error = oom ?? invalid;
    if (error) {
      throw new Error(
        `the GPU could not hold this (${error.message}); kept ${previous.n.toLocaleString('en')} particles`,
      );
    }
  }

  private startRun(): void {
    const sim = this.requireSim();
    const s = this.current;
    sim.setRun({
      mode: s.mode,
      sampler: s.sampler,
      denoiser: s.denoiser,
      levels: this.levels(),
      eta: s.eta,
      seed: s.seed,
    });
    this.restart();
  }

  private async build(): Promise<void> {
    const gpu = await acquireGpu({ onLost: (info) => void this.recover(info) });
    try {
      const sim = await Simulation.create(gpu.device, this.sources);
      const view = await ParticleView.create(this.canvas, gpu.device);
      const s = this.current;
      if (s.n > maxParticles(gpu.device)) {
        this.current = { ...s, n: Math.min(DEFAULTS.n, maxParticles(gpu.device)) };
        this.events.message?.(
          `${s.n} particles do not fit this GPU: using ${this.current.n}`,
          'warning',
        );
      }
      if (s.dataset === 'custom' && !this.custom) {
        this.current = { ...this.current, dataset: DEFAULTS.dataset };
        this.events.message?.(
          'the custom points are not available here: showing the default dataset',
          'warning',
        );
      }
      this.dataset = this.makeDataset();
      sim.setData(this.dataset);
      sim.setParticles(this.current.n);
      view.setData(sim.data, this.dataset.points.length / 2);
      view.setParticles(sim.x, this.current.n);
      view.setStyle(this.current);
      this.gpu = gpu;
      this.sim = sim;
      this.view = view;
      this.startRun();
      await this.idle();
    } catch (e) {
      gpu.release();
      throw e;
    }
  }

  /** A lost device: report it and rebuild everything from the same settings. */
  private async recover(info: GPUDeviceLostInfo): Promise<void> {
    const wasPlaying = this.playing;
    this.events.message?.(
      `The GPU device was lost (${info.message || info.reason}). Rebuilding with the same settings…`,
      'warning',
    );
    const old = { sim: this.sim, view: this.view };
    this.sim = null;
    this.view = null;
    this.gpu = null;
    this.rebuilding = (async () => {
      try {
        old.sim?.destroy();
        old.view?.dispose();
      } catch {
        // The old device is gone; its objects may refuse to be cleaned up.
      }
      await this.build();
      this.playing = wasPlaying;
      this.events.message?.('Rebuilt on a new GPU device.', 'info');
      this.events.settings?.(this.settings(), []);
    })();
    try {
      await this.rebuilding;
    } catch (e) {
      this.events.message?.(`Could not rebuild after losing the GPU: ${String(e)}`, 'error');
    } finally {
      this.rebuilding = null;
    }
  }
}
