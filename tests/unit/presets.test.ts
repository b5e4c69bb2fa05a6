/** Presets: the classics are valid patches, and saved presets round-trip through a file. */
import { describe, expect, test } from 'vitest';
import { parsePresetFile, PRESETS, presetFile, presetOf } from '../../src/settings/presets';
import { DEFAULTS } from '../../src/settings/settings';
import { applyPatch } from '../../src/settings/validate';

describe('presets', () => {
  test('every built-in preset applies cleanly over the defaults and changes what it names', () => {
    for (const preset of PRESETS) {
      const result = applyPatch(DEFAULTS, preset.patch);
      expect(result.ok, preset.name).toBe(true);
      if (result.ok)
        for (const [k, v] of Object.entries(preset.patch))
          expect(result.settings[k as keyof typeof DEFAULTS]).toBe(v);
    }
    const names = PRESETS.map((p) => p.name);
    for (const name of [
      'DDPM 1000 linear',
      'DDIM 50 cosine',
      'EDM Heun 18 Karras',
      'DPM-Solver++ 10',
    ])
      expect(names).toContain(name);
  });

  test('a saved preset file loads back to the same settings, without the embedding keys', () => {
    const settings = { ...DEFAULTS, sampler: 'heun' as const, steps: 33, hide: 'gui' };
    const file = presetFile('mine', settings);
    const preset = parsePresetFile(file, 'mine.json');
    expect(preset.name).toBe('mine');
    expect(preset.patch).toEqual(presetOf(settings));
    expect('hide' in preset.patch).toBe(false);
    const result = applyPatch(DEFAULTS, preset.patch);
    expect(result.ok && result.settings).toEqual({ ...settings, hide: '' });
  });

  test('bad preset files are refused with the file name and the reason', () => {
    expect(() => parsePresetFile('{"sampler": ', 'a.json')).toThrow(/a\.json: not JSON/);
    expect(() => parsePresetFile('[1, 2]', 'b.json')).toThrow(/b\.json: expected a JSON object/);
    expect(() => parsePresetFile('{"settings": {"warp": 9}}', 'c.json')).toThrow(
      /c\.json: unknown setting 'warp'/,
    );
    expect(() => parsePresetFile('{"toString": 1}', 'd.json')).toThrow(
      /unknown setting 'toString'/,
    );
    expect(() => parsePresetFile('{"settings": 5}', 'e.json')).toThrow(
      new Error('e.json: settings must be an object, not 5'),
    );
  });

  test('a name that is not a string is refused as such, in either shape of file', () => {
    for (const text of ['{"name": 42, "settings": {"steps": 10}}', '{"name": 42, "steps": 10}'])
      expect(() => parsePresetFile(text, 'f.json')).toThrow(
        new Error('f.json: name must be a string, not 42'),
      );
    expect(() => parsePresetFile('{"name": null, "steps": 10}', 'f.json')).toThrow(
      new Error('f.json: name must be a string, not null'),
    );
    // A bare settings object may carry its name beside the settings.
    expect(parsePresetFile('{"name": "mine", "steps": 10}', 'g.json')).toEqual({
      name: 'mine',
      patch: { steps: 10 },
    });
  });
});
