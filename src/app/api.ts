/**
 * The scripting API on window.sandbox: what power users drive from the console and what the
 * end-to-end tests drive. Documented in README.md ("Scripting API"). Every function's arguments
 * are checked here, by the schemas the settings use, before anything runs (checkedApi).
 */
import { LABELS, POINTS } from '../io/pointsInput';
import type { NetworkArch } from '../maths/learn/network';
import type { UNetArch } from '../maths/learn/unet';
import type { GeneralisationResult } from '../sandbox/generalisationExperiment';
import type { GuidanceCurveResult } from '../sim/experiments/guidanceSweep';
import type { MemorisationRow } from '../sandbox/memorisationExperiment';
import type { ImagePanelRect } from '../sandbox/lane';
import type { Memorisation } from '../maths/memorisation';
import { RECORD_OPTIONS, type ClipOptions } from '../record/clip';
import type { LaneSamples, SandboxStatus, Speciation, SweepRequest } from '../sandbox/sandbox';
import {
  arrayOf,
  boolean,
  func,
  instanceOf,
  number,
  object,
  oneOf,
  optional,
  type Schema,
} from '../settings/schema';
import { SCHEDULES } from '../maths/schedules';
import {
  IMAGE_M_MAX,
  LIMITS,
  SAMPLERS,
  type RecResolution,
  type Settings,
} from '../settings/settings';
import { PATCH, SETTING_SCHEMAS, SWEEP_NFE, SWEEP_NFE_MAX } from '../settings/validate';
import type { CurveOptions } from '../sim/experiments/speciation';
import type { SweepRow } from '../sim/experiments/sweep';

export type RecordOptions = Partial<ClipOptions> & { resolution?: RecResolution };

export interface SandboxApi {
  /** Resolves once the first run is on screen; rejects (with the reason) without WebGPU. */
  ready: Promise<void>;
  /** A copy of the current settings. */
  settings(): Settings;
  /** Validates and applies a patch; rejects with a clear Error and keeps the last good settings. */
  configure(patch: Partial<Settings>): Promise<void>;
  /** Back to the start of the run (same seed, same initial noise). */
  reset(): Promise<void>;
  /** k steps (default 1); resolves when the GPU has done them. */
  step(k?: number): Promise<void>;
  /** To the end of the process. */
  run(): Promise<void>;
  play(): void;
  pause(): void;
  /** Forward mode: jump to any t in [0, 1] in closed form. */
  scrub(t: number): Promise<void>;
  /** Particle positions, x and y interleaved (of the compared run B with 'b'). */
  positions(lane?: 'a' | 'b'): Promise<Float32Array>;
  /** The dataset's stored points, x and y interleaved, as the GPU holds them. */
  data(): Promise<Float32Array>;
  /** Where the run is: t, step, steps, NFE, the last distance to the data, and run B's too. */
  status(): SandboxStatus;
  /** Measures now each run's sliced Wasserstein-2 distance to the data (A, then B). */
  distances(): Promise<(number | null)[]>;
  /**
   * Quality against NFE: one row per (sampler, schedule, NFE) with the distance to the data,
   * from the current settings with any settings keys of `spec` over them (dataset, n, seed...).
   * Each row's steps spend the most NFE not above the asked, guided evaluations counted twice;
   * with a `class`, the distance is to that class's points or images.
   */
  sweep(spec: SweepRequest): Promise<SweepRow[]>;
  /**
   * Uses your own points as the dataset (x, y interleaved, or [[x, y], ...]); they are centred and
   * scaled to unit size unless `normalise` is false. Rejects NaN, values beyond float32, no
   * points or over 1M points. `labels`, one a point, gives them classes as a file's label column
   * does (names numbered in order of first appearance, or class numbers 0 to 255).
   */
  loadPoints(
    points: Float32Array | number[] | [number, number][],
    options?: { normalise?: boolean; labels?: (number | string)[] },
  ): Promise<void>;
  /** Loses the GPU device as a driver crash would (the sandbox rebuilds itself). */
  loseDevice(): void;
  /**
   * Records a clip, by default the whole run from reset to the end, with the settings' clip
   * options and these over them: format 'mp4' | 'webm', resolution 'canvas' | '720p' | '1080p' |
   * 'square1080' (or width and height), fps, quality, stepsPerFrame, wholeRun, holdFirst,
   * holdLast, caption, chart. Rejects with an AbortError if cancelled.
   */
  record(options?: RecordOptions): Promise<Blob>;
  /** A PNG of the current frame at the clip resolution, with the clip's overlays. */
  snapshot(options?: RecordOptions): Promise<Blob>;
  /**
   * The first run's observables, measured on the GPU now (k_B = 1): energy <U>, energyVariance,
   * heatCapacity Var(U)/T^2, kineticTemperature (underdamped), acceptance (MALA), heat (released
   * per particle, in k_B T), nonFinite, escaped, count, entropy, freeEnergy, temperature,
   * straightness (the mean excess path length L / D - 1 of the particles' paths since the run's
   * reset: 0 for straight paths; src/maths/straightness.ts), plus t, step and distance. Absent
   * observables are NaN. `compare`: the same of the compared run B (null when compare is off).
   */
  metrics(): Promise<LaneSamples>;
  /** Underdamped Langevin's velocities, interleaved like positions(). */
  velocities(): Promise<Float32Array>;
  /**
   * Clones `count` particles of the reverse run at its current t (or, with curve: true, at 12
   * times over the run), runs both copies to the end with fresh noise, and gives P(same mode)
   * against t with the chance level and Biroli & Mezard's speciation time.
   */
  speciation(options?: CurveOptions & { count?: number; curve?: boolean }): Promise<Speciation>;
  /**
   * Image datasets (mnist, shapes, colour, images): the batch, n images of d floats each (784 or
   * 3072; pixels in [-1, 1], colour interleaved RGB), as the GPU holds it now.
   */
  images(): Promise<Float32Array>;
  /**
   * Image datasets: the batch's memorisation now: the fraction of x0_hat whose nearest training
   * image is nearer than a third of the second nearest, the median ratio d1 / d2, the RMS pixel
   * distance to the nearest training image, and t and step.
   */
  memorisation(): Promise<(Memorisation & { t: number; step: number }) | null>;
  /**
   * Image files (PNG, JPEG, WebP): in an image dataset they are added to 'images' (32x32
   * colour) and shown; on a point dataset the first becomes the 'custom' points (its dark pixels).
   */
  loadImages(files: Blob[]): Promise<void>;
  /**
   * Image datasets: where the canvas shows each panel (CSS pixels from the canvas's top left):
   * kind 'x' | 'x0hat' | 'nearest' | 'big-x' | 'big-x0hat' | 'big-nearest' | 'strip', its
   * left and top, columns and cell size. Image i of a grid panel is cell i, row by row.
   */
  imagePanels(): ImagePanelRect[] | null;
  /**
   * Trains the learned denoiser `steps` optimiser steps now (batch and learning rate set first
   * when given, as the settings trainBatch and trainLr); resolves with each step's loss.
   */
  train(options: { steps: number; batch?: number; lr?: number }): Promise<Float32Array>;
  /** The learned denoiser: its architecture, parameter count, step, latest loss and loss chart. */
  model(): ModelInfo;
  /** The learned denoiser's EMA weights as a safetensors file (README: tensor names, shapes). */
  saveModel(): Promise<ArrayBuffer>;
  /**
   * Loads a safetensors file of weights; a malformed file, or one whose tensors do not fit, is
   * refused with what is wrong and the current network stays.
   */
  loadModel(bytes: ArrayBuffer): Promise<void>;
  /**
   * Memorisation against M: for each M of `ms` (default 8 to 10,000) a fresh network trained
   * `steps` steps on M points of the dataset, the memorised fraction of its samples every `every`
   * steps, and the empirical denoiser's for the same points.
   */
  memorisationVsM(options?: {
    ms?: number[];
    steps?: number;
    every?: number;
  }): Promise<MemorisationRow[]>;
  /**
   * Generalisation against N (image datasets; Kadkhodaie et al. 2024): for each N of `ns`
   * (default 1 to 5,000) two U-Nets of the settings' architecture, each trained `steps` steps on
   * its own N images (the dataset's first 2N, split in halves), sampled from the same noise every
   * `every` steps: their samples' similarity and memorised fractions, the samples side by side
   * with their nearest training images, and the N of the switch. Kept in IndexedDB: run again, the
   * N already done are read back (`restart: true` forgets them).
   */
  generalisationVsN(options?: {
    ns?: number[];
    steps?: number;
    every?: number;
    samples?: number;
    sampleSteps?: number;
    restart?: boolean;
  }): Promise<GeneralisationResult>;
  /**
   * What guidance does, against w (the settings' class; refused for class -1): for each w of `ws`
   * (default 0 to 8) the current sampler, schedule and denoiser from the same noise, n particles
   * (default 4,096); rows { w, nfe, entropy, distance, nearest, offData, overshoot } with the
   * floor, the class data's entropy and the off-data radius (src/sim/experiments/guidanceSweep.ts).
   * `particles: true` adds each row's measured particles and the distance's reference. On images
   * (MNIST, shapes; kind 'images', default n the live run's, at most 256) the rows are { w, nfe, onClass, nearest,
   * distinct, saturated, overshoot } against the class's training images
   * (src/sim/experiments/imageGuidanceSweep.ts).
   */
  guidanceSweep(options?: {
    ws?: number[];
    n?: number;
    particles?: boolean;
  }): Promise<GuidanceCurveResult>;
}

export interface ModelInfo {
  /** The 2D network's architecture on points (width, depth...), the U-Net's on images (channels, levels...). */
  arch: NetworkArch | UNetArch;
  parameters: number;
  step: number;
  loss: number | null;
  /** The loss chart's points: the mean loss of each reading against the step it reached. */
  history: { steps: number[]; losses: number[] };
}

declare global {
  interface Window {
    sandbox: SandboxApi;
  }
}

/** The functions of the API (not `ready`, a Promise). */
type ApiFunction = {
  [K in keyof SandboxApi]: SandboxApi[K] extends (...args: never[]) => unknown ? K : never;
}[keyof SandboxApi];

/** A function's arguments, in order, each named as its messages call it. */
interface Signature {
  args: readonly (readonly [name: string, schema: Schema])[];
  /** Whether it answers with a Promise: then a refusal is a rejection, else it is thrown. */
  promise: boolean;
}

const none = (promise: boolean): Signature => ({ args: [], promise });

/** A scripted sweep: its lists, and any settings keys over the current ones (applyPatch's). */
const SWEEP_REQUEST = object(
  {
    samplers: arrayOf(oneOf(SAMPLERS, 'sampler'), { min: 1 }),
    schedules: arrayOf(oneOf(SCHEDULES, 'schedule'), { min: 1 }),
    nfe: arrayOf(SWEEP_NFE, { min: 1, max: SWEEP_NFE_MAX }),
    // The sweep's particles, as the panel's sweepN.
    n: optional(SETTING_SCHEMAS.sweepN),
  },
  { others: true },
);

/** Every API function's signature: one per function, or the type check fails. */
export const API_SIGNATURES: Readonly<Record<ApiFunction, Signature>> = {
  settings: none(false),
  configure: { args: [['patch', PATCH]], promise: true },
  reset: none(true),
  step: { args: [['k', optional(number({ min: 1, integer: true }))]], promise: true },
  run: none(true),
  play: none(false),
  pause: none(false),
  scrub: { args: [['t', number({ min: 0, max: 1 })]], promise: true },
  positions: { args: [['lane', optional(oneOf(['a', 'b']))]], promise: true },
  data: none(true),
  status: none(false),
  distances: none(true),
  sweep: { args: [['spec', SWEEP_REQUEST]], promise: true },
  loadPoints: {
    args: [
      ['points', POINTS],
      ['options', optional(object({ normalise: optional(boolean), labels: optional(LABELS) }))],
    ],
    promise: true,
  },
  loseDevice: none(false),
  record: { args: [['options', optional(RECORD_OPTIONS)]], promise: true },
  snapshot: { args: [['options', optional(RECORD_OPTIONS)]], promise: true },
  metrics: none(true),
  velocities: none(true),
  speciation: {
    args: [
      [
        'options',
        optional(
          object({
            count: optional(number({ min: 1, max: LIMITS.n.max, integer: true })),
            curve: optional(boolean),
            // Checked against the run's steps when it is known (Sandbox.speciation).
            levels: () => null,
            signal: optional(instanceOf(AbortSignal, 'an AbortSignal')),
            onProgress: optional(func),
          }),
        ),
      ],
    ],
    promise: true,
  },
  images: none(true),
  memorisation: none(true),
  loadImages: {
    args: [
      ['files', arrayOf(instanceOf(Blob, 'a Blob (an image file)'), { min: 1, max: IMAGE_M_MAX })],
    ],
    promise: true,
  },
  imagePanels: none(false),
  train: {
    args: [
      [
        'options',
        object({
          steps: number({ min: 1, max: 1_000_000, integer: true }),
          batch: optional(SETTING_SCHEMAS.trainBatch),
          lr: optional(SETTING_SCHEMAS.trainLr),
        }),
      ],
    ],
    promise: true,
  },
  model: none(false),
  saveModel: none(true),
  loadModel: { args: [['bytes', instanceOf(ArrayBuffer, 'an ArrayBuffer')]], promise: true },
  memorisationVsM: {
    args: [
      [
        'options',
        optional(
          object({
            ms: optional(arrayOf(SETTING_SCHEMAS.m, { min: 1, max: 16 })),
            steps: optional(number({ min: 1, max: 1_000_000, integer: true })),
            every: optional(number({ min: 1, max: 1_000_000, integer: true })),
          }),
        ),
      ],
    ],
    promise: true,
  },
  generalisationVsN: {
    args: [
      [
        'options',
        optional(
          object({
            ns: optional(
              arrayOf(number({ min: 1, max: IMAGE_M_MAX / 2, integer: true }), { min: 1, max: 16 }),
            ),
            steps: optional(number({ min: 1, max: 1_000_000, integer: true })),
            every: optional(number({ min: 1, max: 1_000_000, integer: true })),
            samples: optional(number({ min: 1, max: 64, integer: true })),
            sampleSteps: optional(number({ min: 1, max: 1000, integer: true })),
            restart: optional(boolean),
          }),
        ),
      ],
    ],
    promise: true,
  },
  guidanceSweep: {
    args: [
      [
        'options',
        optional(
          object({
            ws: optional(arrayOf(SETTING_SCHEMAS.guidance, { min: 1, max: 32 })),
            n: optional(number({ min: 256, max: LIMITS.n.max, integer: true })),
            particles: optional(boolean),
          }),
        ),
      ],
    ],
    promise: true,
  },
};

/** Why `values` cannot be `fn`'s arguments (the first problem, naming the argument), or null. */
export function argumentsProblem(fn: ApiFunction, values: readonly unknown[]): string | null {
  const { args } = API_SIGNATURES[fn];
  for (const [i, [name, schema]] of args.entries()) {
    const problem = schema(values[i], name);
    if (problem !== null) return `${fn}: ${problem}`;
  }
  if (values.slice(args.length).every((v) => v === undefined)) return null;
  const most = args.length === 0 ? 'no arguments' : `at most ${args.length}`;
  return `${fn}: takes ${most}, not ${values.length}`;
}

/**
 * The API with every function's arguments checked first: a bad one is refused (a rejected
 * Promise, or thrown where the function answers at once) before anything runs.
 */
export function checkedApi(api: SandboxApi): SandboxApi {
  const checked: Record<string, unknown> = { ...api };
  // Called as plain functions: main.ts makes the API of arrow functions.
  const functions = api as unknown as Record<ApiFunction, (...args: unknown[]) => unknown>;
  for (const fn of Object.keys(API_SIGNATURES) as ApiFunction[]) {
    const { promise } = API_SIGNATURES[fn];
    checked[fn] = (...values: unknown[]): unknown => {
      const problem = argumentsProblem(fn, values);
      if (problem === null) return functions[fn](...values);
      if (promise) return Promise.reject(new Error(problem));
      throw new Error(problem);
    };
  }
  return checked as unknown as SandboxApi;
}
