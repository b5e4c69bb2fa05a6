/**
 * Named settings patches: the classic configurations of the papers, and the user's own (kept in
 * local storage and in JSON files). A preset is applied with `configure`, like any other patch.
 */
import { check, object, optional, record, string } from './schema';
import { isSettingKey, SETTING_KEYS, type Settings } from './settings';
import { PATCH } from './validate';

export interface Preset {
  name: string;
  patch: Partial<Settings>;
}

/** The classics, each as its paper ran it, scaled to 2D data where the paper's images differ. */
export const PRESETS: readonly Preset[] = [
  {
    name: 'DDPM 1000 linear',
    patch: {
      sampler: 'ddpm',
      schedule: 'linear',
      steps: 1000,
      grid: 'linspace',
      ztsnr: false,
      betaMin: 0.1,
      betaMax: 20,
    },
  },
  {
    name: 'DDIM 50 cosine',
    patch: {
      sampler: 'ddim',
      eta: 0,
      schedule: 'cosine',
      steps: 50,
      grid: 'linspace',
      ztsnr: false,
      cosineS: 0.008,
    },
  },
  {
    name: 'EDM Heun 18 Karras',
    patch: {
      sampler: 'heun',
      schedule: 'karras',
      steps: 18,
      sigmaMin: 0.002,
      sigmaMax: 10,
      rho: 7,
    },
  },
  {
    name: 'DPM-Solver++ 10',
    patch: {
      sampler: 'dpmpp2m',
      schedule: 'karras',
      steps: 10,
      sigmaMin: 0.002,
      sigmaMax: 10,
      rho: 7,
    },
  },
  {
    name: 'Euler-Maruyama 500 linear',
    patch: { sampler: 'em', schedule: 'linear', steps: 500, grid: 'linspace', ztsnr: false },
  },
  {
    name: 'Zero terminal SNR, trailing',
    patch: {
      sampler: 'ddim',
      eta: 0,
      schedule: 'linear',
      steps: 50,
      grid: 'trailing',
      ztsnr: true,
    },
  },
];

/** Keys a saved preset leaves out: how the page is embedded is not part of a run. */
const NOT_SAVED = new Set<keyof Settings>(['hide']);

/** The settings worth saving as a preset: everything but embedding. */
export function presetOf(settings: Readonly<Settings>): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (!NOT_SAVED.has(key)) out[key] = settings[key];
  return out;
}

const STORE = 'diffusion-sandbox:presets';

/** The user's presets from local storage (none if it is unavailable or corrupt). */
export function loadUserPresets(storage: Storage | undefined): Preset[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(STORE) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isPreset) : [];
  } catch {
    return [];
  }
}

export function saveUserPresets(storage: Storage | undefined, presets: readonly Preset[]): void {
  storage?.setItem(STORE, JSON.stringify(presets));
}

const PRESET = object({ name: string, patch: PATCH });

export function isPreset(value: unknown): value is Preset {
  return PRESET(value, 'preset') === null;
}

/**
 * A preset file: {name, settings} as written by `presetFile`, or a bare settings object (with a
 * name beside the settings, if it likes).
 */
export function parsePresetFile(text: string, fileName: string): Preset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fileName}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (record(parsed, 'file') !== null) {
    throw new Error(`${fileName}: expected a JSON object of settings`);
  }
  const file = parsed as Record<string, unknown>;
  const { name, ...bare } = file;
  const settings = Object.hasOwn(file, 'settings') ? file.settings : bare;
  check(optional(string), name, 'name', fileName);
  check(PATCH, settings, 'settings', fileName);
  const patch = settings as Record<string, unknown>;
  const unknown = Object.keys(patch).filter((k) => !isSettingKey(k));
  if (unknown.length) throw new Error(`${fileName}: unknown setting '${unknown[0]!}'`);
  return { name: (name as string | undefined) ?? fileName.replace(/\.json$/i, ''), patch };
}

export function presetFile(name: string, settings: Readonly<Settings>): string {
  return JSON.stringify({ name, settings: presetOf(settings) }, null, 2);
}
