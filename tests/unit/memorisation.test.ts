/** The memorisation summary of the GPU's nearest records (src/maths/memorisation.ts). */
import { describe, expect, test } from 'vitest';
import { memorisationOf, NEAREST_RECORD_BYTES } from '../../src/maths/memorisation';

function records(pairs: [number, number][]): ArrayBuffer {
  const bytes = new ArrayBuffer(NEAREST_RECORD_BYTES * pairs.length);
  const f = new Float32Array(bytes);
  const u = new Uint32Array(bytes);
  pairs.forEach(([d1, d2], i) => {
    f[4 * i] = d1;
    f[4 * i + 1] = d2;
    u[4 * i + 2] = i;
  });
  return bytes;
}

describe('memorisationOf', () => {
  test('counts d1 / d2 < 1/3 in distance (1/9 squared), with the median ratio and RMS distance', () => {
    // Squared distances: ratios 0.1, 0.5, 0.3, 1 (distance 0.3 is memorised, 1/3 exactly is not).
    const m = memorisationOf(
      records([
        [0.01, 1],
        [1, 4],
        [0.09, 1],
        [4, 4],
      ]),
      4,
      4,
    );
    expect(m.memorised).toBeCloseTo(0.5, 12);
    expect(m.ratio).toBeCloseTo(0.4, 6);
    expect(m.distance).toBeCloseTo((0.05 + 0.5 + 0.15 + 1) / 4, 6);
    expect(m.nonFinite).toBe(0);
  });

  test('non-finite records are counted apart and left out of the statistics', () => {
    const m = memorisationOf(
      records([
        [NaN, 1],
        [0.01, 1],
        [Infinity, Infinity],
      ]),
      3,
      1,
    );
    expect(m.nonFinite).toBe(2);
    expect(m.memorised).toBeCloseTo(1 / 3, 12);
    expect(m.ratio).toBeCloseTo(0.1, 6);
  });
});
