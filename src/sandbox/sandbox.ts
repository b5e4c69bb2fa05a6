/**
 * The sandbox: settings in, GPU runs and views out. Owns the device and its lanes (one run and
 * its view, or two side by side in compare mode), applies settings changes with the least
 * rebuilding, plays the runs frame by frame in lockstep by t, measures their distance to the
 * data, recovers from a lost device, and implements the scripting API. It holds no DOM beyond
 * its canvases.
 */
import { acquireGpu, maxParticles, type Gpu } from '../gpu/device';
import type { ShaderSources } from '../gpu/kernel';
import { describeRun, divergenceAdvice, Lane, runSpec, type ImagePanelRect } from './lane';
import { targetMarginals, type MarginalDensities } from '../maths/observables';
import { theorySpeciationT } from '../maths/speciation';
import type { MetricsSample } from '../sim/observe/metrics';
import {
  Cloner,
  continuation,
  speciationCurve,
  type CurveOptions,
  type SpeciationPoint,
} from '../sim/experiments/speciation';
import { clipOptions, clipProblem, type ClipOptions } from '../record/clip';
import { arrayOf, check, number, optional } from '../settings/schema';
import { drawCaption, drawInset } from '../record/overlays';
import {
  recordClip,
  snapshot,
  type ClipSource,
  type RecordHooks,
  type Recording,
} from '../record/recorder';
import type { RecResolution } from '../settings/settings';
import { generateDataset, subsamplePoints, type Dataset } from '../maths/datasets';
import { isImageDataset } from '../maths/imageDatasets';
import type { Memorisation } from '../maths/memorisation';
import { makeImageDataset } from '../io/imageData';
import { levelAt } from '../maths/schedules';
import {
  applyPatch,
  compareSettings,
  DEFAULTS,
  IMAGE_M_MAX,
  type Settings,
} from '../settings/settings';
import type { RunStatus } from '../sim/run/simulation';
import { DistanceMeter, type Distance } from '../sim/distance/distanceMeter';
import {
  runSweep,
  type SweepOptions,
  type SweepResult,
  type SweepSpec,
} from '../sim/experiments/sweep';

/** A sweep: samplers, schedules and NFE values, plus any settings keys (dataset, n, seed...). */
export type SweepRequest = SweepSpec & Partial<Settings>;

export type MessageLevel = 'info' | 'warning' | 'error';

/** A settings patch, or one made from the settings as they are when its turn comes. */
export type SettingsPatch =
  | Readonly<Partial<Settings>>
  | Readonly<Record<string, unknown>>
  | ((current: Readonly<Settings>) => Readonly<Partial<Settings>>);

/** New data for the runs: the user's points ('custom'), or images added to (or replacing) 'images'. */
export type UserData = { points: Float32Array } | { images: Float32Array; replace?: boolean };

export interface SandboxEvents {
  /** Settings changed (after validation), with the keys that changed. */
  settings?: (settings: Readonly<Settings>, changed: readonly (keyof Settings)[]) => void;
  /** Something to tell the user. */
  message?: (text: string, level: MessageLevel) => void;
  /** After each rendered frame. */
  frame?: () => void;
}

export interface SandboxStatus extends RunStatus {
  /**
   * Sliced Wasserstein-2 distance to the data of the particles as they are now: null until it
   * has been measured at this step of this run (a few times a second, or distances()).
   */
  distance: number | null;
  /** The second run in compare mode. */
  compare: (RunStatus & { distance: number | null }) | null;
}

/** A lane's observables with where its run was when they were measured. */
export interface PhysicsSample extends MetricsSample {
  t: number;
  step: number;
  /** The run measured: a count that every new run or reset bumps. */
  run: number;
  /** Sliced Wasserstein-2 to the data of the same particles (NaN: not measured at this step). */
  distance: number;
}

/** The particles' marginal densities and the target's on the same bins. */
export interface MarginalsView {
  particles: MarginalDensities;
  target: MarginalDensities;
}

/** The outcome of cloning: the points measured and what they mean. */
export interface Speciation {
  points: SpeciationPoint[];
  /** P(same mode) of two independent samples. */
  chance: number;
  /** Biroli & Mezard's speciation time on this schedule's t, when the data allows. */
  theory: number | null;
  /** Set when the clones continue with another sampler than the run's. */
  note: string | null;
}

/** Settings that only change how the runs are drawn or paced, or what the page shows. */
const STYLE_KEYS = new Set<keyof Settings>([
  'pointSize',
  'brightness',
  'showData',
  'view',
  'landscape',
  'arrows',
  'trails',
  'trailParticles',
  'showX0hat',
  'showNearest',
  'follow',
]);
const QUIET_KEYS = new Set<keyof Settings>([
  'speed',
  'loop',
  'hide',
  'sweepSamplers',
  'sweepSchedules',
  'sweepNfe',
  'sweepN',
  'observables',
  'marginals',
]);
/** Frames to hold the finished state before a looping run restarts. */
const LOOP_HOLD_FRAMES = 75;
/** Steps per submit when running to the end, so the page stays responsive. */
const RUN_CHUNK = 32;

/** What survive's wait gets when the device is lost first. */
const LOST = Symbol('lost');
const STEPS_ENCODER: GPUCommandEncoderDescriptor = { label: 'steps' };
const RESET_ENCODER: GPUCommandEncoderDescriptor = { label: 'reset' };
const STYLE_ENCODER: GPUCommandEncoderDescriptor = { label: 'style' };
const METRICS_ENCODER: GPUCommandEncoderDescriptor = { label: 'metrics' };

export class Sandbox {
  private current: Settings = { ...DEFAULTS };
  private gpu: Gpu | null = null;
  private lanes: Lane[] = [];
  private dataset: Dataset | null = null;
  private custom: Float32Array | null = null;
  /** The user's own images (dataset 'images'): 32x32 RGB, flat. */
  private userImages: Float32Array | null = null;
  private meter: DistanceMeter | null = null;
  private playing = false;
  private accumulator = 0;
  private hold = 0;
  private fps = 0;
  private lastFrame = 0;
  /** Set from a loss until the newest rebuild has ended (see settled). */
  private rebuilding: Promise<void> | null = null;
  private rebuilt: (() => void) | null = null;
  /** Bumped by every loss: a build or a call begun before it is stale and must not go on. */
  private epoch = 0;
  /** The device a rebuild is building on, before it is the sandbox's: it can be lost too. */
  private building: Gpu | null = null;
  /** loseDevice() while no device was held: the next one is lost as soon as it comes. */
  private loseNext = false;
  /** Whether the runs were playing when the first of a series of losses came. */
  private wasPlaying = false;
  /** Reused so that submitting a frame's steps allocates no array. */
  private readonly submission: GPUCommandBuffer[] = [];
  /** Set while a clip is being recorded: the recorder drives the runs, nothing else may. */
  private recording = false;
  private lostDuringClip = false;
  /** Bumped whenever the runs restart, so a running run() knows to stop. */
  private generation = 0;
  /** The run whose divergence was reported (reported once per run). */
  private diverged = -1;
  private cloner: Cloner | null = null;
  /** The last call that may change the runs: the next waits for it (see exclusive). */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly canvases: readonly [HTMLCanvasElement, HTMLCanvasElement],
    private readonly sources: ShaderSources,
    private readonly events: SandboxEvents = {},
  ) {}

  /** Acquires the GPU and builds everything for `initial` settings (already validated). */
  async start(initial: Settings): Promise<void> {
    this.current = { ...initial };
    // Lost while starting: the rebuild it began is the start.
    if (await this.build()) await this.idle();
    else await this.settled();
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

  /**
   * Validates and applies a patch over the settings as they are when its turn comes; rejects
   * with the reason and keeps the last good settings.
   */
  configure(patch: SettingsPatch): Promise<void> {
    return this.exclusive(() =>
      this.survive('configure()', () =>
        this.configureNow(typeof patch === 'function' ? patch(this.current) : patch),
      ),
    );
  }

  /**
   * Runs `work` after every call asked before it has finished, and before any asked after it:
   * configure, data, reset, step, run, scrub and the start of a recording take effect in the
   * order they were called, whoever calls (the GUI, the URL, a script). Joins synchronously.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.serial.then(work, work);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async configureNow(
    patch: Readonly<Partial<Settings>> | Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.settled();
    this.refuseWhileRecording();
    const result = applyPatch(this.current, patch, { maxParticles: this.maxParticles });
    if (!result.ok) throw new Error(result.error);
    if (result.changed.length === 0) return;
    if (result.settings.dataset === 'custom' && !this.custom) {
      throw new Error('no custom points yet: draw on the canvas or load a CSV or JSON file');
    }
    if (result.settings.dataset === 'images' && !this.userImages) {
      throw new Error('no images of your own yet: drop PNG or JPEG files on the page');
    }
    const previous = this.current;
    this.current = result.settings;
    const epoch = this.epoch;
    try {
      await this.apply(result.changed);
    } catch (e) {
      // Lost meanwhile: the rebuild has taken these settings, and nothing is left to undo.
      if (epoch !== this.epoch) throw e;
      this.current = previous;
      await this.apply(result.changed).catch(() => undefined);
      throw e;
    }
    this.events.settings?.(this.settings(), result.changed);
  }

  /** Makes `points` (checked and scaled) the 'custom' dataset and switches to it. */
  setCustomPoints(points: Float32Array): Promise<void> {
    return this.useData(() => Promise.resolve({ points }), 'loadPoints()');
  }

  /**
   * Switches to data that `make` gives from the settings as they are when this call's turn
   * comes (files are decoded in the queue, so a call made after this one waits for them).
   */
  useData(
    make: (current: Readonly<Settings>) => Promise<UserData>,
    what = 'loadPoints()',
  ): Promise<void> {
    return this.exclusive(() =>
      this.survive(what, async () => {
        this.refuseWhileRecording();
        const data = await make(this.current);
        if ('points' in data) await this.setCustomPointsNow(data.points);
        else await this.addImagesNow(data.images, data.replace ?? false);
      }),
    );
  }

  private async setCustomPointsNow(points: Float32Array): Promise<void> {
    this.refuseWhileRecording();
    if (points.length < 2) throw new Error('no points to use');
    // Whatever made them (a file, a script, a drawing, an image), a dataset is finite.
    if (!points.every(Number.isFinite))
      throw new Error('the points hold a value that is not finite');
    const previous = this.custom;
    this.custom = points;
    const epoch = this.epoch;
    try {
      if (this.current.dataset === 'custom') {
        await this.apply(['dataset']);
        this.events.settings?.(this.settings(), ['dataset']);
      } else {
        await this.configureNow({ dataset: 'custom' });
      }
    } catch (e) {
      if (epoch === this.epoch) this.custom = previous;
      throw e;
    }
  }

  /**
   * Adds the user's images (32x32 RGB each, flat, in the pixel convention) to the 'images'
   * dataset, or replaces it, and switches to it.
   */
  addImages(images: Float32Array, replace = false): Promise<void> {
    return this.useData(() => Promise.resolve({ images, replace }), 'loadImages()');
  }

  private async addImagesNow(images: Float32Array, replace: boolean): Promise<void> {
    this.refuseWhileRecording();
    if (images.length === 0) throw new Error('no images to use');
    const previous = this.userImages;
    const kept = replace || !previous ? new Float32Array(0) : previous;
    const next = new Float32Array(kept.length + images.length);
    next.set(kept);
    next.set(images, kept.length);
    this.userImages = next;
    const epoch = this.epoch;
    try {
      if (this.current.dataset === 'images') {
        await this.apply(['dataset']);
        this.events.settings?.(this.settings(), ['dataset']);
      } else {
        await this.configureNow({ dataset: 'images' });
      }
    } catch (e) {
      if (epoch === this.epoch) this.userImages = previous;
      throw e;
    }
  }

  /** Whether the runs are of images (an image dataset) rather than points. */
  get imageMode(): boolean {
    return this.lanes[0]?.imageMode ?? isImageDataset(this.current.dataset);
  }

  /** The batch of images of the first run, n x d floats (a readback). */
  async images(): Promise<Float32Array> {
    return this.survive('images()', async () => {
      if (!this.imageMode)
        throw new Error(
          `images() needs an image dataset (mnist, shapes, colour, images), not ${this.current.dataset}`,
        );
      return this.requireLane().sim.positions();
    });
  }

  /**
   * The memorisation of each lane's batch (image datasets; [] otherwise): its nearest training
   * images recorded on the GPU for the panel, a few bytes per image read back (not on the frame
   * path: the caller throttles it), with where the run is.
   */
  async measureImages(): Promise<
    ((Memorisation & { t: number; step: number; run: number }) | null)[]
  > {
    if (!this.gpu || !this.imageMode || this.rebuilding) return [];
    const lanes = [...this.lanes];
    const run = this.generation;
    const statuses = lanes.map((l) => l.status());
    const reads = await Promise.all(lanes.map((l) => l.measureImages().catch(() => null)));
    return reads.map((r, i) =>
      r ? { ...r, t: statuses[i]!.t, step: statuses[i]!.step, run } : null,
    );
  }

  /** The first lane's memorisation for the API: measured once any rebuild has ended. */
  memorisation(): Promise<Awaited<ReturnType<Sandbox['measureImages']>>[number]> {
    return this.survive('memorisation()', async () => (await this.measureImages())[0] ?? null);
  }

  /** measureDistances for the API: measured once any rebuild has ended. */
  distances(): Promise<(number | null)[]> {
    return this.survive('distances()', () => this.measureDistances());
  }

  /** The current run: a count that every new run or reset bumps (PhysicsSample.run). */
  get runId(): number {
    return this.generation;
  }

  /** Where the image panels of lane i are, for their labels (null: not images). */
  imagePanels(lane = 0): ImagePanelRect[] | null {
    return this.lanes[lane]?.imagePanels() ?? null;
  }

  /** The image under a client point of lane i's canvas, or null. */
  pickImage(clientX: number, clientY: number, lane = 0): number | null {
    const canvas = this.canvases[lane];
    if (!canvas) return null;
    return this.lanes[lane]?.pickImage(clientX, clientY, canvas.getBoundingClientRect()) ?? null;
  }

  /** Custom points kept from an earlier visit, before start(). */
  restoreCustomPoints(points: Float32Array): void {
    this.custom = points;
  }

  customPoints(): Float32Array | null {
    return this.custom;
  }

  status(): SandboxStatus {
    const [a, b] = this.lanes;
    const base = a?.status() ?? { t: 0, step: 0, steps: this.current.steps, nfe: 0 };
    return {
      ...base,
      distance: this.currentDistance(0),
      compare: b ? { ...b.status(), distance: this.currentDistance(1) } : null,
    };
  }

  /** Lane i's distance to the data if it was measured of the particles as they are now. */
  private currentDistance(i: number): number | null {
    const d = this.lastDistances()[i];
    return d && d.step === this.lanes[i]?.status().step ? d.distance : null;
  }

  /** Each lane's last measured distance in this run (since its last reset), with its step and t. */
  lastDistances(): (Distance | null)[] {
    return (this.meter?.values ?? []).map((d) => (d?.run === this.generation ? d : null));
  }

  get fpsEstimate(): number {
    return this.fps;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  play(): void {
    if (this.lanes.every((l) => l.done)) this.restart();
    this.playing = true;
  }

  pause(): void {
    this.playing = false;
  }

  /** Back to the start of the runs (same seed: same initial noise). */
  reset(): Promise<void> {
    return this.exclusive(() =>
      this.survive('reset()', async () => {
        this.refuseWhileRecording();
        this.restart();
        await this.idle();
      }),
    );
  }

  /** k steps (default 1) of the first run, the second following by t; pauses playback. */
  step(k = 1): Promise<void> {
    return this.exclusive(() =>
      this.survive('step()', async () => {
        this.refuseWhileRecording();
        this.playing = false;
        this.submitSteps(k);
        await this.idle();
      }),
    );
  }

  /** To the end of the process. Pauses playback. */
  run(): Promise<void> {
    return this.exclusive(() =>
      this.survive('run()', async () => {
        this.refuseWhileRecording();
        this.playing = false;
        const generation = this.generation;
        while (!this.lanes.every((l) => l.done) && generation === this.generation) {
          this.submitSteps(RUN_CHUNK);
          await this.idle();
        }
      }),
    );
  }

  /** Forward mode: jumps the particles to any t in [0, 1] in closed form. */
  scrub(t: number): Promise<void> {
    return this.exclusive(() => this.scrubNow(t));
  }

  private async scrubNow(t: number): Promise<void> {
    if (this.current.mode !== 'forward') throw new Error("scrubbing t needs mode 'forward'");
    return this.survive('scrub()', async () => {
      this.refuseWhileRecording();
      this.playing = false;
      this.hold = 0;
      const device = this.requireGpu().device;
      const encoder = device.createCommandEncoder({ label: 'scrub' });
      this.lanes.forEach((lane, i) => {
        const settings = this.laneSettings(i);
        lane.sim.scrub(encoder, levelAt(settings.schedule, settings, t));
        lane.afterSteps(encoder);
      });
      device.queue.submit([encoder.finish()]);
      await this.idle();
    });
  }

  /** Particle positions of the first run (or of the second, in compare mode), interleaved. */
  /** Read in turn: a call made after a change sees it. */
  positions(lane = 0): Promise<Float32Array> {
    return this.exclusive(() =>
      this.survive('positions()', async () => {
        const l = this.lanes[lane];
        if (!l)
          throw new Error(
            lane ? 'no second run: compare mode is off' : 'the sandbox is not running',
          );
        return l.sim.positions();
      }),
    );
  }

  data(): Promise<Float32Array> {
    return this.exclusive(() =>
      this.survive('data()', async () => {
        return this.requireLane().sim.readBuffer('data');
      }),
    );
  }

  /**
   * Measures each run's sliced Wasserstein-2 distance to the data on the GPU (a few numbers read
   * back, never on the frame path). Concurrent calls share one measurement.
   */
  async measureDistances(): Promise<(number | null)[]> {
    if (this.imageMode || !this.meter) return [];
    const measured = await this.meter.measure(
      this.lanes.map((l) => l.sim),
      this.generation,
    );
    return measured.map((d) => d?.distance ?? null);
  }

  /**
   * Distance to the data against NFE for every (sampler, schedule, NFE), on the GPU beside the
   * live runs (which keep animating), from the current settings with `request`'s keys over them.
   */
  async sweep(request: SweepRequest, options: SweepOptions = {}): Promise<SweepResult> {
    return this.survive('sweep()', async () => {
      this.refuseImages('sweep');
      const { samplers, schedules, nfe, ...keys } = request;
      // The sweep runs no lane B: its settings need not hold a compareWith valid over `keys`.
      const result = applyPatch({ ...this.current, compare: false, compareWith: '' }, keys, {
        maxParticles: this.maxParticles,
      });
      if (!result.ok) throw new Error(`sweep: ${result.error}`);
      const base = result.settings;
      if (isImageDataset(base.dataset)) throw new Error('sweep works on 2D point datasets');
      const same =
        base.dataset === this.current.dataset &&
        base.m === this.current.m &&
        base.seed === this.current.seed;
      const dataset =
        same && this.dataset
          ? this.dataset
          : base.dataset === 'custom'
            ? {
                id: 'custom' as const,
                points: subsamplePoints(this.requireCustom(), base.m, base.seed),
                mixture: null,
              }
            : generateDataset(base.dataset, base.m, base.seed);
      return runSweep(
        this.requireGpu().device,
        this.sources,
        base,
        dataset,
        { samplers, schedules, nfe },
        options,
      );
    });
  }

  /**
   * Measures every lane's observables on the GPU and reads back a few dozen bytes each (never
   * on the frame path: the caller throttles it). The entropy (O(P^2)) only when asked. A
   * run whose particles diverged (NaN, or escaped far away) pauses with what to lower.
   */
  async measureMetrics(
    what: { marginals?: boolean; entropy?: boolean } = {},
  ): Promise<(PhysicsSample | null)[]> {
    const device = this.gpu?.device;
    if (!device || !this.lanes.length || this.rebuilding || this.imageMode) return [];
    const lanes = [...this.lanes];
    const entropy = what.entropy ?? false;
    const marginals = what.marginals ?? false;
    // The metrics' kernels compile on their first use; the lanes may change meanwhile.
    await Promise.all(lanes.map((l) => l.prepareMeasure({ entropy, marginals })));
    if (this.rebuilding || lanes.some((l, i) => this.lanes[i] !== l)) return [];
    const statuses = lanes.map((l) => l.status());
    const generation = this.generation;
    const encoder = device.createCommandEncoder(METRICS_ENCODER);
    lanes.forEach((lane, i) => lane.measure(encoder, this.laneSettings(i), { entropy, marginals }));
    device.queue.submit([encoder.finish()]);
    const reads = await Promise.all(lanes.map((l) => l.metrics.read()));
    const samples = reads.map((r, i): PhysicsSample | null => {
      if (!r) return null;
      const sample = { ...r, t: statuses[i]!.t, step: statuses[i]!.step };
      // The distance measured of the same particles, if any.
      const d = this.lastDistances()[i];
      const distance = d && d.run === generation && d.step === sample.step ? d.distance : NaN;
      return { ...sample, run: generation, distance };
    });
    if (generation === this.generation) this.checkDivergence(samples[0] ?? null, generation);
    return samples;
  }

  /** The latest observables of the first run (measured now if none yet), for metrics(). */
  async metrics(): Promise<PhysicsSample> {
    return this.survive('metrics()', async () => {
      if (this.imageMode)
        throw new Error(
          `metrics() measures point clouds; ${this.current.dataset} is images: call memorisation() for its batch`,
        );
      await this.idle();
      const [sample] = await this.measureMetrics({ entropy: true });
      if (!sample) throw new Error('the sandbox is not running');
      return sample;
    });
  }

  /** The first run's marginal histograms (last measured) against the target's at its level. */
  async marginals(): Promise<MarginalsView | null> {
    const lane = this.lanes[0];
    const spec = lane?.metrics.histogram;
    if (!lane || !spec || !this.dataset || this.imageMode) return null;
    const particles = await lane.metrics.marginals();
    if (!particles) return null;
    const s = this.current;
    const t =
      s.mode === 'langevin' && s.langevin !== 'annealed' && s.langevin !== 'pc'
        ? s.noiseLevel
        : lane.status().t;
    const target = targetMarginals(this.dataset, spec, levelAt(s.schedule, s, t));
    return { particles, target };
  }

  /** Underdamped Langevin's velocities, interleaved (a readback). */
  async velocities(): Promise<Float32Array> {
    return this.survive('velocities()', async () => {
      const s = this.current;
      if (s.mode !== 'langevin' || s.langevin !== 'underdamped')
        throw new Error(
          "velocities exist in underdamped Langevin only (mode 'langevin', langevin 'underdamped')",
        );
      return this.requireLane().sim.velocities();
    });
  }

  /**
   * When do samples commit? Copies `count` particles of the reverse run at its current t (or at
   * each of `options.levels`, 12 spread over the run by default, with `curve`), runs both copies
   * to the end with fresh noise, and returns P(same mode) against t.
   */
  async speciation(
    options: CurveOptions & { count?: number; curve?: boolean } = {},
  ): Promise<Speciation> {
    return this.survive('speciation()', async () => {
      this.refuseImages('cloning');
      const s = this.current;
      if (s.mode !== 'reverse')
        throw new Error("cloning needs the reverse process (mode 'reverse')");
      const device = this.requireGpu().device;
      const dataset = this.dataset!;
      const spec = runSpec(s);
      const levels = number({ min: 0, max: spec.levels.length - 2, integer: true });
      check(optional(arrayOf(levels, { min: 1 })), options.levels, 'options.levels', 'speciation');
      const count = Math.min(options.count ?? 2048, s.n);
      const theory = theorySpeciationT(dataset, s.schedule, s);
      const { note } = continuation(spec);
      if (options.curve) {
        const points = await speciationCurve(device, this.sources, spec, dataset, count, options);
        const cloner = await this.clonerOn(device);
        cloner.setup(dataset, count);
        return { points, chance: cloner.chance, theory, note };
      }
      const level = Math.min(this.requireLane().status().step, spec.levels.length - 2);
      const cloner = await this.clonerOn(device);
      cloner.setup(dataset, count);
      const point = await cloner.clone(
        spec,
        level,
        options.signal ? { signal: options.signal } : {},
      );
      return { points: [point], chance: cloner.chance, theory, note };
    });
  }

  /** The cloner, made on `device` once; one made on a device lost since is not kept. */
  private async clonerOn(device: GPUDevice): Promise<Cloner> {
    if (this.cloner) return this.cloner;
    const cloner = await Cloner.create(device, this.sources);
    if (this.gpu?.device !== device) {
      cloner.destroy();
      throw new Error('the GPU was lost');
    }
    this.cloner = cloner;
    return cloner;
  }

  private checkDivergence(sample: PhysicsSample | null, generation: number): void {
    if (!sample || this.recording || this.diverged === generation) return;
    const bad = sample.nonFinite + sample.escaped;
    if (bad === 0) return;
    this.diverged = generation;
    this.playing = false;
    this.events.message?.(divergenceAdvice(this.current, bad, sample.step), 'error');
  }

  get isRecording(): boolean {
    return this.recording;
  }

  /**
   * Records a clip (by default the whole run, from reset to the end) at the settings' clip
   * options with `overrides` over them. Playback pauses and the runs cannot change meanwhile.
   * `chart` gives the chart canvas to inset, when the clip asks for it.
   */
  async record(
    overrides: Partial<ClipOptions> & { resolution?: RecResolution } = {},
    hooks: RecordHooks = {},
    chart?: () => HTMLCanvasElement | null,
  ): Promise<Recording> {
    // The clip starts in its turn (after every call made before it) and holds no turn while it
    // records: calls made after it are refused until it ends.
    const options = await this.exclusive(() =>
      this.survive('record()', () => {
        this.refuseWhileRecording();
        const options = clipOptions(this.current, this.clipCanvasSize(), overrides);
        this.recording = true;
        this.lostDuringClip = false;
        return Promise.resolve(options);
      }),
    );
    const wasPlaying = this.playing;
    this.playing = false;
    try {
      return await recordClip(this.clipSource(options, chart), options, hooks);
    } finally {
      this.recording = false;
      // The live view goes on as before the clip.
      this.playing = wasPlaying;
    }
  }

  /** A PNG of the current state at the clip size (the settings' resolution by default). */
  async snapshot(
    overrides: Partial<ClipOptions> & { resolution?: RecResolution } = {},
    chart?: () => HTMLCanvasElement | null,
  ): Promise<Blob> {
    return this.survive('snapshot()', async () => {
      const options = clipOptions(this.current, this.clipCanvasSize(), overrides);
      const problem = clipProblem(options);
      if (problem) throw new Error(`snapshot: ${problem}`);
      await this.idle();
      return snapshot(this.clipSource(options, chart), options.width, options.height);
    });
  }

  private refuseWhileRecording(): void {
    if (this.recording)
      throw new Error('a clip is being recorded: cancel it first to change the run');
  }

  /** The on-screen views' size in device pixels: the 'canvas' clip resolution. */
  private clipCanvasSize(): { width: number; height: number } {
    const canvas = this.canvases[0];
    return { width: canvas.width * Math.max(1, this.lanes.length), height: canvas.height };
  }

  private clipSource(o: ClipOptions, chart?: () => HTMLCanvasElement | null): ClipSource {
    return {
      remainingSteps: () => {
        const s = this.lanes[0]?.status();
        return s ? s.steps - s.step : 0;
      },
      // No lanes (the device was lost): not done, and lost() ends the clip.
      done: () => this.lanes.length > 0 && this.lanes.every((l) => l.done),
      restart: () => this.restart(),
      step: (k) => this.submitSteps(k),
      draw: (ctx, width, height) => this.drawClip(ctx, width, height, o, chart),
      lost: () => this.lostDuringClip || !this.lanes.length,
    };
  }

  /** The lanes side by side at the clip's size, with their captions and the chart inset. */
  private drawClip(
    ctx: CanvasRenderingContext2D,
    width: number,
    height: number,
    o: ClipOptions,
    chart?: () => HTMLCanvasElement | null,
  ): void {
    ctx.fillStyle = '#0b0d12';
    ctx.fillRect(0, 0, width, height);
    const count = this.lanes.length;
    this.lanes.forEach((lane, i) => {
      const x = Math.round((i * width) / count);
      const w = Math.round(((i + 1) * width) / count) - x;
      ctx.drawImage(lane.view.renderOffscreen(w, height), x, 0);
      if (o.caption) {
        const s = lane.status();
        const label = count > 1 ? `${'AB'[i]!} · ` : '';
        const text = `${label}${describeRun(this.laneSettings(i))} · t ${s.t.toFixed(3)} · step ${s.step}/${s.steps}`;
        drawCaption(ctx, text, x, w, height);
      }
    });
    const inset = o.chart ? chart?.() : null;
    if (inset) drawInset(ctx, inset, width, height);
  }

  /** For tests and the curious: loses the device as a driver crash would. */
  loseDevice(): void {
    const gpu = this.gpu ?? this.building;
    // Between two devices (a rebuild asking for one): the next is lost as it comes.
    if (gpu) gpu.device.destroy();
    else if (this.rebuilding) this.loseNext = true;
  }

  /** The world point under a client position (for drawing). */
  toWorld(clientX: number, clientY: number): [number, number] {
    return this.lanes[0]?.view.toWorld(clientX, clientY) ?? [0, 0];
  }

  resize(): void {
    for (const lane of this.lanes) lane.view.resize();
  }

  resetView(): void {
    for (const lane of this.lanes) lane.view.resetView();
  }

  setPanZoom(enabled: boolean): void {
    for (const lane of this.lanes) lane.view.controls.enabled = enabled;
  }

  /** One animation frame: steps if playing, then draws. Never reads the GPU back. */
  frame(now: number): void {
    if (this.lastFrame) {
      const dt = Math.max(1e-3, (now - this.lastFrame) / 1000);
      this.fps = this.fps ? 0.95 * this.fps + 0.05 / dt : 1 / dt;
    }
    this.lastFrame = now;
    if (!this.lanes.length || this.rebuilding) return;
    if (this.playing && !this.recording) this.advance();
    for (const lane of this.lanes) lane.view.render();
    this.events.frame?.();
  }

  private advance(): void {
    if (this.lanes.every((l) => l.done)) {
      // The end is a checkpoint too: the loop waits for its measurement.
      if (this.awaitingMeasurement()) return;
      if (!this.current.loop) this.playing = false;
      else if (++this.hold >= LOOP_HOLD_FRAMES) this.restart();
      return;
    }
    this.accumulator += this.current.speed;
    let k = Math.floor(this.accumulator);
    const gate = this.gate();
    if (gate) k = Math.min(k, Math.max(0, gate.next - this.lanes[0]!.status().step));
    if (k < 1) return;
    this.accumulator -= k;
    this.submitSteps(k);
  }

  /**
   * Measurements tied to steps, not to wall time: while set, playback holds the first run at
   * every `every`-th step (and its last) until measured() reports a measurement of it, so a run
   * gets its points however slow the GPU. null: playback never waits.
   */
  private checkpoints: { every: number; next: number; run: number } | null = null;

  /** Playback waits for a measurement every `every` steps (see checkpoints); null: it never does. */
  measureEvery(every: number | null): void {
    if (every === null || !(every >= 1)) {
      this.checkpoints = null;
      return;
    }
    const step = this.lanes[0]?.status().step ?? 0;
    const same = this.checkpoints?.every === every && this.checkpoints.run === this.generation;
    if (!same) this.checkpoints = { every, next: step, run: this.generation };
  }

  /** A measurement of run `run` (PhysicsSample.run) at `step` is in: playback may pass it. */
  measured(run: number, step: number): void {
    const gate = this.gate();
    if (!gate || run !== gate.run) return;
    if (step >= gate.next) gate.next = (Math.floor(step / gate.every) + 1) * gate.every;
  }

  /** Whether playback is held at a checkpoint that no measurement has read yet. */
  awaitingMeasurement(): boolean {
    const gate = this.gate();
    const lane = this.lanes[0];
    if (!gate || !lane || !this.playing) return false;
    const { step, steps } = lane.status();
    return step >= Math.min(gate.next, steps);
  }

  /** The checkpoints, started afresh (at step 0) for a new run or a reset. */
  private gate(): { every: number; next: number; run: number } | null {
    const gate = this.checkpoints;
    if (gate && gate.run !== this.generation)
      Object.assign(gate, { run: this.generation, next: 0 });
    return gate;
  }

  /**
   * k steps of the first run; the second runs until it is no noisier than the first (lockstep by
   * t), or on alone once the first has finished.
   */
  private submitSteps(k: number): void {
    const device = this.requireGpu().device;
    const [a, b] = this.lanes;
    if (!a) return;
    const encoder = device.createCommandEncoder(STEPS_ENCODER);
    const reverse = this.current.mode === 'reverse';
    a.sim.encodeSteps(encoder, k);
    if (b) {
      if (a.done) b.sim.encodeSteps(encoder, k);
      else {
        const t = a.sim.status().t;
        while (!b.done && (reverse ? b.sim.status().t > t : b.sim.status().t < t))
          b.sim.encodeSteps(encoder, 1);
      }
    }
    for (const lane of this.lanes) lane.afterSteps(encoder);
    this.submission[0] = encoder.finish();
    device.queue.submit(this.submission);
  }

  private restart(): void {
    const device = this.requireGpu().device;
    this.generation++;
    this.meter?.clear();
    this.hold = 0;
    this.accumulator = 0;
    const encoder = device.createCommandEncoder(RESET_ENCODER);
    for (const lane of this.lanes) lane.restart(encoder);
    device.queue.submit([encoder.finish()]);
  }

  private async idle(): Promise<void> {
    await this.gpu?.device.queue.onSubmittedWorkDone();
  }

  /** Waits until no rebuild after a loss is under way (a loss during one makes it wait on). */
  private async settled(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }

  /**
   * Runs `what` once any rebuild has ended. If the device is lost meanwhile, its result (or the
   * browser's error) belongs to the old device: it waits for the rebuild and says so instead.
   */
  private async survive<T>(what: string, work: () => Promise<T>): Promise<T> {
    // Not settled(): no tick may pass between the last check and taking the epoch.
    while (this.rebuilding) await this.rebuilding;
    const epoch = this.epoch;
    const device = this.gpu?.device;
    const running = work();
    // A loss may leave the work waiting on the old device forever: the loss ends the wait.
    running.catch(() => undefined);
    const lost = device?.lost.then(() => LOST) ?? new Promise<never>(() => undefined);
    try {
      const result = await Promise.race([running, lost]);
      if (result !== LOST && epoch === this.epoch) return result as T;
    } catch (e) {
      const lossError = device && /lost/i.test(String(e));
      if (epoch === this.epoch && !lossError) throw e;
      // The device's loss handler runs before this: the rebuild is under way once it resolves.
      if (epoch === this.epoch) await device?.lost;
    }
    await this.settled();
    throw new Error(
      `the GPU was lost during ${what}: it has been rebuilt with the same settings, call ${what} again`,
    );
  }

  private requireGpu(): Gpu {
    if (!this.gpu) throw new Error('the sandbox is not running');
    return this.gpu;
  }

  private requireLane(): Lane {
    const lane = this.lanes[0];
    if (!lane) throw new Error('the sandbox is not running');
    return lane;
  }

  /** Point-cloud tools (sweeps, clones, marginals, velocities) refuse image datasets. */
  private refuseImages(what: string): void {
    if (this.imageMode)
      throw new Error(`${what} works on 2D point datasets; ${this.current.dataset} is images`);
  }

  private requireCustom(): Float32Array {
    if (!this.custom) throw new Error('no custom points');
    return this.custom;
  }

  private async makeDataset(s: Settings = this.current): Promise<Dataset> {
    if (isImageDataset(s.dataset))
      return makeImageDataset(s.dataset, Math.min(s.m, IMAGE_M_MAX), s.seed, this.userImages);
    if (s.dataset === 'custom') {
      return {
        id: 'custom',
        points: subsamplePoints(this.requireCustom(), s.m, s.seed),
        mixture: null,
      };
    }
    return generateDataset(s.dataset, s.m, s.seed);
  }

  /** The settings of lane i: the settings themselves, or the compare patch over them. */
  private laneSettings(i: number, base: Settings = this.current): Settings {
    if (i === 0) return base;
    const result = compareSettings(base);
    if (!result.ok) throw new Error(result.error);
    return result.settings;
  }

  /** Applies changed keys with the least work: restyle, new data, new particles, new runs. */
  private async apply(changed: readonly (keyof Settings)[]): Promise<void> {
    const device = this.requireGpu().device;
    const s = this.current;
    const has = (...keys: (keyof Settings)[]): boolean => keys.some((k) => changed.includes(k));
    if (changed.some((k) => STYLE_KEYS.has(k))) {
      const encoder = device.createCommandEncoder(STYLE_ENCODER);
      for (const lane of this.lanes) {
        lane.setStyle(s);
        lane.refreshField(encoder);
      }
      device.queue.submit([encoder.finish()]);
    }
    if (changed.every((k) => STYLE_KEYS.has(k) || QUIET_KEYS.has(k))) return;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    if (has('compare')) await this.setLaneCount(s.compare ? 2 : 1);
    if (has('dataset', 'm', 'seed')) {
      const dataset = await this.makeDataset();
      this.dataset = dataset;
      for (const lane of this.lanes) lane.setData(this.dataset);
    }
    if (has('n')) for (const lane of this.lanes) lane.setParticles(s.n);
    if (has('dataset', 'm', 'seed', 'n') && !this.imageMode)
      await this.meter?.setData(s.n, this.dataset!.points);
    await Promise.all(this.lanes.map((l, i) => l.prepareRun(this.laneSettings(i))));
    this.startRuns();
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const error = oom ?? invalid;
    if (error) throw new Error(`the GPU could not hold this (${error.message})`);
  }

  /** Adds or removes the second lane, built like the first. */
  private async setLaneCount(count: 1 | 2): Promise<void> {
    if (count === 1) {
      this.lanes.splice(1).forEach((l) => l.destroy());
      return;
    }
    if (this.lanes.length === 2) return;
    const lane = await Lane.create(this.requireGpu().device, this.sources, this.canvases[1]);
    lane.setData(this.dataset!);
    lane.setParticles(this.current.n);
    lane.setStyle(this.current);
    this.lanes.push(lane);
  }

  private startRuns(): void {
    const device = this.requireGpu().device;
    const encoder = device.createCommandEncoder(RESET_ENCODER);
    this.lanes.forEach((lane, i) => lane.start(this.laneSettings(i), encoder));
    device.queue.submit([encoder.finish()]);
    this.generation++;
    this.hold = 0;
    this.accumulator = 0;
    this.meter?.clear();
  }

  /**
   * Builds everything for the current settings on a new device. `epoch` is the loss it answers
   * (0 at start): once a later loss has come, it stops at its next await, releases what it made
   * and returns false, so that only the newest build sets the device, lanes, meter and settings.
   */
  private async build(epoch = this.epoch): Promise<boolean> {
    const stale = (): boolean => epoch !== this.epoch;
    const gpu = await acquireGpu({ onLost: (info) => void this.recover(info) });
    if (stale()) {
      gpu.release();
      return false;
    }
    this.building = gpu;
    if (this.loseNext) {
      this.loseNext = false;
      gpu.device.destroy();
    }
    const lanes: Lane[] = [];
    let meter: DistanceMeter | null = null;
    try {
      let s: Settings = { ...this.current };
      const warnings: string[] = [];
      const limit = maxParticles(gpu.device);
      if (s.n > limit) {
        warnings.push(`${s.n} particles do not fit this GPU: using ${Math.min(DEFAULTS.n, limit)}`);
        s = { ...s, n: Math.min(DEFAULTS.n, limit) };
      }
      if (s.dataset === 'custom' && !this.custom) {
        warnings.push('the custom points are not available here: showing the default dataset');
        s = { ...s, dataset: DEFAULTS.dataset };
      }
      if (s.dataset === 'images' && !this.userImages) {
        warnings.push('your images are not available here: showing the default dataset');
        s = { ...s, dataset: DEFAULTS.dataset, n: DEFAULTS.n };
      }
      let dataset: Dataset;
      try {
        dataset = await this.makeDataset(s);
      } catch (e) {
        if (!isImageDataset(s.dataset)) throw e;
        warnings.push(`${String(e)}: showing the default dataset`);
        s = { ...s, dataset: DEFAULTS.dataset, n: DEFAULTS.n };
        dataset = await this.makeDataset(s);
      }
      for (const canvas of this.canvases.slice(0, s.compare ? 2 : 1)) {
        if (stale()) return false;
        const lane = await Lane.create(gpu.device, this.sources, canvas);
        lanes.push(lane);
      }
      for (const lane of lanes) {
        lane.setData(dataset);
        lane.setParticles(s.n);
        lane.setStyle(s);
      }
      meter = new DistanceMeter(gpu.device, this.sources);
      if (!lanes[0]!.imageMode) await meter.setData(s.n, dataset.points);
      await Promise.all(lanes.map((l, i) => l.prepareRun(this.laneSettings(i, s))));
      if (stale()) return false;
      this.gpu = gpu;
      this.building = null;
      this.lanes = lanes;
      this.meter = meter;
      this.dataset = dataset;
      this.current = s;
      for (const warning of warnings) this.events.message?.(warning, 'warning');
      this.startRuns();
      return true;
    } catch (e) {
      // The device lost under the build: its loss handler makes this build stale.
      if (!stale() && /lost/i.test(String(e))) await gpu.device.lost;
      if (stale()) return false;
      throw e;
    } finally {
      if (this.gpu !== gpu) {
        for (const lane of lanes) {
          try {
            lane.destroy();
          } catch {
            // A lost device's objects may refuse to be cleaned up.
          }
        }
        meter?.destroy();
        if (this.building === gpu) this.building = null;
        gpu.release();
      }
    }
  }

  /**
   * A lost device: report it and rebuild everything from the same settings. A loss during a
   * rebuild makes that rebuild stale (see build) and starts the next; calls wait (settled) until
   * the newest has ended, and only it reports the end.
   */
  private async recover(info: GPUDeviceLostInfo): Promise<void> {
    const epoch = ++this.epoch;
    if (!this.rebuilding) {
      this.wasPlaying = this.playing;
      this.rebuilding = new Promise((resolve) => (this.rebuilt = resolve));
    }
    if (this.recording) this.lostDuringClip = true;
    this.events.message?.(
      `The GPU device was lost (${info.message || info.reason}). Rebuilding with the same settings…`,
      'warning',
    );
    const old = this.lanes;
    this.lanes = [];
    this.meter = null;
    this.cloner = null;
    this.gpu = null;
    for (const lane of old) {
      try {
        lane.destroy();
      } catch {
        // The old device is gone; its objects may refuse to be cleaned up.
      }
    }
    try {
      if (!(await this.build(epoch))) return;
      await this.idle();
      if (epoch !== this.epoch) return;
      this.playing = this.wasPlaying;
      this.events.message?.('Rebuilt on a new GPU device.', 'info');
      this.events.settings?.(this.settings(), []);
    } catch (e) {
      if (epoch !== this.epoch) return;
      this.events.message?.(`Could not rebuild after losing the GPU: ${String(e)}`, 'error');
    }
    const rebuilt = this.rebuilt;
    this.rebuilding = null;
    this.rebuilt = null;
    rebuilt?.();
  }
}
