/**
 * The scripting API on window.sandbox: what power users drive from the console and what the
 * end-to-end tests drive. Documented in README.md ("Scripting API").
 */
import type { Settings } from './settings';
import type { RunStatus } from './sim/simulation';

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
  /** Particle positions, x and y interleaved. */
  positions(): Promise<Float32Array>;
  /** The dataset's stored points, x and y interleaved, as the GPU holds them. */
  data(): Promise<Float32Array>;
  /** Where the run is: t, step, steps, NFE. */
  status(): RunStatus;
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
}

declare global {
  interface Window {
    sandbox: SandboxApi;
  }
}
