/** A training run's settings and what is wrong with them (pure: the Trainer and the page share it). */
import { archProblem, MAX_BATCH, WEIGHTINGS, type NetworkArch, type Weighting } from './network';
import { levelAt, TRAIN_STEPS, type ScheduleId, type ScheduleParams } from '../schedules';
import { unetProblem, type ImageFormat, type UNetArch } from './unet';

/** The training grid's (alpha, sigma) pairs at t_k = (k + 1) / T of a schedule (T = TRAIN_STEPS). */
export function trainingLevels(id: ScheduleId, p: ScheduleParams): Float32Array<ArrayBuffer> {
  const levels = new Float32Array(2 * TRAIN_STEPS);
  for (let k = 0; k < TRAIN_STEPS; k++) {
    const l = levelAt(id, p, (k + 1) / TRAIN_STEPS);
    levels[2 * k] = l.alpha;
    levels[2 * k + 1] = l.sigma;
  }
  return levels;
}

export interface TrainSettings {
  arch: NetworkArch;
  batch: number;
  lr: number;
  weightDecay: number;
  emaDecay: number;
  /** The gradient's largest norm (clip_grad_norm_); 0 for no clipping. */
  maxGradNorm: number;
  weighting: Weighting;
  /** The initial weights' and the batches' seed. */
  seed: number;
  /**
   * A class-conditional network's label dropout: the share of training rows whose class is
   * dropped, which train the unconditional model classifier-free guidance needs (Ho & Salimans
   * 2022 use 0.1 to 0.2). Absent: 0.
   */
  labelDropout?: number;
}

export function trainProblem(s: TrainSettings): string | null {
  const drop = s.labelDropout ?? 0;
  if (!(drop >= 0 && drop <= 1)) return `label dropout must be 0 to 1, not ${drop}`;
  return archProblem(s.arch) ?? optimiserProblem(s, MAX_BATCH);
}

/** The image U-Net's training settings: its architecture and the images it is made for. */
export interface UNetTrainSettings extends Omit<TrainSettings, 'arch'> {
  arch: UNetArch;
  image: ImageFormat;
}

/** Most images in a training batch of the U-Net. */
export const MAX_IMAGE_BATCH = 1024;

export function unetTrainProblem(s: UNetTrainSettings): string | null {
  return unetProblem(s.arch, s.image) ?? optimiserProblem(s, MAX_IMAGE_BATCH);
}

/** What is wrong with a run's batch and optimiser settings, whatever its network, or null. */
function optimiserProblem(s: Omit<TrainSettings, 'arch'>, maxBatch: number): string | null {
  if (!Number.isInteger(s.batch) || s.batch < 1 || s.batch > maxBatch)
    return `batch must be 1 to ${maxBatch}, not ${s.batch}`;
  if (!(s.lr > 0 && s.lr < 1)) return `learning rate must be in (0, 1), not ${s.lr}`;
  if (!(s.weightDecay >= 0 && s.weightDecay * s.lr < 1)) return `weight decay ${s.weightDecay}`;
  if (!(s.emaDecay >= 0 && s.emaDecay < 1)) return `EMA decay must be in [0, 1), not ${s.emaDecay}`;
  if (!(s.maxGradNorm >= 0)) return `gradient clip ${s.maxGradNorm}`;
  if (!WEIGHTINGS.includes(s.weighting)) return `loss weighting ${s.weighting as string}`;
  return null;
}
