/**
 * The float64 path straightness (src/maths/straightness.ts) on paths whose L / D - 1 is known in
 * closed form: a straight path, a right angle, a quarter circle inscribed by k chords, a path
 * that returns to its start, and a particle that never moves. Exact up to float64 rounding.
 */
import { describe, expect, test } from 'vitest';
import { DEGENERATE, pathStraightness } from '../../src/maths/straightness';

/** Positions of n = 1 particle in 2D along the given points. */
const along = (points: [number, number][]): Float64Array[] =>
  points.map(([x, y]) => Float64Array.of(x, y));

describe('pathStraightness', () => {
  test('a straight path, steps of any size along one line: excess 0', () => {
    const r = pathStraightness(
      along([
        [0, 0],
        [0.1, 0.2],
        [1, 2],
        [3, 6],
      ]),
      1,
    );
    expect(r.excess[0]).toBeCloseTo(0, 14);
    expect(r.length[0]).toBeCloseTo(3 * Math.sqrt(5), 14);
    expect(r.mean).toBeCloseTo(0, 14);
  });

  test('a right angle: L = 2, D = sqrt 2, excess sqrt 2 - 1', () => {
    const r = pathStraightness(
      along([
        [0, 0],
        [1, 0],
        [1, 1],
      ]),
      1,
    );
    expect(r.excess[0]).toBeCloseTo(Math.SQRT2 - 1, 14);
  });

  test('a quarter circle by k chords: k sin(pi / 4k) / sin(pi / 4) - 1, to pi / (2 sqrt 2) - 1', () => {
    for (const k of [1, 2, 10, 1000]) {
      const pts = Array.from({ length: k + 1 }, (_, i): [number, number] => {
        const a = ((Math.PI / 2) * i) / k;
        return [Math.cos(a), Math.sin(a)];
      });
      const r = pathStraightness(along(pts), 1);
      const want = (k * Math.sin(Math.PI / (4 * k))) / Math.sin(Math.PI / 4) - 1;
      expect(r.excess[0]).toBeCloseTo(want, 12);
    }
  });

  test('several particles in R^d: the mean over those counted; back at the start or still: left out', () => {
    const dim = 4;
    // Particle 0: a right angle in coordinates 2 and 3; 1: out and back; 2: never moves;
    // 3: straight along all four coordinates.
    const x0 = Float64Array.of(0, 0, 0, 0, 5, 5, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0);
    const x1 = Float64Array.of(0, 0, 1, 0, 6, 5, 5, 5, 1, 1, 1, 1, 1, 1, 1, 1);
    const x2 = Float64Array.of(0, 0, 1, 1, 5, 5, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2);
    const r = pathStraightness([x0, x1, x2], 4, dim);
    expect(Array.from(r.counted)).toEqual([1, 0, 0, 1]);
    expect(r.excess[1]).toBe(0);
    expect(r.length[1]).toBe(2);
    expect(r.mean).toBeCloseTo((Math.SQRT2 - 1 + 0) / 2, 14);
  });

  test('D just above and at DEGENERATE L: counted, then not', () => {
    // Out by 1 and back by 1 - d: L = 2 - d, D = d.
    const counts = (d: number): number =>
      pathStraightness(
        along([
          [0, 0],
          [1, 0],
          [d, 0],
        ]),
        1,
      ).counted[0]!;
    expect(counts(1.01 * DEGENERATE * 2)).toBe(1);
    expect(counts(0.99 * DEGENERATE * 2)).toBe(0);
  });

  test('no particle counts (before any step): the mean is NaN', () => {
    expect(pathStraightness(along([[1, 2]]), 1).mean).toBeNaN();
  });
});
