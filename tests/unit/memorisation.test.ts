/** The memorisation summary of the GPU's nearest records (src/maths/memorisation.ts). */
import { describe, expect, test } from 'vitest';
import {
  memorisationOf,
  memorisedFraction,
  nearestTwo,
  NEAREST_RECORD_BYTES,
} from '../../src/maths/memorisation';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

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

describe('nearestTwo (2D, by a grid)', () => {
  test('the two nearest stored points of each query, as brute force finds them', () => {
    const rng = new Rng(SEED, 907);
    for (const m of [1, 2, 3, 17, 400]) {
      const points = Float64Array.from({ length: 2 * m }, () => 3 * rng.normal());
      // Queries inside, at and far outside the points' box, and on a point itself.
      const queries = Float64Array.from({ length: 2 * 60 }, (_, i) =>
        i < 80 ? 4 * rng.normal() : 40 * (rng.uniform() - 0.5),
      );
      queries[0] = points[0]!;
      queries[1] = points[1]!;
      const d = nearestTwo(points, queries);
      for (let q = 0; q < 60; q++) {
        const all = Array.from(
          { length: m },
          (_, j) =>
            (points[2 * j]! - queries[2 * q]!) ** 2 +
            (points[2 * j + 1]! - queries[2 * q + 1]!) ** 2,
        ).sort((a, b) => a - b);
        expect(d[2 * q]).toBe(all[0]);
        expect(d[2 * q + 1]).toBe(all[1] ?? Infinity);
      }
    }
  });

  test('memorisedFraction: copies of stored points count, fresh draws of a dense set rarely', () => {
    const rng = new Rng(SEED, 908);
    const points = Float64Array.from({ length: 2 * 50 }, () => rng.normal());
    expect(memorisedFraction(points, points)).toBe(1);
    // Half copies (memorised), half far between two points (d1 = d2: not memorised).
    const samples = Float64Array.from([points[0]!, points[1]!, 100, 100]);
    const two = Float64Array.from([0, 0, 1, 0]);
    expect(memorisedFraction(Float64Array.from([0, 0, 0.5, 0]), two)).toBe(0.5);
    expect(memorisedFraction(samples.subarray(0, 2), points)).toBe(1);
  });
});
