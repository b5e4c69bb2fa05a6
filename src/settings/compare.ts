/**
 * compareWith: the patch that lane B (compare mode) applies over the settings. This file is its
 * one reader and writer; validate.ts judges the settings it makes.
 */
import { decodeHash } from './hash';
import type { Settings } from './settings';

type Key = keyof Settings;

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

/** The patch compareWith asks for, or why it may not: an unknown key, or one lane B cannot change. */
export function compareWithPatch(
  settings: Readonly<Settings>,
): { ok: true; patch: Record<string, unknown> } | { ok: false; error: string } {
  const { patch, unknown } = decodeHash(settings.compareWith);
  if (unknown.length) return { ok: false, error: `compareWith: unknown setting '${unknown[0]!}'` };
  const outside = Object.keys(patch).find((k) => !COMPARE_KEYS.includes(k as Key));
  if (outside)
    return {
      ok: false,
      error: `compareWith cannot change ${outside} (only ${COMPARE_KEYS.join(', ')})`,
    };
  return { ok: true, patch };
}

/** compareWith with one key of lane B set to `value`, the others as they are in `settings`. */
export function withCompareKey(
  settings: Readonly<Settings>,
  key: Key,
  value: Settings[Key],
): string {
  const { patch } = decodeHash(settings.compareWith);
  patch[key] = value;
  return new URLSearchParams(Object.entries(patch).map(([k, v]) => [k, String(v)])).toString();
}
