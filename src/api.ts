/**
 * The scripting API on window.sandbox: what power users drive from the console and what the
 * end-to-end tests drive. Documented in README.md ("Scripting API").
 */
import type { ClipOptions } from './record/clip';
import type { PhysicsSample, SandboxStatus, Speciation, SweepRequest } from './sandbox';
import type { ImagePanelRect } from './lane';
import type { Memorisation } from './maths/memorisation';
import type { CurveOptions } from './sim/speciation';
import type { RecResolution } from './settings';

export type RecordOptions = Partial<ClipOptions> & { resolution?: RecResolution };
import type { Settings } from './settings';
import type { SweepRow } from './sim/sweep';

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
   */
  sweep(spec: SweepRequest): Promise<SweepRow[]>;
  /**
   * Uses your own points as the dataset (x, y interleaved, or [[x, y], ...]); they are centred and
   * scaled to unit size unless `normalise` is false. Rejects on NaN, empty or over 1M points.
   */
  loadPoints(
    points: Float32Array | number[] | [number, number][],
    options?: { normalise?: boolean },
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
   * per particle, in k_B T), nonFinite, escaped, count, entropy, freeEnergy, temperature, plus t,
   * step and distance. Absent observables are NaN.
   */
  metrics(): Promise<PhysicsSample>;
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
}

declare global {
  interface Window {
    sandbox: SandboxApi;
  }
}
