/**
 * What the browser benchmarks (bench:learn, bench:unet) share across the page boundary: what
 * their drivers (inChromium.ts, inDawn.ts) ask of a page (page.ts) and the parts of every answer.
 * Free of TF.js, so a driver can import it before navigator.gpu is set (inDawn.ts).
 */
export const TF_BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type TfBackend = (typeof TF_BACKENDS)[number];

export interface AdapterReport {
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe...): absolute times are not a GPU's. */
  cpu: boolean;
  userAgent: string;
}

export interface TfReport {
  version: string;
  /** The backend used, or null; why the others before it failed. */
  backend: TfBackend | null;
  failures: string[];
}

/** Steps of the last timed block and its wall time. */
export interface Timed {
  steps: number;
  seconds: number;
}

/** A timed training run and the first and last loss of all its steps, warm-up included. */
export interface TimedTraining extends Timed {
  firstLoss: number;
  lastLoss: number;
}

/** How a measurement is timed (timeBlocks.ts), and what every benchmark's options hold. */
export interface BlockOptions {
  /** Seconds a timed block aims at (one step at least, `maxSteps` at most). */
  seconds: number;
  maxSteps: number;
  /** Steps recorded into one command buffer (at most MAX_STEPS for training). */
  stepsPerSubmit: number;
  /** TF.js backends to try, in order: the first that initialises is used. */
  tfBackends: TfBackend[];
}

/** The two calls a benchmark's page offers its driver. */
export interface PageBench {
  adapter(): Promise<AdapterReport>;
  run(options: unknown): Promise<unknown>;
}

/** The benchmarks page.ts can run, picked by its URL's `?run=`. */
export const PAGE_BENCHES = ['learn', 'unet'] as const;
export type PageBenchName = (typeof PAGE_BENCHES)[number];

declare global {
  interface Window {
    bench?: PageBench;
  }
}
