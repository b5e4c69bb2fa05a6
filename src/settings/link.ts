/** The settings a link opens, validated as a whole, with what was left out and why. */
import { decodeHash } from './hash';
import { DEFAULTS, LIMITS, type Settings } from './settings';
import { applyPatch, valueProblem } from './validate';

type Key = keyof Settings;

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
