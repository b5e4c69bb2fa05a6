/** What `npm run bench:unet` asks of its page (page.ts, unetRun.ts) and what the page answers. */
import { DEFAULT_UNET, type ImageFormat, type UNetArch } from '../../src/maths/learn/unet';
import type { AdapterReport, BlockOptions, Timed, TfReport, TimedTraining } from './benchTypes';

/** A U-Net as the flags give it: a name and its sizes (the target is DEFAULT_UNET's). */
export interface UNetSpec {
  name: string;
  channels: number;
  levels: number;
  groups: number;
  frequencies: number;
}

/** The procedural image datasets the bench trains on (src/maths/imageDatasets.ts). */
export const UNET_DATASETS = ['shapes', 'colour'] as const;
export type UNetDataset = (typeof UNET_DATASETS)[number];

export interface UNetOptions extends BlockOptions {
  archs: UNetSpec[];
  dataset: UNetDataset;
  /** Images of the batches, training and forward alike. */
  batches: number[];
  /** Stored images the training batches are drawn from. */
  images: number;
  lr: number;
  seed: number;
}

export interface UNetArchRow {
  arch: string;
  /** Ours: the plan's (src/maths/learn/unet.ts); TF.js's: its variables' sizes summed. */
  parameters: number;
  tfParameters: number | null;
  /** Largest |TF forward - float64 forward| over the largest |float64 output|. */
  relError: number | null;
}

export interface UNetTrainRow {
  arch: string;
  batch: number;
  ours: TimedTraining;
  tf: TimedTraining | null;
}

/** Forward passes of the network over a batch (one NFE each). */
export interface UNetForwardRow {
  arch: string;
  batch: number;
  ours: Timed;
  tf: Timed | null;
}

export interface UNetReport {
  adapter: AdapterReport;
  image: ImageFormat;
  tf: TfReport;
  archs: UNetArchRow[];
  train: UNetTrainRow[];
  forward: UNetForwardRow[];
}

export const toUNetArch = (s: UNetSpec): UNetArch => ({
  channels: s.channels,
  levels: s.levels,
  groups: s.groups,
  frequencies: s.frequencies,
  target: DEFAULT_UNET.target,
});
