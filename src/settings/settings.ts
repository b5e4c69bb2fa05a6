/**
 * The one settings object: its type, defaults, validation and URL-hash codec. The GUI, the URL,
 * presets and the scripting API all read and write settings through `applyPatch`, so a value is
 * checked in one place and an invalid one never replaces the last good settings.
 */
import { DATASETS, type DatasetId } from '../maths/datasets';
import { IMAGE_DATASETS, isImageDataset, type ImageDatasetId } from '../maths/imageDatasets';
import {
  DEFAULT_SCHEDULE_PARAMS,
  GRIDS,
  SCHEDULES,
  scheduleProblem,
  type ScheduleId,
  type ScheduleParams,
} from '../maths/schedules';
import { boolean, number, oneOf, record, refine, string, type Schema } from './schema';

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
/**
 * exact: the mixture's posterior mean where the data is a mixture, else the empirical one;
 * empirical: the ideal denoiser of the stored points (memorises); smoothed: that denoiser averaged
 * over Gaussian perturbations of its input (Scarvelis et al. 2023), strength `smoothing`;
 * gaussian: the exact denoiser of a Gaussian fitted to the data (generalises, blurrily).
 */
export const DENOISERS = ['exact', 'empirical', 'smoothed', 'gaussian'] as const;
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
  /** The physics view: 2D or 3D, the landscape behind the particles, arrows of the score on a
   * grid, trails of the last `trails` positions of `trailParticles` particles (0: none), the
   * live observables' charts, and the marginal histograms against the target's. */
  view: ViewId;
  landscape: LandscapeId;
  arrows: boolean;
  trails: number;
  trailParticles: number;
  observables: boolean;
  marginals: boolean;
  /** Image datasets: side panels of x0_hat and of each sample's nearest training image, and the
   * image followed large with its filmstrip (-1: none). */
  showX0hat: boolean;
  showNearest: boolean;
  follow: number;
}

export const DEFAULTS: Readonly<Settings> = {
  mode: 'reverse',
  dataset: 'gaussians8',
  m: 10000,
  n: 50000,
  seed: 1,
  denoiser: 'exact',
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
  trails: 0,
  trailParticles: 256,
  observables: true,
  marginals: false,
  showX0hat: true,
  showNearest: true,
  follow: -1,
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
  follow: { min: -1, max: 1023 },
} as const;

type Key = keyof Settings;
const CHOICES: Partial<Record<Key, readonly string[]>> = {
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
};
const INTEGERS: readonly Key[] = [
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
];

export const SETTING_KEYS = Object.keys(DEFAULTS) as Key[];

export function isSettingKey(key: string): key is Key {
  return Object.hasOwn(DEFAULTS, key);
}

/** Sweeps and sweepN: 256 to 4096 particles, a power of two (the sliced-W2 reduction's sizes). */
const isPowerOfTwo = (v: number): boolean => (v & (v - 1)) === 0;

/** The schema of one setting's value; `maxN` may lower the particle cap (the GPU's). */
function settingSchema(key: Key, maxN: number = LIMITS.n.max): Schema {
  const choices = CHOICES[key];
  if (choices) return oneOf(choices);
  const expected = typeof DEFAULTS[key];
  if (expected === 'boolean') return boolean;
  if (expected === 'string') return string;
  const range = (LIMITS as Record<string, { min: number; max: number } | undefined>)[key];
  const schema = number({
    ...(range ? { min: range.min, max: key === 'n' ? maxN : range.max } : {}),
    integer: INTEGERS.includes(key),
  });
  return key === 'sweepN' ? refine(schema, isPowerOfTwo, 'a power of two') : schema;
}

/** Each setting's schema: what the GUI, the URL, presets and the API's options check against. */
export const SETTING_SCHEMAS: Readonly<Record<Key, Schema>> = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, settingSchema(key)]),
) as Record<Key, Schema>;

/** A settings patch: an object (its keys and values are applyPatch's to check). */
export const PATCH: Schema = record;

/** The first reason a single value is invalid, or null. `maxN` may lower the particle cap. */
function valueProblem(key: Key, value: unknown, maxN: number): string | null {
  const schema =
    key === 'n' && maxN !== LIMITS.n.max ? settingSchema('n', maxN) : SETTING_SCHEMAS[key];
  return schema(value, key);
}

/** One value of a sweep's NFE list (sweepNfe, and a scripted sweep's nfe). */
export const SWEEP_NFE: Schema = number({ min: 1, max: 10_000, integer: true });
/** The most NFE values one sweep may ask for. */
export const SWEEP_NFE_MAX = 40;

export type PatchResult =
  { ok: true; settings: Settings; changed: Key[] } | { ok: false; error: string };

/**
 * Merges a patch into settings and validates the result as a whole (sigmaMin < sigmaMax and the
 * like). Returns the new settings and the keys that changed, or the first problem.
 */
export function applyPatch(
  current: Readonly<Settings>,
  patch: Readonly<Partial<Settings>> | Readonly<Record<string, unknown>>,
  options: { maxParticles?: number } = {},
): PatchResult {
  const shape = PATCH(patch, 'patch');
  if (shape !== null) return { ok: false, error: shape };
  const next: Settings = { ...current };
  const changed: Key[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (!isSettingKey(key)) return { ok: false, error: `unknown setting '${key}'` };
    const problem = valueProblem(key, value, options.maxParticles ?? LIMITS.n.max);
    if (problem) return { ok: false, error: problem };
    if (next[key] !== value) {
      (next as unknown as Record<string, unknown>)[key] = value;
      changed.push(key);
    }
  }
  if (isImageDataset(next.dataset) && next.n > IMAGE_BATCH_MAX) {
    // n is the batch in image modes: a switch to images starts with a small batch, unless the
    // patch asked for one that is too big (judged on the patch's own n, changed or not).
    if (Object.hasOwn(patch, 'n'))
      return {
        ok: false,
        error: `n is the batch of images for ${next.dataset}: at most ${IMAGE_BATCH_MAX}, not ${next.n}`,
      };
    next.n = IMAGE_BATCH_DEFAULT;
    changed.push('n');
  }
  if (next.follow >= next.n && next.follow !== -1) {
    next.follow = -1;
    if (!changed.includes('follow')) changed.push('follow');
  }
  for (const id of SCHEDULES) {
    const problem = scheduleProblem(id, next);
    if (problem) return { ok: false, error: `${id} schedule: ${problem}` };
  }
  const problem = listsProblem(next);
  if (problem) return { ok: false, error: problem };
  return { ok: true, settings: next, changed };
}

/** Settings a compare-mode second run may change: how it samples, not what it samples. */
export const COMPARE_KEYS: readonly Key[] = [
  'sampler',
  'denoiser',
  'smoothing',
  'schedule',
  'steps',
  'eta',
  'betaMin',
  'betaMax',
  'cosineS',
  'sigmoidStart',
  'sigmoidEnd',
  'sigmoidTau',
  'sigmaMin',
  'sigmaMax',
  'rho',
  'grid',
  'ztsnr',
  'customCurve',
  'errorScale',
  'errorBias',
  'errorNoise',
];

export const PANELS = ['gui', 'charts', 'hud'] as const;

/** Splits a comma-separated list, ignoring blanks. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function listProblem(
  key: Key,
  text: string,
  allowed: readonly string[] | null,
  required: boolean,
): string | null {
  const items = splitList(text);
  if (required && items.length === 0) return `${key} needs at least one value`;
  for (const item of items) {
    if (allowed && !allowed.includes(item)) {
      return `${key}: unknown '${item}' (one of: ${allowed.join(', ')})`;
    }
  }
  return null;
}

/** The compare run's settings: the compareWith patch over these, or the reason it is invalid. */
export function compareSettings(settings: Readonly<Settings>): PatchResult {
  const { patch, unknown } = decodeHash(settings.compareWith);
  if (unknown.length) return { ok: false, error: `compareWith: unknown setting '${unknown[0]!}'` };
  const outside = Object.keys(patch).find((k) => !COMPARE_KEYS.includes(k as Key));
  if (outside)
    return {
      ok: false,
      error: `compareWith cannot change ${outside} (only ${COMPARE_KEYS.join(', ')})`,
    };
  const result = applyPatch({ ...settings, compare: false, compareWith: '' }, patch);
  return result.ok ? result : { ok: false, error: `compareWith: ${result.error}` };
}

/** Problems of the settings that hold lists. */
function listsProblem(s: Readonly<Settings>): string | null {
  const nfe = splitList(s.sweepNfe);
  const badNfe = nfe.find((v) => !/^\d+$/.test(v) || SWEEP_NFE(Number(v), 'nfe') !== null);
  return (
    listProblem('sweepSamplers', s.sweepSamplers, SAMPLERS, true) ??
    listProblem('sweepSchedules', s.sweepSchedules, SCHEDULES, true) ??
    listProblem('sweepNfe', s.sweepNfe, null, true) ??
    (badNfe !== undefined ? `sweepNfe: '${badNfe}' is not a whole number from 1 to 10000` : null) ??
    (nfe.length > SWEEP_NFE_MAX ? `sweepNfe: at most ${SWEEP_NFE_MAX} values` : null) ??
    listProblem('hide', s.hide, PANELS, false) ??
    compareWithProblem(s)
  );
}

/**
 * compareWith is checked as lane B would use it whether compare is on or off: a value kept while
 * compare is off would fail only when compare is ticked, and a link holding it could not be
 * opened as saved. Empty: lane B is lane A.
 */
function compareWithProblem(s: Readonly<Settings>): string | null {
  if (s.compareWith === '') return null;
  if (!s.compareWith.includes('=')) return 'compareWith must look like sampler=heun&steps=18';
  const result = compareSettings(s);
  return result.ok ? null : result.error;
}

/** The URL hash of the settings that differ from the defaults: a short, shareable link. */
export function encodeHash(settings: Readonly<Settings>): string {
  const params = new URLSearchParams();
  for (const key of SETTING_KEYS) {
    if (settings[key] !== DEFAULTS[key]) params.set(key, String(settings[key]));
  }
  return params.toString();
}

/** The patch a URL hash asks for, values typed as the defaults are; unknown keys are reported. */
export function decodeHash(hash: string): { patch: Record<string, unknown>; unknown: string[] } {
  const patch: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, raw] of new URLSearchParams(hash.replace(/^#/, ''))) {
    if (!isSettingKey(key)) {
      unknown.push(key);
      continue;
    }
    const expected = typeof DEFAULTS[key];
    patch[key] =
      expected === 'number'
        ? raw.trim() === ''
          ? NaN
          : Number(raw)
        : expected === 'boolean' && (raw === 'true' || raw === 'false')
          ? raw === 'true'
          : raw;
  }
  return { patch, unknown };
}

/** A key of a link that the settings it opens leave at its default, and why. */
export interface LinkProblem {
  key: Key;
  error: string;
}

/**
 * The settings a link opens: every key of the hash over the defaults, validated as a whole, so
 * that a valid state comes back as it was saved (sigmaMin=12&sigmaMax=30 is valid together, not
 * key by key over the defaults). A key that is unknown or invalid on its own is left out and
 * reported; if the rest is still not valid as a whole, keys are added back one at a time, each
 * kept while the whole stays valid, until no more fit, and those that never fit are reported.
 */
export function settingsFromHash(hash: string): {
  settings: Settings;
  unknown: string[];
  problems: LinkProblem[];
} {
  const { patch, unknown } = decodeHash(hash);
  const problems: LinkProblem[] = [];
  const valid: Partial<Record<Key, unknown>> = {};
  // decodeHash keeps only setting keys: the others are in `unknown`.
  for (const [key, value] of Object.entries(patch) as [Key, unknown][]) {
    const problem = valueProblem(key, value, LIMITS.n.max);
    if (problem) problems.push({ key, error: problem });
    else valid[key] = value;
  }
  const whole = applyPatch(DEFAULTS, valid);
  if (whole.ok) return { settings: whole.settings, unknown, problems };
  let settings: Settings = { ...DEFAULTS };
  const kept: Partial<Record<Key, unknown>> = {};
  const refused = new Map<Key, string>();
  let pending = Object.keys(valid) as Key[];
  for (let progress = true; progress;) {
    progress = false;
    pending = pending.filter((key) => {
      const result = applyPatch(DEFAULTS, { ...kept, [key]: valid[key] });
      if (!result.ok) refused.set(key, result.error);
      else {
        kept[key] = valid[key];
        settings = result.settings;
        progress = true;
      }
      return !result.ok;
    });
  }
  for (const key of pending) problems.push({ key, error: refused.get(key)! });
  return { settings, unknown, problems };
}
