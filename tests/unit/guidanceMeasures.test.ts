/**
 * The guidance sweep's readings against a class's points (src/maths/guidanceMeasures.ts), on
 * clouds whose answers are known exactly: a square lattice (every spacing h), samples on the
 * points, beyond them, and shifted along the outward direction.
 */
import { describe, expect, test } from 'vitest';
import {
  classFit,
  classPoints,
  offDataRadius,
  outward,
  quantile,
} from '../../src/maths/guidanceMeasures';

/** A k x k lattice of spacing h about (cx, cy), x and y interleaved. */
function lattice(k: number, h: number, cx: number, cy: number): Float32Array {
  const out = new Float32Array(2 * k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      out[2 * (i * k + j)] = cx + h * (i - (k - 1) / 2);
      out[2 * (i * k + j) + 1] = cy + h * (j - (k - 1) / 2);
    }
  return out;
}

describe('guidance measures', () => {
  test('classPoints keeps the points of one label, in order', () => {
    const points = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(classPoints(points, [1, 0, 1, 2], 1))).toEqual([0, 1, 4, 5]);
  });

  test('quantile is the order statistic at floor(q (n - 1))', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(4);
    expect(quantile([5, 1, 4, 2, 3], 1)).toBe(5);
  });

  test("a lattice's off-data radius is its spacing", () => {
    expect(offDataRadius(lattice(10, 0.25, 1, 0))).toBeCloseTo(0.25, 6);
  });

  test('samples on the points, past the radius, and shifted outwards', () => {
    // The data: the class about (2, 0), another about (-2, 0); outward is +x.
    const own = lattice(8, 0.125, 2, 0);
    const data = Float32Array.from([...own, ...lattice(8, 0.125, -2, 0)]);
    const direction = outward(data, own)!;
    expect(direction.u[0]).toBeCloseTo(1, 12);
    expect(direction.u[1]).toBeCloseTo(0, 12);
    const radius = offDataRadius(own);
    const on = classFit(own, own, radius, direction);
    expect(on).toEqual({ nearest: 0, offData: 0, overshoot: expect.closeTo(0, 6) as number });
    // Shifted by half a spacing along x: every sample 1/16 from a point, overshoot 1/16.
    const shifted = own.map((v, i) => (i % 2 === 0 ? v + 0.0625 : v));
    const fit = classFit(shifted, own, radius, direction);
    expect(fit.nearest).toBeCloseTo(0.0625, 6);
    expect(fit.offData).toBe(0);
    expect(fit.overshoot).toBeCloseTo(0.0625, 6);
    // Far out, and not finite: off the data.
    const far = Float32Array.from([10, 0, 2, 0, NaN, 0, 2, 0.0625]);
    expect(classFit(far, own, radius, direction).offData).toBe(0.5);
  });

  test('no outward direction when the class is centred on the data (concentric rings)', () => {
    const inner = lattice(4, 0.1, 0, 0);
    const data = Float32Array.from([...inner, ...lattice(8, 0.4, 0, 0)]);
    expect(outward(data, inner)).toBeNull();
    expect(classFit(inner, inner, 0.1, null).overshoot).toBeNaN();
  });
});
