/**
 * The custom schedule's curve (src/maths/logSnrCurve.ts): its text form, its checks, and linear
 * interpolation, against values worked out by hand and an independent linear scan.
 */
import { describe, expect, test } from 'vitest';
import {
  CURVE_DECIMALS,
  CURVE_LAMBDA_MAX,
  curveProblem,
  evaluateCurve,
  formatCurve,
  parseCurve,
  type CurvePoint,
} from '../../src/maths/logSnrCurve';

const pts = (...pairs: [number, number][]): CurvePoint[] =>
  pairs.map(([t, lambda]) => ({ t, lambda }));

/** A small seeded generator (LCG, Numerical Recipes constants) for random curves. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random valid curve: sorted t in (0, 1) between the ends, lambda falling from 20 to -20. */
function randomCurve(next: () => number, n: number): CurvePoint[] {
  const ts = Array.from({ length: n - 2 }, () => next()).sort((a, b) => a - b);
  const lambdas = Array.from({ length: n }, () => 40 * next() - 20).sort((a, b) => b - a);
  return [0, ...ts, 1].map((t, i) => ({ t, lambda: lambdas[i]! }));
}

describe('parseCurve', () => {
  test('reads "t:lambda" pairs in order', () => {
    expect(parseCurve('0:6,0.5:0,1:-6')).toEqual(pts([0, 6], [0.5, 0], [1, -6]));
  });

  test('allows spaces, signs, leading dots and exponents', () => {
    expect(parseCurve(' 0 : +6.5 , .25:1e-3,  1:-2.5E1 ')).toEqual(
      pts([0, 6.5], [0.25, 0.001], [1, -25]),
    );
  });

  test('keeps the order and values it is given, valid or not (curveProblem judges)', () => {
    expect(parseCurve('1:3,0:5')).toEqual(pts([1, 3], [0, 5]));
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['0:6,', /point 2 '': expected "t:lambda"/],
    ['0:6,,1:-6', /point 2 '': expected "t:lambda"/],
    ['0-6,1:-6', /point 1 '0-6': expected "t:lambda"/],
    ['0:6:1,1:-6', /point 1 '0:6:1': expected "t:lambda"/],
    ['0:6,1:', /point 2 '1:': lambda '' is not a number/],
    ['0:6,a:-6', /point 2 'a:-6': t 'a' is not a number/],
    ['0:0x10,1:-6', /lambda '0x10' is not a number/],
    ['0:Infinity,1:-6', /lambda 'Infinity' is not a number/],
    ['0:NaN,1:-6', /lambda 'NaN' is not a number/],
    ['0:6,1:-6e', /lambda '-6e' is not a number/],
    ['0:6;1:-6', /point 1/],
    ['0:1 2,1:-6', /lambda '1 2' is not a number/],
  ];
  test.each(bad)('rejects %j with a clear message', (text, message) => {
    expect(() => parseCurve(text)).toThrow(message);
  });
});

describe('formatCurve', () => {
  test('writes the shortest text for short numbers', () => {
    expect(formatCurve(pts([0, 6], [0.5, 0], [1, -6]))).toBe('0:6,0.5:0,1:-6');
    expect(formatCurve(pts([0, 12.25], [0.125, -0.5], [1, -20]))).toBe('0:12.25,0.125:-0.5,1:-20');
  });

  test(`rounds to ${CURVE_DECIMALS} decimals, and never writes -0`, () => {
    expect(CURVE_DECIMALS).toBe(4);
    expect(formatCurve(pts([0, 1 / 3], [1 / 7, -2 / 3], [1, -1e-7]))).toBe(
      '0:0.3333,0.1429:-0.6667,1:0',
    );
  });

  test('round-trips exactly: parse(format(p)) is p rounded, and format is then fixed', () => {
    const next = lcg(12345);
    for (let trial = 0; trial < 500; trial++) {
      const p = randomCurve(next, 2 + Math.floor(next() * 10));
      const text = formatCurve(p);
      const q = parseCurve(text);
      expect(q).toHaveLength(p.length);
      for (const [i, point] of q.entries()) {
        // Within half a unit of the last decimal of the original...
        expect(Math.abs(point.t - p[i]!.t)).toBeLessThanOrEqual(0.5e-4 + 1e-15);
        expect(Math.abs(point.lambda - p[i]!.lambda)).toBeLessThanOrEqual(0.5e-4 + 1e-12);
        // ... and a number with at most 4 decimals.
        expect(Math.abs(point.lambda * 1e4 - Math.round(point.lambda * 1e4))).toBeLessThan(1e-6);
      }
      // The rounded values themselves survive the trip bit for bit.
      expect(formatCurve(q)).toBe(text);
      expect(parseCurve(formatCurve(q))).toEqual(q);
    }
  });

  test('round-trips through a URL hash (URLSearchParams encodes ":" and ",")', () => {
    const next = lcg(7);
    for (let trial = 0; trial < 100; trial++) {
      const text = formatCurve(randomCurve(next, 2 + Math.floor(next() * 8)));
      const params = new URLSearchParams();
      params.set('customCurve', text);
      params.set('schedule', 'custom');
      const hash = `#${params.toString()}`;
      expect(hash).not.toContain(':');
      const back = new URLSearchParams(hash.slice(1)).get('customCurve');
      expect(back).toBe(text);
      expect(parseCurve(back!)).toEqual(parseCurve(text));
    }
  });
});

describe('curveProblem', () => {
  test('accepts the default curve, a straight line and the extremes', () => {
    expect(curveProblem(parseCurve('0:6,0.5:0,1:-6'))).toBeNull();
    expect(curveProblem(pts([0, 1], [1, -1]))).toBeNull();
    expect(curveProblem(pts([0, 20], [0.5, 20], [0.7, -20], [1, -20]))).toBeNull();
    expect(CURVE_LAMBDA_MAX).toBe(20);
  });

  const bad: [string, CurvePoint[], RegExp][] = [
    ['no points', [], /at least 2 points, not 0/],
    ['one point', pts([0, 1]), /at least 2 points, not 1/],
    ['first t not 0', pts([0.1, 1], [1, -1]), /first point must be at t = 0, not t = 0.1/],
    ['last t not 1', pts([0, 1], [0.9, -1]), /last point must be at t = 1, not t = 0.9/],
    ['last t beyond 1', pts([0, 1], [1, 0], [1.5, -1]), /last point must be at t = 1/],
    ['repeated t', pts([0, 1], [0.5, 0], [0.5, -0.5], [1, -1]), /t must increase: point 3/],
    ['t going back', pts([0, 1], [0.6, 0], [0.4, -0.5], [1, -1]), /t must increase: point 3/],
    ['lambda rising', pts([0, 1], [0.5, 2], [1, -1]), /lambda must not increase.*point 2/],
    ['lambda too high', pts([0, 21], [1, -1]), /point 1: lambda 21 is outside \[-20, 20\]/],
    ['lambda too low', pts([0, 1], [1, -20.5]), /point 2: lambda -20.5 is outside/],
    ['NaN lambda', pts([0, NaN], [1, -1]), /point 1: t and lambda must be finite/],
    ['infinite t', pts([0, 1], [Infinity, -1]), /point 2: t and lambda must be finite/],
    ['flat', pts([0, 2], [0.5, 2], [1, 2]), /must fall from t = 0 to t = 1/],
  ];
  test.each(bad)('rejects %s', (_, points, message) => {
    expect(curveProblem(points)).toMatch(message);
  });
});

describe('evaluateCurve', () => {
  const DEFAULT = parseCurve('0:6,0.5:0,1:-6');
  const OTHER = pts([0, 9], [0.2, 4], [0.7, -1.5], [1, -9]);

  test('is exact at the points', () => {
    for (const curve of [DEFAULT, OTHER]) {
      for (const p of curve) expect(evaluateCurve(curve, p.t)).toBe(p.lambda);
    }
  });

  test('interpolates linearly: values worked out by hand', () => {
    expect(evaluateCurve(DEFAULT, 0.25)).toBe(3);
    expect(evaluateCurve(DEFAULT, 0.75)).toBe(-3);
    expect(evaluateCurve(DEFAULT, 0.1)).toBeCloseTo(4.8, 14);
    expect(evaluateCurve(OTHER, 0.1)).toBeCloseTo(6.5, 14);
    expect(evaluateCurve(OTHER, 0.45)).toBeCloseTo(1.25, 14);
    expect(evaluateCurve(OTHER, 0.85)).toBeCloseTo(-5.25, 14);
  });

  test('holds the end values outside [0, 1]', () => {
    expect(evaluateCurve(OTHER, -0.5)).toBe(9);
    expect(evaluateCurve(OTHER, 2)).toBe(-9);
  });

  test('matches a linear scan on random curves, and never increases', () => {
    const next = lcg(99);
    for (let trial = 0; trial < 50; trial++) {
      const curve = randomCurve(next, 2 + Math.floor(next() * 30));
      let prev = Infinity;
      let worst = 0;
      let rises = 0;
      for (let i = 0; i <= 2000; i++) {
        const t = i / 2000;
        let j = 1;
        while (curve[j]!.t < t) j++;
        const a = curve[j - 1]!;
        const b = curve[j]!;
        const want = a.lambda + ((t - a.t) * (b.lambda - a.lambda)) / (b.t - a.t);
        const got = evaluateCurve(curve, t);
        worst = Math.max(worst, Math.abs(got - want));
        if (got > prev) rises++;
        prev = got;
      }
      expect(worst).toBeLessThan(1e-11);
      expect(rises).toBe(0);
    }
  });
});
