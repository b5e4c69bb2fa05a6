/**
 * The one settings object: its type, defaults and limits. The GUI, the URL, presets and the
 * scripting API all read and write it through `applyPatch` (validate.ts), so a value is checked
 * in one place and an invalid one never replaces the last good settings.
 */
import { DATASETS, type DatasetId } from '../maths/datasets';
import {
  DEFAULT_ARCH,
  MAX_BATCH,
  MAX_DEPTH,
  MAX_STEPS,
  MAX_WIDTH,
  TARGETS,
  WEIGHTINGS,
  type Target,
  type Weighting,
} from '../maths/learn/network';
import { IMAGE_DATASETS, type ImageDatasetId } from '../maths/imageDatasets';
import { MAX_IMAGE_BATCH } from '../maths/learn/training';
import { DEFAULT_UNET, UNET_LIMITS } from '../maths/learn/unet';
import {
  DEFAULT_SCHEDULE_PARAMS,
  SCHEDULES,
  GRIDS,
  type ScheduleId,
  type ScheduleParams,
} from '../maths/schedules';

export const MODES = ['reverse', 'forward', 'langevin'] as const;
export const REC_FORMATS = ['mp4', 'webm'] as const;
export const REC_RESOLUTIONS = ['canvas', '720p', '1080p', 'square1080'] as const;
export const REC_QUALITIES = ['very-low', 'low', 'medium', 'high', 'very-high'] as const;
export type RecFormat = (typeof REC_FORMATS)[number];
export type RecResolution = (typeof REC_RESOLUTIONS)[number];
export type RecQuality = (typeof REC_QUALITIES)[number];
/** Langevin samplers (../shared/docs/maths.md section 4). */
export const LANGEVIN = ['ula', 'mala', 'underdamped', 'annealed', 'pc'] as const;
export type LangevinId = (typeof LANGEVIN)[number];
/** How the particles are seen: flat, or riding on the energy landscape in 3D. */
export const VIEWS = ['2d', '3d'] as const;
/** What the landscape behind the particles shows: nothing, U_t(x), or the density p_t(x). */
export const LANDSCAPES = ['off', 'energy', 'density'] as const;
export type ViewId = (typeof VIEWS)[number];
export type LandscapeId = (typeof LANDSCAPES)[number];
/** What the arrows show: the score of p_t, or the probability-flow velocity dx/dt (score in Langevin). */
export const ARROW_FIELDS = ['score', 'velocity'] as const;
export type ArrowField = (typeof ARROW_FIELDS)[number];
/**
 * exact: the mixture's posterior mean where the data is a mixture, else the empirical one;
 * empirical: the ideal denoiser of the stored points (memorises); smoothed: that denoiser averaged
 * over Gaussian perturbations of its input (Scarvelis et al. 2023), strength `smoothing`;
 * gaussian: the exact denoiser of a Gaussian fitted to the data (generalises, blurrily);
 * learned: the 2D score network trained live on the stored points (src/maths/learn/network.ts).
 */
export const DENOISERS = ['exact', 'empirical', 'smoothed', 'gaussian', 'learned'] as const;
export const SAMPLERS = ['ddpm', 'ddim', 'euler', 'heun', 'em', 'dpmpp2m'] as const;
export const DATASET_IDS = [...DATASETS, 'custom', ...IMAGE_DATASETS] as const;
/** Images per batch in image modes (n), at most, and the batch a switch to images starts with. */
export const IMAGE_BATCH_MAX = 1024;
export const IMAGE_BATCH_DEFAULT = 64;
/** Training images of an image dataset at most: all of MNIST's 10,000. */
export const IMAGE_M_MAX = 10_000;
/** Monte Carlo draws of the smoothed denoiser per evaluation. */
export const SMOOTHING_DRAWS = 4;

export type Mode = (typeof MODES)[number];
export type DenoiserId = (typeof DENOISERS)[number];
export type SamplerId = (typeof SAMPLERS)[number];

export interface Settings extends ScheduleParams {
  /** 'reverse': denoise from noise to data; 'forward': diffuse data into noise. */
  mode: Mode;
  /** A 2D point dataset, or an image dataset (mnist, shapes, colour, images). */
  dataset: DatasetId | ImageDatasetId;
  /** Stored data points (training images): the empirical denoiser's keys. */
  m: number;
  /** Particles; for image datasets, the batch of images (at most IMAGE_BATCH_MAX). */
  n: number;
  /** Seed of every random draw: datasets, initial noise, step noise. */
  seed: number;
  denoiser: DenoiserId;
  /**
   * Class conditioning (src/maths/guidance.ts): the class the exact, empirical and smoothed
   * denoisers keep (datasetClasses: 0 to classes - 1), or -1 for all; the guidance w, x0_hat =
   * x0_uncond + w (x0_cond - x0_uncond) (no effect with class -1); and the interval of t where it
   * applies, "lo,hi" (w = 1, the conditional denoiser alone, outside it).
   */
  class: number;
  guidance: number;
  guidanceInterval: string;
  /** The smoothed denoiser's strength: the std of the noise added to its input. */
  smoothing: number;
  sampler: SamplerId;
  schedule: ScheduleId;
  steps: number;
  /** DDIM's stochasticity: 0 deterministic, 1 ancestral (DDPM). */
  eta: number;
  /**
   * A deliberate model error, x0_hat <- (1 + errorScale) x0_hat + errorBias e + errorNoise z:
   * how samplers tolerate an imperfect denoiser.
   */
  errorScale: number;
  errorBias: number;
  errorNoise: number;
  /** Langevin mode: the sampler, the temperature T (samples exp(-U / T)), the step size h, the
   * friction gamma (underdamped), the noise level t of the energy U = -log p_t, and for annealed
   * and pc the corrector steps per level and the target signal-to-noise ratio. */
  langevin: LangevinId;
  temperature: number;
  stepSize: number;
  gamma: number;
  noiseLevel: number;
  correctorSteps: number;
  snr: number;
  /** Compare mode: a second run, this patch over the settings, side by side in lockstep by t. */
  compare: boolean;
  compareWith: string;
  /** Quality-vs-NFE sweep: samplers, schedules and NFE values, comma-separated; particles. */
  sweepSamplers: string;
  sweepSchedules: string;
  sweepNfe: string;
  sweepN: number;
  /** Clips: container, size, frame rate, quality, steps per video frame, whole run or from
   * now, frames held on the first and last frame, and the overlays drawn into the video. */
  recFormat: RecFormat;
  recResolution: RecResolution;
  recFps: number;
  recQuality: RecQuality;
  recStepsPerFrame: number;
  recWholeRun: boolean;
  recHoldFirst: number;
  recHoldLast: number;
  recCaption: boolean;
  recChart: boolean;
  /** Embedding: panels to hide, comma-separated from 'gui', 'charts', 'hud'. */
  hide: string;
  /** Steps per animation frame (below 1: a step every few frames). */
  speed: number;
  /** Restart the run when it ends, after a short hold. */
  loop: boolean;
  /** Particle sprite diameter in CSS pixels, and brightness of the additive blend. */
  pointSize: number;
  brightness: number;
  /** Draw the dataset faintly behind the particles. */
  showData: boolean;
  /** The physics view: 2D or 3D, the landscape behind the particles, arrows (of `arrowField`) on
   * a grid, trails of the last `trails` positions of `trailParticles` particles (0: none), the
   * live observables' charts, and the marginal histograms against the target's. */
  view: ViewId;
  landscape: LandscapeId;
  arrows: boolean;
  arrowField: ArrowField;
  trails: number;
  trailParticles: number;
  observables: boolean;
  marginals: boolean;
  /** Image datasets: side panels of x0_hat and of each sample's nearest training image, and the
   * image followed large with its filmstrip (-1: none). */
  showX0hat: boolean;
  showNearest: boolean;
  follow: number;
  /**
   * The learned denoiser (src/maths/learn/network.ts): its hidden width, residual blocks and
   * prediction target (their change makes a fresh network), the loss's weighting over t, and its
   * training on the GPU: on or paused, optimiser steps per animation frame, batch size, learning
   * rate and the decay of the EMA the particles sample with.
   */
  modelWidth: number;
  modelDepth: number;
  modelTarget: Target;
  lossWeighting: Weighting;
  training: boolean;
  trainSpeed: number;
  trainBatch: number;
  trainLr: number;
  emaDecay: number;
  /**
   * Classifier-free guidance's label dropout (Ho & Salimans 2022): below 1, the 2D network is
   * class-conditional on the data's labels, and this share of its training rows drop their class
   * (training the unconditional model guidance mixes in; 0.1 to 0.2 is usual). 1: every label
   * dropped, a network with no class input. A change across 1 makes a fresh network.
   */
  labelDropout: number;
  /**
   * The image U-Net (src/maths/learn/unet.ts), the learned denoiser of image datasets: channels
   * on its top level (2x below), its resolution levels (its change makes a fresh network), and
   * its training batch of images. Its target, weighting, learning rate and EMA are the ones above.
   */
  unetChannels: number;
  unetLevels: number;
  unetBatch: number;
}

export const DEFAULTS: Readonly<Settings> = {
  mode: 'reverse',
  dataset: 'gaussians8',
  m: 10000,
  n: 50000,
  seed: 1,
  denoiser: 'exact',
  class: -1,
  guidance: 1,
  guidanceInterval: '0,1',
  smoothing: 0.3,
  sampler: 'ddim',
  schedule: 'cosine',
  steps: 100,
  eta: 0,
  ...DEFAULT_SCHEDULE_PARAMS,
  errorScale: 0,
  errorBias: 0,
  errorNoise: 0,
  langevin: 'ula',
  temperature: 1,
  stepSize: 0.001,
  gamma: 1,
  noiseLevel: 0.05,
  correctorSteps: 1,
  snr: 0.16,
  compare: false,
  compareWith: 'sampler=heun&schedule=karras&steps=18',
  sweepSamplers: 'ddim,euler,heun,dpmpp2m',
  sweepSchedules: 'cosine,karras',
  sweepNfe: '1,2,5,10,20,50,100,200,500,1000',
  sweepN: 4096,
  speed: 1,
  loop: true,
  pointSize: 3,
  brightness: 1,
  showData: true,
  recFormat: 'mp4',
  recResolution: '1080p',
  recFps: 60,
  recQuality: 'high',
  recStepsPerFrame: 1,
  recWholeRun: true,
  recHoldFirst: 30,
  recHoldLast: 60,
  recCaption: true,
  recChart: false,
  hide: '',
  view: '2d',
  landscape: 'off',
  arrows: false,
  arrowField: 'score',
  trails: 0,
  trailParticles: 256,
  observables: true,
  marginals: false,
  showX0hat: true,
  showNearest: true,
  follow: -1,
  modelWidth: DEFAULT_ARCH.width,
  modelDepth: DEFAULT_ARCH.depth,
  modelTarget: DEFAULT_ARCH.target,
  lossWeighting: 'none',
  training: false,
  trainSpeed: 8,
  trainBatch: 1024,
  trainLr: 1e-3,
  emaDecay: 0.995,
  labelDropout: 1,
  unetChannels: DEFAULT_UNET.channels,
  unetLevels: DEFAULT_UNET.levels,
  unetBatch: 32,
};

export const LIMITS = {
  n: { min: 1, max: 16_777_216 },
  m: { min: 1, max: 100_000 },
  steps: { min: 1, max: 10_000 },
  seed: { min: 0, max: 4_294_967_295 },
  eta: { min: 0, max: 1 },
  temperature: { min: 0.01, max: 100 },
  stepSize: { min: 1e-7, max: 10 },
  gamma: { min: 0, max: 100 },
  noiseLevel: { min: 0.001, max: 1 },
  correctorSteps: { min: 1, max: 100 },
  snr: { min: 0.001, max: 10 },
  errorScale: { min: -1, max: 1 },
  errorBias: { min: -2, max: 2 },
  errorNoise: { min: 0, max: 2 },
  sweepN: { min: 256, max: 4096 },
  recFps: { min: 1, max: 120 },
  recStepsPerFrame: { min: 1, max: 1000 },
  recHoldFirst: { min: 0, max: 600 },
  recHoldLast: { min: 0, max: 600 },
  speed: { min: 0.01, max: 1000 },
  pointSize: { min: 0.5, max: 32 },
  brightness: { min: 0.01, max: 20 },
  trails: { min: 0, max: 256 },
  trailParticles: { min: 1, max: 4096 },
  smoothing: { min: 0, max: 10 },
  class: { min: -1, max: 24 },
  guidance: { min: 0, max: 20 },
  follow: { min: -1, max: 1023 },
  modelWidth: { min: 8, max: MAX_WIDTH },
  modelDepth: { min: 0, max: MAX_DEPTH },
  trainSpeed: { min: 1, max: MAX_STEPS },
  trainBatch: { min: 16, max: MAX_BATCH },
  trainLr: { min: 1e-6, max: 0.1 },
  emaDecay: { min: 0, max: 0.9999 },
  labelDropout: { min: 0, max: 1 },
  unetChannels: { min: 4, max: UNET_LIMITS.channels },
  unetLevels: { min: 1, max: UNET_LIMITS.levels },
  unetBatch: { min: 1, max: MAX_IMAGE_BATCH },
} as const;

type Key = keyof Settings;
export const CHOICES: Partial<Record<Key, readonly string[]>> = {
  mode: MODES,
  dataset: DATASET_IDS,
  denoiser: DENOISERS,
  sampler: SAMPLERS,
  schedule: SCHEDULES,
  grid: GRIDS,
  langevin: LANGEVIN,
  recFormat: REC_FORMATS,
  recResolution: REC_RESOLUTIONS,
  recQuality: REC_QUALITIES,
  view: VIEWS,
  landscape: LANDSCAPES,
  arrowField: ARROW_FIELDS,
  modelTarget: TARGETS,
  lossWeighting: WEIGHTINGS,
};
export const INTEGERS: readonly Key[] = [
  'n',
  'm',
  'steps',
  'seed',
  'sweepN',
  'correctorSteps',
  'recFps',
  'recStepsPerFrame',
  'recHoldFirst',
  'recHoldLast',
  'trails',
  'trailParticles',
  'follow',
  'class',
  'modelWidth',
  'modelDepth',
  'trainSpeed',
  'trainBatch',
  'unetChannels',
  'unetLevels',
  'unetBatch',
];

export const SETTING_KEYS = Object.keys(DEFAULTS) as Key[];

export function isSettingKey(key: string): key is Key {
  return Object.hasOwn(DEFAULTS, key);
}

/** Other names a setting answers to in patches and links: `target`, the and PyTorch's. */
export const ALIASES: Readonly<Record<string, Key>> = { target: 'modelTarget' };

/** The setting a patch's or link's key names (itself, or the one it is an alias of). */
export const settingKeyOf = (key: string): string =>
  Object.hasOwn(ALIASES, key) ? ALIASES[key]! : key;

export const PANELS = ['gui', 'charts', 'hud'] as const;

/** Splits a comma-separated list, ignoring blanks. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
