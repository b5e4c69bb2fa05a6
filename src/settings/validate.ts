/**
 * Validation of settings: each value's schema, and `applyPatch`, which merges a patch and checks
 * the result as a whole. Every writer of the settings goes through it.
 */
import type { Dataset } from '../maths/datasets';
import { classCounts } from '../maths/guidance';
import { imageShapeOf, isImageDataset } from '../maths/imageDatasets';
import { MAX_CLASSES } from '../maths/learn/network';
import { unetArchOf, unetProblem } from '../maths/learn/unet';
import { SCHEDULES, scheduleProblem } from '../maths/schedules';
import { classCount } from './classes';
import { compareWithPatch } from './compare';
import { boolean, number, oneOf, record, refine, string, type Schema } from './schema';
import {
  CHOICES,
  DEFAULTS,
  IMAGE_BATCH_DEFAULT,
  IMAGE_BATCH_MAX,
  INTEGERS,
  isSettingKey,
  settingKeyOf,
  LIMITS,
  PANELS,
  SAMPLERS,
  SETTING_KEYS,
  splitList,
  type Settings,
} from './settings';

type Key = keyof Settings;

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
export function valueProblem(key: Key, value: unknown, maxN: number): string | null {
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
  for (const [named, value] of Object.entries(patch)) {
    const key = settingKeyOf(named);
    if (!isSettingKey(key)) return { ok: false, error: `unknown setting '${named}'` };
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
  // A new dataset without the class: back to all classes (a class asked for with it is checked).
  if (next.class >= classCount(next.dataset) && !Object.hasOwn(patch, 'class')) {
    next.class = -1;
    if (!changed.includes('class')) changed.push('class');
  }
  if (next.follow >= next.n && next.follow !== -1) {
    next.follow = -1;
    if (!changed.includes('follow')) changed.push('follow');
  }
  for (const id of SCHEDULES) {
    const problem = scheduleProblem(id, next);
    if (problem) return { ok: false, error: `${id} schedule: ${problem}` };
  }
  const problem = learnedProblem(next) ?? conditionProblem(next) ?? listsProblem(next);
  if (problem) return { ok: false, error: problem };
  return { ok: true, settings: next, changed };
}

/**
 * What the learned denoiser cannot do: give MALA an energy. On images it is the U-Net: an
 * architecture those images cannot take (levels that cannot halve them, say) is refused.
 */
export function learnedProblem(s: Readonly<Settings>): string | null {
  if (s.denoiser === 'learned' && s.mode === 'langevin' && s.langevin === 'mala')
    return 'MALA needs the energy U(x) for its accept test, and the learned network gives only the score: pick ula, underdamped, annealed or pc, or another denoiser';
  if (isImageDataset(s.dataset) && (s.denoiser === 'learned' || s.training)) {
    const arch = unetArchOf(s.unetChannels, s.unetLevels, s.modelTarget);
    const shape = imageShapeOf(s.dataset);
    const problem = unetProblem(arch, { ...shape });
    if (problem)
      return `the U-Net (unetChannels ${s.unetChannels}, unetLevels ${s.unetLevels}) on ${s.dataset}: ${problem}`;
  }
  return null;
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

/** The guidance interval "lo,hi" as numbers, or null when it is not two numbers 0 <= lo <= hi <= 1. */
export function guidanceInterval(text: string): [number, number] | null {
  const parts = text.split(',').map((v) => v.trim());
  if (parts.length !== 2 || parts.some((v) => v === '')) return null;
  const [lo, hi] = parts.map(Number) as [number, number];
  return lo >= 0 && lo <= hi && hi <= 1 ? [lo, hi] : null;
}

/** What class conditioning and guidance cannot take: a class the data has not, or no class denoiser. */
export function conditionProblem(s: Readonly<Settings>): string | null {
  if (!guidanceInterval(s.guidanceInterval))
    return `guidanceInterval must be two numbers lo,hi with 0 <= lo <= hi <= 1, not "${s.guidanceInterval}"`;
  if (s.class === -1) return null;
  const classes = classCount(s.dataset);
  if (classes === 0) {
    const images = isImageDataset(s.dataset) ? ' (of the images, mnist and shapes have)' : '';
    const custom =
      s.dataset === 'custom'
        ? ' (your points: load a file with a label or class column, or [x, y, label] in JSON)'
        : '';
    return `class must be -1 (all): ${s.dataset} has no class labels${images}${custom}, not class ${s.class}`;
  }
  if (s.class >= classes)
    return `class ${s.class} is out of range for ${s.dataset}: it has ${classes} classes, 0 to ${classes - 1} (or -1 for all)`;
  if (s.denoiser === 'gaussian')
    return `the gaussian denoiser takes no class: pick exact, empirical, smoothed or learned, or class -1 (all)`;
  if (s.denoiser === 'learned' && s.labelDropout < 1 && classCount(s.dataset) > MAX_CLASSES)
    return `a learned network takes at most ${MAX_CLASSES} classes, and ${s.dataset} has ${classCount(s.dataset)}: pick another denoiser, or class -1 (all) with labelDropout 1`;
  if (s.denoiser === 'learned' && s.labelDropout >= 1)
    return `the learned ${isImageDataset(s.dataset) ? 'U-Net' : 'network'} has no class input (labelDropout 1: every label dropped): set labelDropout below 1, e.g. 0.1, to train it class-conditional, or pick class -1 (all)`;
  return null;
}

/**
 * A class of which the data holds no stored point, where the denoiser is one over the stored
 * points (empirical, smoothed, or exact without a mixture): its conditional denoiser would be a
 * softmax over nothing (NaN). Checked where the data is made (the sandbox), not by applyPatch.
 */
export function emptyClassProblem(
  s: Readonly<Settings>,
  dataset: Pick<Dataset, 'labels' | 'mixture'>,
): string | null {
  if (s.class === -1 || (s.denoiser === 'exact' && dataset.mixture)) return null;
  if ((classCounts(dataset, s.class + 1)[s.class] ?? 0) > 0) return null;
  const exact = dataset.mixture ? ', or the exact denoiser (the mixture)' : '';
  return `class ${s.class} has no stored points among the M = ${s.m} of ${s.dataset} (seed ${s.seed}): raise M, or pick another class${exact}`;
}

/** The compare run's settings: the compareWith patch over these, or the reason it is invalid. */
export function compareSettings(settings: Readonly<Settings>): PatchResult {
  const read = compareWithPatch(settings);
  if (!read.ok) return read;
  const result = applyPatch({ ...settings, compare: false, compareWith: '' }, read.patch);
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

/**
 * What a setting takes, in words, from the same tables its schema is made of: its id and its
 * choices, or its range and whether it is whole (the panel's tooltips).
 */
export function describeSetting(key: Key): string {
  const choices = CHOICES[key];
  if (choices) return `${key}: one of ${choices.join(', ')}`;
  const expected = typeof DEFAULTS[key];
  if (expected === 'boolean') return `${key}: true or false`;
  if (expected === 'string') return `${key}: text`;
  const range = (LIMITS as Record<string, { min: number; max: number } | undefined>)[key];
  const kind = INTEGERS.includes(key) ? 'a whole number' : 'a number';
  const power = key === 'sweepN' ? ', a power of two' : '';
  return range
    ? `${key}: ${kind} from ${range.min} to ${range.max}${power}`
    : `${key}: ${kind}, checked together with the schedule's other parameters`;
}
