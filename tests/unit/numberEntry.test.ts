/** What a panel number field passes on: the value typed, as the API would be given it. */
import { describe, expect, test } from 'vitest';
import { applyPatch } from '../../src/settings/validate';
import { DEFAULTS } from '../../src/settings/settings';
import { typedValue } from '../../src/ui/numberEntry';

describe('typedValue', () => {
  test('numbers are read whole, not clamped, snapped or cut at the first bad character', () => {
    expect(typedValue('0')).toBe(0);
    expect(typedValue(' 2.5 ')).toBe(2.5);
    expect(typedValue('-4')).toBe(-4);
    expect(typedValue('1e3')).toBe(1000);
    // parseFloat (lil-gui's reading) would make these 12 and 3.
    expect(typedValue('12abc')).toBe('12abc');
    expect(typedValue('3,5')).toBe('3,5');
    expect(typedValue('')).toBe('');
  });

  test('what is typed meets the API message: steps = 0, 2.5 and text are refused as configure refuses them', () => {
    const refused = (text: string): string => {
      const result = applyPatch(DEFAULTS, { steps: typedValue(text) });
      return result.ok ? 'accepted' : result.error;
    };
    expect(refused('0')).toMatch(/^steps must be between 1 and \d+, not 0$/);
    expect(refused('2.5')).toBe('steps must be an integer, not 2.5');
    expect(refused('ten')).toBe('steps must be a number, not "ten"');
  });
});
