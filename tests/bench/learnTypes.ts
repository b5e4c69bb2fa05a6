/** What `npm run bench:learn` asks of its page (page.ts, learnRun.ts) and what the page answers. */
import type { NetworkArch } from '../../src/maths/learn/network';
import type { AdapterReport, BlockOptions, Timed, TfReport, TimedTraining } from './benchTypes';

/** An architecture as the flags give it: a name and its sizes. */
export interface ArchSpec {
  name: string;
  width: number;
  depth: number;
  frequencies: number;
}

export interface LearnOptions extends BlockOptions {
  archs: ArchSpec[];
  batches: number[];
  /** Particle counts of the sampling measurement. */
  particles: number[];
  lr: number;
  seed: number;
}

export interface TrainRow {
  arch: string;
  parameters: number;
  batch: number;
  ours: TimedTraining;
  /** Null where TF.js was not run (no backend initialised). */
  tf: TimedTraining | null;
}

export interface SampleRow {
  arch: string;
  n: number;
  timed: Timed;
}

export interface LearnReport {
  adapter: AdapterReport;
  tf: TfReport & {
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
