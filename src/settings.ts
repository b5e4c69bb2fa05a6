/**
 * The one settings object: its type, defaults, validation and URL-hash codec. The GUI, the URL,
 * presets and the scripting API all read and write settings through `applyPatch`, so a value is
 * checked in one place and an invalid one never replaces the last good settings.
 */
import { DATASETS, type DatasetId } from './maths/datasets';
import {
  DEFAULT_SCHEDULE_PARAMS,
  SCHEDULES,
  scheduleProblem,
  type ScheduleId,
  type ScheduleParams,
} from './maths/schedules';

export const MODES = ['reverse', 'forward'] as const;
export const DENOISERS = ['exact', 'empirical'] as const;
export const SAMPLERS = ['ddpm', 'ddim', 'euler', 'heun'] as const;
export const DATASET_IDS = [...DATASETS, 'custom'] as const;

export type Mode = (typeof MODES)[number];
export type DenoiserId = (typeof DENOISERS)[number];
export type SamplerId = (typeof SAMPLERS)[number];

export interface Settings extends ScheduleParams {
  /** 'reverse': denoise from noise to data; 'forward': diffuse data into noise. */
  mode: Mode;
  dataset: DatasetId;
  /** Stored data points: the empirical denoiser's keys (at most this many from a file). */
  m: number;
  /** Particles. */
  n: number;
  /** Seed of every random draw: datasets, initial noise, step noise. */
  seed: number;
  denoiser: DenoiserId;
  sampler: SamplerId;
  schedule: ScheduleId;
  steps: number;
  /** DDIM's stochasticity: 0 deterministic, 1 ancestral (DDPM). */
  eta: number;
  /** Steps per animation frame (below 1: a step every few frames). */
  speed: number;
  /** Restart the run when it ends, after a short hold. */
  loop: boolean;
  /** Particle sprite diameter in CSS pixels, and brightness of the additive blend. */
  pointSize: number;
  brightness: number;
  /** Draw the dataset faintly behind the particles. */
  showData: boolean;
}

export const DEFAULTS: Readonly<Settings> = {
  mode: 'reverse',
  dataset: 'gaussians8',
  m: 10000,
  n: 50000,
  seed: 1,
  denoiser: 'exact',
  sampler: 'ddim',
  schedule: 'cosine',
  steps: 100,
  eta: 0,
  ...DEFAULT_SCHEDULE_PARAMS,
  speed: 1,
  loop: true,
  pointSize: 3,
  brightness: 1,
  showData: true,
};

export const LIMITS = {
  n: { min: 1, max: 16_777_216 },
  m: { min: 1, max: 100_000 },
  steps: { min: 1, max: 10_000 },
  seed: { min: 0, max: 4_294_967_295 },
  eta: { min: 0, max: 1 },
  speed: { min: 0.01, max: 1000 },
  pointSize: { min: 0.5, max: 32 },
  brightness: { min: 0.01, max: 20 },
} as const;

type Key = keyof Settings;
const CHOICES: Partial<Record<Key, readonly string[]>> = {
  mode: MODES,
  dataset: DATASET_IDS,
  denoiser: DENOISERS,
  sampler: SAMPLERS,
  schedule: SCHEDULES,
};
const INTEGERS: readonly Key[] = ['n', 'm', 'steps', 'seed'];

export const SETTING_KEYS = Object.keys(DEFAULTS) as Key[];

export function isSettingKey(key: string): key is Key {
  return Object.hasOwn(DEFAULTS, key);
}

/** The first reason a single value is invalid, or null. `limits.n` may lower the particle cap. */
function valueProblem(key: Key, value: unknown, maxN: number): string | null {
  const expected = typeof DEFAULTS[key];
  if (typeof value !== expected)
    return `${key} must be a ${expected}, not ${JSON.stringify(value)}`;
  const choices = CHOICES[key];
  if (choices && !choices.includes(value as string)) {
    return `unknown ${key} '${String(value)}' (one of: ${choices.join(', ')})`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${key} must be a finite number`;
    if (INTEGERS.includes(key) && !Number.isInteger(value)) return `${key} must be an integer`;
    const range = (LIMITS as Record<string, { min: number; max: number } | undefined>)[key];
    const max = key === 'n' ? maxN : range?.max;
    if (range && (value < range.min || value > (max ?? Infinity))) {
      return `${key} must be between ${range.min} and ${max}, not ${value}`;
    }
  }
  return null;
}

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
  for (const id of SCHEDULES) {
    const problem = scheduleProblem(id, next);
    if (problem) return { ok: false, error: `${id} schedule: ${problem}` };
  }
  return { ok: true, settings: next, changed };
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
