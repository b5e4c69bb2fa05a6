/**
 * The sandbox: settings in, GPU runs and views out. This file holds the queue of calls, applies
 * settings changes with the least rebuilding, and drives playback; its parts (Playback,
 * Measurement, Clips, Recovery, Experiments, Datasets) do the rest. No DOM beyond its canvases.
 */
import { maxParticles } from '../gpu/device';
import type { ShaderSources } from '../gpu/kernel';
import type { ClassLabels } from '../maths/datasets';
import { levelAt } from '../maths/schedules';
import { classCount } from '../settings/classes';
import { MODEL_KEYS, QUIET_KEYS, STYLE_KEYS } from '../settings/keyGroups';
import type { Settings } from '../settings/settings';
import { applyPatch, emptyClassProblem } from '../settings/validate';
import type { SweepOptions, SweepResult } from '../sim/experiments/sweep';
import { Clips } from './clips';
import { checkUserData, Datasets } from './datasets';
import { Experiments, type SpeciationOptions } from './experiments';
import { Lane } from './lane';
import * as G from './generalisationExperiment';
import { Learning } from './learning';
import type { MemorisationOptions, MemorisationRow } from './memorisationExperiment';
import { Measurement } from './measurement';
import { Playback } from './playback';
import { Queue } from './queue';
import { Readings } from './readings';
import { Recovery } from './recovery';
import { SandboxState } from './state';
import { Views } from './views';
import type {
  SandboxEvents,
  SandboxStatus,
  SettingsPatch,
  Speciation,
  SweepRequest,
  UserData,
} from './types';

export type * from './types';

/** Steps per submit when running to the end, so the page stays responsive. */
const RUN_CHUNK = 32;
const STYLE_ENCODER: GPUCommandEncoderDescriptor = { label: 'style' };

export class Sandbox {
  private readonly state: SandboxState;
  private readonly queue = new Queue();
  private readonly data = new Datasets();
  readonly playback: Playback;
  readonly measurement: Measurement;
  readonly clips: Clips;
  private readonly recovery: Recovery;
  /** The experiments beside the runs; the guidance sweep is called here (guidanceSweep). */
  readonly experiments: Experiments;
  /** Reads of the runs for scripts and tests (positions, images, metrics...). */
  readonly read: Readings;
  /** The lanes' views: pan and zoom, picking, panels. */
  readonly views: Views;
  /** The learned denoiser's network and its training. */
  readonly learning: Learning;

  constructor(
    canvases: readonly [HTMLCanvasElement, HTMLCanvasElement],
    sources: ShaderSources,
    events: SandboxEvents = {},
  ) {
    const st = (this.state = new SandboxState(canvases, sources, events));
    this.learning = st.learning = new Learning(st);
    this.playback = new Playback(st);
    this.measurement = new Measurement(st);
    this.recovery = new Recovery(st, this.data, this.playback, () => {
      if (st.recording) this.clips.lostDuringClip = true;
      this.experiments.forgetDevice();
      this.learning.forgetDevice();
    });
    this.experiments = new Experiments(st, this.data, () => this.maxParticles, this.recovery);
    this.clips = new Clips(st, this.playback, this.queue, this.recovery);
    this.views = new Views(st);
    this.read = new Readings(st, this.queue, this.recovery, this.measurement);
  }

  /** Acquires the GPU and builds everything for `initial` settings (already validated). */
  async start(initial: Settings): Promise<void> {
    this.state.current = { ...initial };
    // Lost while starting: the rebuild it began is the start.
    if (await this.recovery.build()) await this.state.idle();
    else await this.state.settled();
  }

  settings(): Settings {
    return this.state.settings();
  }

  get maxParticles(): number {
    return this.state.gpu ? maxParticles(this.state.gpu.device) : Infinity;
  }

  get device(): GPUDevice | null {
    return this.state.gpu?.device ?? null;
  }

  get imageMode(): boolean {
    return this.state.imageMode;
  }

  /** The current run: a count that every new run or reset bumps (PhysicsSample.run). */
  get runId(): number {
    return this.state.generation;
  }

  get isPlaying(): boolean {
    return this.state.playing;
  }

  get isRecording(): boolean {
    return this.state.recording;
  }

  status(): SandboxStatus {
    return this.measurement.status();
  }

  /** A queued call that survives a loss of the device: see Queue and Recovery.survive. */
  private queued<T>(what: string, work: () => Promise<T>): Promise<T> {
    return this.queue.exclusive(() => this.recovery.survive(what, work));
  }

  /**
   * Validates and applies a patch over the settings as they are when its turn comes; rejects
   * with the reason and keeps the last good settings.
   */
  configure(patch: SettingsPatch): Promise<void> {
    return this.queued('configure()', () =>
      this.configureNow(typeof patch === 'function' ? patch(this.state.current) : patch),
    );
  }

  private async configureNow(
    patch: Readonly<Partial<Settings>> | Readonly<Record<string, unknown>>,
  ): Promise<void> {
    const st = this.state;
    await st.settled();
    st.refuseWhileRecording();
    const result = applyPatch(st.current, patch, { maxParticles: this.maxParticles });
    if (!result.ok) throw new Error(result.error);
    if (result.changed.length === 0) return;
    const missing = this.data.missing(result.settings);
    if (missing) throw new Error(missing);
    const previous = st.current;
    st.current = result.settings;
    const epoch = st.epoch;
    try {
      await this.apply(result.changed);
    } catch (e) {
      // Lost meanwhile: the rebuild has taken these settings, and nothing is left to undo.
      if (epoch !== st.epoch) throw e;
      st.current = previous;
      await this.apply(result.changed).catch(() => undefined);
      throw e;
    }
    st.events.settings?.(this.settings(), result.changed);
  }

  /** Makes `points` (checked and scaled), with their labels if any, the 'custom' dataset. */
  setCustomPoints(points: Float32Array, labels: ClassLabels | null = null): Promise<void> {
    return this.useData(() => Promise.resolve({ points, labels }), 'loadPoints()');
  }

  /** Adds the user's images (32x32 RGB each, flat) to the 'images' dataset, or replaces it. */
  addImages(images: Float32Array, replace = false): Promise<void> {
    return this.useData(() => Promise.resolve({ images, replace }), 'loadImages()');
  }

  /**
   * Switches to data that `make` gives from the settings as they are when this call's turn
   * comes (files are decoded in the queue, so a call made after this one waits for them).
   */
  useData(
    make: (current: Readonly<Settings>) => Promise<UserData>,
    what = 'loadPoints()',
  ): Promise<void> {
    return this.queued(what, async () => {
      const st = this.state;
      st.refuseWhileRecording();
      const data = await make(st.current);
      checkUserData(data);
      if ('points' in data) await this.switchData('custom', data.points, data.labels ?? null);
      else
        await this.switchData('images', this.data.withImages(data.images, data.replace ?? false));
    });
  }

  /** New user data of `kind` (and labels) switched to; a class it has not goes back to all. */
  private async switchData(
    kind: 'custom' | 'images',
    value: Float32Array,
    labels: ClassLabels | null = null,
  ): Promise<void> {
    const st = this.state;
    const before = [this.data[kind], this.data.labels, st.current] as const;
    this.data[kind] = value;
    if (kind === 'custom') this.data.labels = labels;
    const epoch = st.epoch;
    try {
      if (st.current.dataset !== kind) return await this.configureNow({ dataset: kind });
      const keep = st.current.class < classCount(kind);
      if (!keep) st.current = { ...st.current, class: -1 };
      const changed: (keyof Settings)[] = keep ? ['dataset'] : ['dataset', 'class'];
      await this.apply(changed);
      st.events.settings?.(this.settings(), changed);
    } catch (e) {
      if (epoch === st.epoch) [this.data[kind], this.data.labels, st.current] = before;
      throw e;
    }
  }

  /** Custom points kept from an earlier visit, before start(). */
  restoreCustomPoints(points: Float32Array, labels: ClassLabels | null): void {
    [this.data.custom, this.data.labels] = [points, labels];
  }

  customPoints(): Float32Array | null {
    return this.data.custom;
  }

  play(): void {
    this.playback.play();
  }

  pause(): void {
    this.state.playing = false;
  }

  /** Back to the start of the runs (same seed: same initial noise). */
  reset(): Promise<void> {
    return this.queued('reset()', async () => {
      this.state.refuseWhileRecording();
      this.playback.restart();
      await this.state.idle();
    });
  }

  /** k steps (default 1) of the first run, the second following by t; pauses playback. */
  step(k = 1): Promise<void> {
    return this.queued('step()', async () => {
      this.state.refuseWhileRecording();
      this.state.playing = false;
      this.playback.submitSteps(k);
      await this.state.idle();
    });
  }

  /** To the end of the process. Pauses playback. */
  run(): Promise<void> {
    return this.queued('run()', async () => {
      const st = this.state;
      st.refuseWhileRecording();
      st.playing = false;
      const generation = st.generation;
      while (!st.lanes.every((l) => l.done) && generation === st.generation) {
        this.playback.submitSteps(RUN_CHUNK);
        await st.idle();
      }
    });
  }

  /** Forward mode: jumps the particles to any t in [0, 1] in closed form. */
  scrub(t: number): Promise<void> {
    return this.queue.exclusive(async () => {
      const st = this.state;
      if (st.current.mode !== 'forward') throw new Error("scrubbing t needs mode 'forward'");
      return this.recovery.survive('scrub()', async () => {
        st.refuseWhileRecording();
        st.playing = false;
        this.playback.holdHere();
        const device = st.requireGpu().device;
        const encoder = device.createCommandEncoder({ label: 'scrub' });
        st.lanes.forEach((lane, i) => {
          const settings = st.laneSettings(i);
          lane.sim.scrub(encoder, levelAt(settings.schedule, settings, t));
          lane.afterSteps(encoder);
        });
        device.queue.submit([encoder.finish()]);
        await st.idle();
      });
    });
  }

  sweep(request: SweepRequest, options: SweepOptions = {}): Promise<SweepResult> {
    return this.recovery.survive('sweep()', () => this.experiments.sweep(request, options));
  }

  speciation(options: SpeciationOptions = {}): Promise<Speciation> {
    return this.recovery.survive('speciation()', () => this.experiments.speciation(options));
  }

  /** The learned denoiser's calls (src/sandbox/learning.ts), each in the queue. */
  train(options: { steps: number; batch?: number; lr?: number }): Promise<Float32Array> {
    const configure = (p: Partial<Settings>): Promise<void> => this.configureNow(p);
    return this.queued('train()', () => this.learning.trainNow(options, configure));
  }

  saveModel(): Promise<ArrayBuffer> {
    return this.queued('saveModel()', () =>
      this.learning.prepare(true).then(() => this.learning.save()),
    );
  }

  loadModel(bytes: ArrayBuffer): Promise<void> {
    const configure = (p: Partial<Settings>): Promise<void> => this.configureNow(p);
    return this.queued('loadModel()', () => this.learning.load(bytes, configure));
  }

  /** Memorisation against M and training time, with fresh networks (not in the queue: long). */
  memorisationVsM(options: Partial<MemorisationOptions> = {}): Promise<MemorisationRow[]> {
    return this.recovery.survive('memorisationVsM()', () => this.learning.experiment(options));
  }

  /** Generalisation against N on images: two U-Nets on disjoint halves (not queued: long). */
  generalisationVsN(options: Partial<G.GeneralisationOptions> = {}) {
    const run = () => G.generalisationExperiment(this.state, this.data, options);
    return this.recovery.survive('generalisationVsN()', run);
  }

  resetModel(): Promise<void> {
    return this.queued('resetModel()', () =>
      this.learning.prepare(true).then(() => this.learning.reset()),
    );
  }

  /** For tests and the curious: loses the device as a driver crash would. */
  loseDevice(): void {
    this.recovery.loseDevice();
  }

  /** Applies changed keys with the least work: restyle, new data, new particles, new runs. */
  private async apply(changed: readonly (keyof Settings)[]): Promise<void> {
    const st = this.state;
    const device = st.requireGpu().device;
    const s = st.current;
    const has = (...keys: (keyof Settings)[]): boolean => keys.some((k) => changed.includes(k));
    if (changed.some((k) => STYLE_KEYS.has(k))) {
      await Promise.all(st.lanes.map((lane) => lane.prepareStyle(s)));
      const encoder = device.createCommandEncoder(STYLE_ENCODER);
      for (const lane of st.lanes) {
        lane.setStyle(s);
        lane.refreshField(encoder);
      }
      device.queue.submit([encoder.finish()]);
    }
    const learning = (k: keyof Settings): boolean => MODEL_KEYS.has(k) || k === 'training';
    if (changed.some(learning)) await this.prepareLearning(device);
    if (changed.every((k) => STYLE_KEYS.has(k) || QUIET_KEYS.has(k) || MODEL_KEYS.has(k))) return;
    const dataset = has('dataset', 'm', 'seed') ? await this.data.make(s) : st.dataset!;
    const empty = emptyClassProblem(s, dataset);
    if (empty) throw new Error(empty);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    if (has('compare')) await this.setLaneCount(s.compare ? 2 : 1);
    if (has('dataset', 'm', 'seed')) {
      st.dataset = dataset;
      for (const lane of st.lanes) lane.setData(dataset);
    }
    if (has('n')) for (const lane of st.lanes) lane.setParticles(s.n);
    if (has('dataset', 'm', 'seed', 'n') && !st.imageMode)
      await st.meter?.setData(s.n, st.dataset!.points);
    await this.learning.prepare();
    await Promise.all(st.lanes.map((l, i) => l.prepareRun(st.laneSettings(i))));
    this.playback.startRuns();
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const error = oom ?? invalid;
    if (error) throw new Error(`the GPU could not hold this (${error.message})`);
  }

  /** The network made or rebuilt for new model settings, any error a clear message. */
  private async prepareLearning(device: GPUDevice): Promise<void> {
    device.pushErrorScope('out-of-memory');
    await this.learning.prepare();
    const oom = await device.popErrorScope();
    if (oom) throw new Error(`the GPU could not hold this network (${oom.message})`);
  }

  /** Adds or removes the second lane, built like the first. */
  private async setLaneCount(count: 1 | 2): Promise<void> {
    const st = this.state;
    if (count === 1) {
      st.lanes.splice(1).forEach((l) => l.destroy());
      return;
    }
    if (st.lanes.length === 2) return;
    const lane = await Lane.create(st.requireGpu().device, st.sources, st.canvases[1], st.lanes[0]);
    lane.setData(st.dataset!);
    lane.setParticles(st.current.n);
    await lane.prepareStyle(st.current);
    lane.setStyle(st.current);
    st.lanes.push(lane);
  }
}
