/**
 * Groups of settings by what a change of them touches (the sandbox's applyPatch reads them): how
 * the runs are drawn, nothing the GPU runs, or the learned denoiser's network and training.
 */
import type { Settings } from './settings';

/** Settings that only change how the runs are drawn or paced, or what the page shows. */
export const STYLE_KEYS = new Set<keyof Settings>([
  'pointSize',
  'brightness',
  'showData',
  'view',
  'landscape',
  'arrows',
  'arrowField',
  'trails',
  'trailParticles',
  'showX0hat',
  'showNearest',
  'follow',
]);
/** Settings that change nothing the GPU runs (pace, panels, sweep and chart options). */
export const QUIET_KEYS = new Set<keyof Settings>([
  'speed',
  'loop',
  'hide',
  'sweepSamplers',
  'sweepSchedules',
  'sweepNfe',
  'sweepN',
  'observables',
  'marginals',
  'training',
  'trainSpeed',
]);
/** Settings of the learned denoiser's network and its training (the Model folder). */
export const MODEL_KEYS = new Set<keyof Settings>([
  'modelWidth',
  'modelDepth',
  'modelTarget',
  'lossWeighting',
  'trainBatch',
  'trainLr',
  'emaDecay',
  'labelDropout',
  'unetChannels',
  'unetLevels',
  'unetBatch',
]);
