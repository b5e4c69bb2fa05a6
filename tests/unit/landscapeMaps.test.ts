/**
 * The physics view's maps (src/maths/landscapeMaps.ts), whose TSL twins draw the 3D surface, the
 * quiver and the trails: the height map shows wells whole (strictly increasing, nothing clamped),
 * arrows never reach their neighbours, and a trail breaks only at a jump. Random landscapes from
 * the run's seed.
 */
import { describe, expect, test } from 'vitest';
import {
  ARROW_CAP,
  ARROW_DECADES,
  ARROW_FLOOR,
  arrowLength,
  arrowLevel,
  quiverColour,
  surfaceLevel,
  trailSegmentDrawn,
  TRAIL_BREAK,
} from '../../src/maths/landscapeMaps';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

const rng = new Rng(SEED, 97);

describe(`landscape maps (SEED=${SEED})`, () => {
  test('the height map runs 0 to 1 over the grid, strictly increasing, with no energy cut flat', () => {
    for (let trial = 0; trial < 20; trial++) {
      // Ranges from a broad basin (a few units) to sharp wells at small sigma (hundreds).
      const eMin = -50 + 100 * rng.uniform();
      const eMax = eMin + 10 ** (4 * rng.uniform() - 0.5);
      expect(surfaceLevel(eMin, eMin, eMax)).toBe(0);
      expect(surfaceLevel(eMax, eMin, eMax)).toBeCloseTo(1, 12);
      // Strictly increasing on a fine sweep from below the grid's least (particles deeper than
      // the grid sees) to past its greatest (particles off the grid): a clamp anywhere, as the
      // old 10-unit span, gives two equal heights.
      const lo = eMin - 5;
      const hi = eMax + 2 * (eMax - eMin);
      const flat: number[] = [];
      let previous = -Infinity;
      for (let k = 0; k <= 4000; k++) {
        const e = lo + ((hi - lo) * k) / 4000;
        const h = surfaceLevel(e, eMin, eMax);
        if (!(h > previous)) flat.push(e);
        previous = h;
      }
      expect(flat).toEqual([]);
      // The slope is continuous at eMin (the reflection below it joins without a kink).
      const d = 1e-6;
      const left = surfaceLevel(eMin, eMin, eMax) - surfaceLevel(eMin - d, eMin, eMax);
      const right = surfaceLevel(eMin + d, eMin, eMax) - surfaceLevel(eMin, eMin, eMax);
      expect(Math.abs(left / right - 1)).toBeLessThan(1e-5);
    }
  });

  test('a well 10 units deep under a plateau 700 units up keeps a third of the height', () => {
    // gaussians8 at t = 0.05: wells of a few units, the grid's corners some 700 units up. A
    // linear map would give the well 1.4% of the height; the old clamp, all of it and a flat top.
    const h = surfaceLevel(10, 0, 700);
    expect(h).toBeGreaterThan(1 / 3);
    expect(h).toBeLessThan(1 / 2);
    expect(surfaceLevel(100, 0, 700)).toBeGreaterThan(h + 0.25);
  });

  test('arrows grow with |score| on a log scale and stay inside their cell', () => {
    const spacing = 0.35;
    const top = 10 ** (6 * rng.uniform() - 2);
    let previous = 0;
    for (let k = 0; k <= 200; k++) {
      const magnitude = top * 10 ** (-ARROW_DECADES - 1 + ((ARROW_DECADES + 1) * k) / 200);
      const len = arrowLength(magnitude, top, spacing);
      expect(len).toBeGreaterThanOrEqual(previous);
      // Centred on its point: half of it either side, under half the spacing.
      expect(len / 2).toBeLessThan(spacing / 2);
      previous = len;
    }
    expect(arrowLength(top, top, spacing)).toBeCloseTo(ARROW_CAP * spacing, 12);
    expect(arrowLength(top * 1e-9, top, spacing)).toBeCloseTo(ARROW_FLOOR * ARROW_CAP * spacing);
    // One decade is 1 / ARROW_DECADES of the scale, wherever it is.
    expect(arrowLevel(top / 10, top)).toBeCloseTo(1 - 1 / ARROW_DECADES, 12);
    expect(arrowLevel(top / 100, top) - arrowLevel(top / 1000, top)).toBeCloseTo(
      1 / ARROW_DECADES,
      12,
    );
  });

  test('the quiver ramp rises evenly in lightness from a cool tint to a warm one', () => {
    const lstar = (c: [number, number, number]) => {
      const y = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
      return 116 * Math.cbrt(y) - 16;
    };
    for (let k = 0; k <= 10; k++) expect(lstar(quiverColour(k / 10))).toBeCloseTo(50 + 5 * k, 9);
    const [r0, , b0] = quiverColour(0);
    const [r1, , b1] = quiverColour(1);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
  });

  test('a trail breaks at a jump and nowhere else', () => {
    const side = 8.4;
    const limit = TRAIL_BREAK * side;
    for (let k = 0; k < 100; k++) {
      const a: [number, number] = [rng.uniform() * 4 - 2, rng.uniform() * 4 - 2];
      const angle = 2 * Math.PI * rng.uniform();
      const at = (r: number): [number, number] => [
        a[0] + r * Math.cos(angle),
        a[1] + r * Math.sin(angle),
      ];
      expect(trailSegmentDrawn(a, at(limit * 0.99), side)).toBe(true);
      expect(trailSegmentDrawn(a, at(limit * 1.01), side)).toBe(false);
    }
  });
});
