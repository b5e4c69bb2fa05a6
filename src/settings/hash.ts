/** The URL-hash codec of the settings: only keys that differ from the defaults, typed on decode. */
import { DEFAULTS, isSettingKey, SETTING_KEYS, settingKeyOf, type Settings } from './settings';

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
  for (const [named, raw] of new URLSearchParams(hash.replace(/^#/, ''))) {
    const key = settingKeyOf(named);
    if (!isSettingKey(key)) {
      unknown.push(named);
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
