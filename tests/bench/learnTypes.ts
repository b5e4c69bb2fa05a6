/** What `npm run bench:learn` asks of its page (learnPage.ts) and what the page answers. */
import type { NetworkArch } from '../../src/maths/learn/network';

export const TF_BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type TfBackend = (typeof TF_BACKENDS)[number];

/** An architecture as the flags give it: a name and its sizes. */
export interface ArchSpec {
  name: string;
  width: number;
  depth: number;
  frequencies: number;
}

export interface LearnOptions {
  archs: ArchSpec[];
  batches: number[];
  /** Particle counts of the sampling measurement. */
  particles: number[];
  /** Seconds a timed block aims at (one step at least, `maxSteps` at most). */
  seconds: number;
  maxSteps: number;
  /** Steps recorded into one command buffer (at most MAX_STEPS). */
  stepsPerSubmit: number;
  /** TF.js backends to try, in order: the first that initialises is used. */
  tfBackends: TfBackend[];
  lr: number;
  seed: number;
}

export interface AdapterReport {
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe...): absolute times are not a GPU's. */
  cpu: boolean;
  userAgent: string;
}

export interface TrainRow {
  arch: string;
  parameters: number;
  batch: number;
  ours: Timed & { firstLoss: number; lastLoss: number };
  /** Null where TF.js was not run (no backend initialised). */
  tf: (Timed & { firstLoss: number; lastLoss: number }) | null;
}

export interface SampleRow {
  arch: string;
  n: number;
  timed: Timed;
}

export interface Timed {
  steps: number;
  seconds: number;
}

export interface LearnReport {
  adapter: AdapterReport;
  tf: {
    version: string;
    /** The backend used, or null; why the others before it failed. */
    backend: TfBackend | null;
    failures: string[];
    /** Largest |TF forward - float64 forward| over |float64 output|, per architecture. */
    check: { arch: string; relError: number }[];
  };
  train: TrainRow[];
  sample: SampleRow[];
}

export const toArch = (a: ArchSpec): NetworkArch => ({
  width: a.width,
  depth: a.depth,
  frequencies: a.frequencies,
  activation: 'gelu',
  target: 'eps',
});

declare global {
  interface Window {
    learnBench?: {
      adapter(): Promise<AdapterReport>;
      run(options: LearnOptions): Promise<LearnReport>;
    };
  }
}
