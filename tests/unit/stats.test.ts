/**
 * Cloud statistics (src/maths/stats.ts): exact properties of the sliced Wasserstein distance (up to
 * float64 rounding bounded below), and moments and mode statistics against known distributions,
 * each statistical test at a false-failure rate of at most 1e-4 per run (zFor, tests/random.ts).
 */
import { describe, expect, test } from 'vitest';
import { datasetMixture, sampleMixture, type Mixture } from '../../src/maths/datasets';
import { Rng } from '../../src/maths/rng';
import {
  assignToModes,
  coordinate,
  correlation,
  energyDistance,
  ksStatistic,
  momentErrors,
  moments,
  normalCdf,
  slicedWasserstein2,
  wasserstein2SquaredSorted,
} from '../../src/maths/stats';
import { SEED, within, zFor } from '../random';

/** Fresh randomness per run; the seed is in the test names to replay a failure. */
const seed = SEED;
const rng = new Rng(seed, 77);

/** n points of N(mean, s^2 I). */
function gaussian(n: number, s: number, mean: [number, number] = [0, 0]): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = mean[0] + s * rng.normal();
    out[2 * i + 1] = mean[1] + s * rng.normal();
  }
  return out;
}

const map = (p: Float64Array, f: (v: number, i: number) => number): Float64Array => p.map(f);

/** Unit roundoff of float64. */
const U64 = 2 ** -53;
/** For the tests on clouds of 20000 points: seconds on a loaded 2-core machine, past the default 5 s. */
const HEAVY = { timeout: 60_000 };

/** Largest |coordinate| of the clouds. */
const maxAbs = (...clouds: Float64Array[]): number =>
  Math.max(...clouds.map((c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));

/**
 * Float64 rounding bound on slicedWasserstein2(a, b, P) = value: each projection c x + s y (c, s
 * themselves rounded) is off by <= 4u S, S the largest |coordinate|; sorting is 1-Lipschitz, so each
 * W2 moves by <= 8u S and SW2 by <= sqrt(2) 8u S; its sums of n + m and P nonnegative terms add
 * (n + m + P) u relative (Higham 2002, eq. 4.4), and the last ops a few u more.
 */
function sw2Rounding(a: Float64Array, b: Float64Array, P: number, value: number): number {
  const terms = a.length / 2 + b.length / 2 + P + 4;
  return 12 * U64 * maxAbs(a, b) + terms * U64 * value;
}

/**
 * |z| of a sample variance s2 of n normals of variance v, by Wilson-Hilferty: (s2 / v)^(1/3) is
 * normal with mean 1 - 2 / (9 nu) and variance 2 / (9 nu), nu = n - 1; its two-sided tails stay
 * within 1% of the chi-square's at nu >= 1000 and are below them (safe) for nu >= 50.
 */
function varianceZ(s2: number, v: number, n: number): number {
  const nu = n - 1;
  return Math.abs(Math.cbrt(s2 / v) - (1 - 2 / (9 * nu))) / Math.sqrt(2 / (9 * nu));
}

describe(`moments (SEED=${seed})`, () => {
  test('mean and unbiased covariance of a small cloud, by hand', () => {
    // Points (0, 0), (2, 0), (0, 2), (2, 2): mean (1, 1), variances 4/3, no correlation.
    const m = moments([0, 0, 2, 0, 0, 2, 2, 2]);
    expect(m.count).toBe(4);
    expect(m.mean).toEqual([1, 1]);
    expect(m.cov[0]).toBeCloseTo(4 / 3, 14);
    expect(m.cov[1]).toBeCloseTo(0, 14);
    expect(m.cov[2]).toBeCloseTo(4 / 3, 14);
    const line = moments([0, 0, 1, 2, 2, 4]);
    expect(line.cov).toEqual([1, 2, 4]);
  });

  test('far from the origin the covariance keeps its precision (two passes)', () => {
    const m = moments([1e8, 1e8 + 1, 1e8 + 2, 1e8 + 3]);
    expect(m.cov[0]).toBe(2);
    expect(m.cov[1]).toBe(2);
  });

  test('correlation of y = a x + b is sign(a)', () => {
    const n = 100;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    // float64: three sums of n same-signed terms, each within (n + 2) u relative; the rounding of
    // y moves r only to second order.
    const tol = 2 * (n + 4) * U64;
    const model = 'float64: r = sab / sqrt(saa sbb), each sum within (n + 2) u';
    const up = correlation(
      x,
      map(x, (v) => 3 * v + 1),
    );
    const down = correlation(
      x,
      map(x, (v) => -0.5 * v),
    );
    within(Math.abs(up - 1), tol, model);
    within(Math.abs(down + 1), tol, model);
  });
});

describe(`1D Wasserstein-2 by quantile matching (SEED=${seed})`, () => {
  test('two samples of different sizes, by hand', () => {
    // F_a^-1 = 0 on (0, 1/2), 1 on (1/2, 1); F_b^-1 = 0, 1/2, 1 on thirds: they differ by 1/2 on
    // (1/3, 2/3), so W2^2 = 1/4 * 1/3.
    expect(wasserstein2SquaredSorted([0, 1], [0, 0.5, 1])).toBeCloseTo(1 / 12, 15);
    expect(wasserstein2SquaredSorted([0, 0.5, 1], [0, 1])).toBeCloseTo(1 / 12, 15);
    // One point against many: the mean squared distance to it.
    expect(wasserstein2SquaredSorted([1], [0, 1, 2, 3])).toBeCloseTo((1 + 0 + 1 + 4) / 4, 15);
  });

  test('a sample repeated k times is the same measure', () => {
    const a = Float64Array.from({ length: 37 }, () => rng.normal()).sort();
    const b = Float64Array.from({ length: 3 * 37 }, (_, i) => a[Math.floor(i / 3)]!);
    expect(wasserstein2SquaredSorted(a, b)).toBe(0);
  });
});

describe(`sliced Wasserstein-2 (SEED=${seed})`, () => {
  const P = 64;
  const a = gaussian(3000, 1);
  const b = gaussian(2000, 0.7, [0.3, -0.2]);

  test('of a cloud with itself, or a shuffle of itself, is 0', () => {
    expect(slicedWasserstein2(a, a, P, seed)).toBe(0);
    const shuffled = new Float64Array(a.length);
    const order = Array.from({ length: a.length / 2 }, (_, i) => i).reverse();
    order.forEach((j, i) => {
      shuffled[2 * i] = a[2 * j]!;
      shuffled[2 * i + 1] = a[2 * j + 1]!;
    });
    expect(slicedWasserstein2(a, shuffled, P, seed)).toBe(0);
  });

  test('is symmetric, with clouds of different sizes', () => {
    const ab = slicedWasserstein2(a, b, P, seed);
    expect(ab).toBeGreaterThan(0);
    const ba = slicedWasserstein2(b, a, P, seed);
    within(
      Math.abs(ba - ab),
      2 * sw2Rounding(a, b, P, ab),
      'float64 rounding of both (sw2Rounding)',
    );
  });

  test('of a cloud and its translate by v is |v|, for any number of projections', () => {
    const v: [number, number] = [0.37, -1.21];
    const shifted = map(a, (x, i) => x + v[i % 2]!);
    const exact = Math.hypot(...v);
    for (const p of [2, 3, 16, P]) {
      const got = slicedWasserstein2(a, shifted, p, seed + p);
      // a + v is rounded once more: <= u S per coordinate, sqrt(2) 2u S on SW2.
      const tol = sw2Rounding(a, shifted, p, exact) + 3 * U64 * maxAbs(shifted);
      within(Math.abs(got - exact), tol, 'float64 rounding (sw2Rounding) of an exact identity');
    }
  });

  test('translating one of two clouds adds |v|^2 + 2 v.(mean_a - mean_b) to SW2^2', () => {
    // Per direction the quantile functions shift by v.theta, so W2^2 gains (v.theta)^2 plus
    // 2 (v.theta) (m_a - m_b).theta; averaged over the evenly spaced directions, times d = 2.
    const v: [number, number] = [-0.8, 0.45];
    const ma = moments(a).mean;
    const mb = moments(b).mean;
    const base = slicedWasserstein2(a, b, P, seed) ** 2;
    const moved = slicedWasserstein2(
      map(a, (x, i) => x + v[i % 2]!),
      b,
      P,
      seed,
    );
    const expected =
      base + v[0] ** 2 + v[1] ** 2 + 2 * (v[0] * (ma[0] - mb[0]) + v[1] * (ma[1] - mb[1]));
    const shifted = map(a, (x, i) => x + v[i % 2]!);
    // Squares double the relative rounding of each SW2 (sw2Rounding); the means are sums of n
    // terms, within n u S each.
    const tol =
      2 * Math.sqrt(base) * sw2Rounding(a, b, P, Math.sqrt(base)) +
      2 * moved * (sw2Rounding(shifted, b, P, moved) + 3 * U64 * maxAbs(shifted)) +
      4 * Math.hypot(...v) * (a.length / 2) * U64 * maxAbs(a, b);
    within(Math.abs(moved ** 2 - expected), tol, 'float64 rounding of an exact identity');
  });

  test('scales linearly: SW2(c a, c b) = |c| SW2(a, b), c of either sign', () => {
    const ab = slicedWasserstein2(a, b, P, seed);
    for (const c of [0.01, 2.5, -3]) {
      const ca = map(a, (x) => c * x);
      const cb = map(b, (x) => c * x);
      const got = slicedWasserstein2(ca, cb, P, seed);
      // Both sides' rounding (sw2Rounding), and c x rounded once: sqrt(2) 2u |c| S on SW2.
      const tol =
        sw2Rounding(ca, cb, P, got) +
        Math.abs(c) * sw2Rounding(a, b, P, ab) +
        3 * U64 * maxAbs(ca, cb);
      within(Math.abs(got - Math.abs(c) * ab), tol, 'float64 rounding of an exact identity');
    }
  });

  test('is seeded: the same seed gives the same value', () => {
    expect(slicedWasserstein2(a, b, 5, 123)).toBe(slicedWasserstein2(a, b, 5, 123));
  });

  /**
   * SW2 of samples of N(m1, s1^2 I) and N(m2, s2^2 I), n points each, around their W2: to first
   * order only the sample means and scales move it (the directions average 2 theta theta^T to I),
   * SE sqrt((s1^2 + s2^2) / n); the quantiles' shape noise adds a positive O(1 / n) to SW2^2,
   * bounded by the floor^2 (s1^2 + s2^2) / 2 of two samples of N(0, I), measured here.
   */
  const floors = new Map<number, number>();
  function sampledSw2Tolerance(n: number, s1: number, s2: number, w2: number): number {
    if (!floors.has(n)) floors.set(n, slicedWasserstein2(gaussian(n, 1), gaussian(n, 1), P, seed));
    const floor = floors.get(n)!;
    const shape = (floor ** 2 * (s1 ** 2 + s2 ** 2)) / 2 / (2 * w2);
    return zFor(1) * Math.sqrt((s1 ** 2 + s2 ** 2) / n) + shape;
  }

  test('between large samples of two Gaussians approaches their W2', HEAVY, () => {
    // W2(N(m1, s1^2 I), N(m2, s2^2 I)) = sqrt(|m1 - m2|^2 + 2 (s1 - s2)^2).
    const n = 20000;
    const x = gaussian(n, 1);
    const y = gaussian(n, 0.5, [1, 0.5]);
    const exact = Math.sqrt(1 + 0.25 + 2 * 0.25);
    within(
      Math.abs(slicedWasserstein2(x, y, P, seed) - exact),
      sampledSw2Tolerance(n, 1, 0.5, exact),
      'first order: SE sqrt((s1^2 + s2^2) / n), plus the shape noise (floor^2)',
    );
  });

  test('independent samples of one cloud, one translated by v, are |v| apart', HEAVY, () => {
    const n = 20000;
    const v: [number, number] = [0.6, 0.8];
    const x = gaussian(n, 1);
    const y = gaussian(n, 1, v);
    within(
      Math.abs(slicedWasserstein2(x, y, P, seed) - 1),
      sampledSw2Tolerance(n, 1, 1, 1),
      'first order: SE sqrt(2 / n), plus the shape noise (floor^2)',
    );
  });
});

describe(`energy distance (SEED=${seed})`, () => {
  test('is 0 for a cloud with itself, symmetric, positive otherwise', () => {
    const x = gaussian(300, 1);
    const y = gaussian(200, 1, [0.5, 0]);
    // 2 A - A - A is exact in floating point.
    expect(energyDistance(x, x)).toBe(0);
    // The V-statistic is a squared MMD (a negative-type kernel): > 0 for unequal samples.
    const xy = energyDistance(x, y);
    expect(xy).toBeGreaterThan(0);
    // The cross mean sums n m positive distances in another order: (n m) u relative on each, 4x
    // for the factor 2 and both orders; the self terms are the same sums; a few u for the rest.
    let cross = 0;
    for (let i = 0; i < 300; i++)
      for (let j = 0; j < 200; j++)
        cross += Math.hypot(x[2 * i]! - y[2 * j]!, x[2 * i + 1]! - y[2 * j + 1]!) / (300 * 200);
    const tol = (4 * 300 * 200 + 16) * U64 * 2 * cross;
    within(Math.abs(energyDistance(y, x) - xy), tol, 'float64 summation of n m distances');
  });

  test('of two single points is twice their distance', () => {
    expect(energyDistance([0, 0], [3, 4])).toBeCloseTo(10, 12);
  });
});

describe(`mode assignment (SEED=${seed})`, () => {
  // Three separated components of unequal weights and shapes (one correlated).
  const mixture: Mixture = {
    components: [
      { weight: 0.5, mean: [-2, 0], cov: [0.04, 0, 0.04] },
      { weight: 0.3, mean: [2, 0], cov: [0.09, 0.06, 0.16] },
      { weight: 0.2, mean: [0, 3], cov: [0.01, 0, 0.25] },
    ],
  };

  test('recovers the weights, means and covariances of a sampled mixture', () => {
    const n = 40000;
    const points = sampleMixture(mixture, n, new Rng(seed, 5));
    const { labels, modes } = assignToModes(points, mixture);
    expect(labels.length).toBe(n);
    // Six checks per component; the components are far apart (no point of 6e6 drawn assigned to
    // another).
    const z = zFor(6 * mixture.components.length);
    mixture.components.forEach((c, k) => {
      const m = modes[k]!;
      expect(m.count).toBe(Math.round(m.weight * n));
      const seW = Math.sqrt((c.weight * (1 - c.weight)) / n);
      within(Math.abs(m.weight - c.weight), z * seW, 'binomial share: SE sqrt(pi (1 - pi) / n)');
      for (const [a, v] of [
        [0, c.cov[0]],
        [1, c.cov[2]],
      ] as const) {
        const seM = Math.sqrt(v / m.count);
        within(
          Math.abs(m.mean[a] - c.mean[a]),
          z * seM,
          'mean of n_k normals: SE sqrt(S_aa / n_k)',
        );
      }
      const zxx = varianceZ(m.cov[0], c.cov[0], m.count);
      const zyy = varianceZ(m.cov[2], c.cov[2], m.count);
      within(zxx, z, 'sample variance: chi-square, Wilson-Hilferty z');
      within(zyy, z, 'sample variance: chi-square, Wilson-Hilferty z');
      const seXy = Math.sqrt((c.cov[0] * c.cov[2] + c.cov[1] ** 2) / m.count);
      within(
        Math.abs(m.cov[1] - c.cov[1]),
        z * seXy,
        'sample covariance: SE sqrt((Sxx Syy + Sxy^2) / n_k)',
      );
    });
  });

  test('labels points at the means by their component; an unused component is empty', () => {
    const points = [-2, 0, 2, 0, 0, 3, 2.1, 0.1];
    const { labels, modes } = assignToModes(points, mixture);
    expect(Array.from(labels)).toEqual([0, 1, 2, 1]);
    const only = assignToModes([-2, 0], mixture).modes;
    expect(only[0]!.weight).toBe(1);
    expect(only[1]!.count).toBe(0);
    expect(modes[1]!.mean[0]).toBeCloseTo(2.05, 12);
  });

  test('gaussians8: each mode gets 1/8 of the samples', () => {
    const g8 = datasetMixture('gaussians8')!;
    const n = 16000;
    const { modes } = assignToModes(sampleMixture(g8, n, new Rng(seed, 6)), g8);
    const se = Math.sqrt((1 / 8) * (7 / 8) * (1 / n));
    const z = zFor(modes.length);
    for (const m of modes)
      within(Math.abs(m.weight - 1 / 8), z * se, 'binomial share: SE sqrt(p (1 - p) / n)');
  });
});

describe(`normal CDF and the KS statistic (SEED=${seed})`, () => {
  test('normalCdf at known points', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.841344746, 7);
    expect(normalCdf(-1.959963985)).toBeCloseTo(0.025, 7);
    expect(normalCdf(3)).toBeCloseTo(0.998650102, 7);
  });

  test('KS accepts normals and rejects a scaled normal', () => {
    const n = 20000;
    const z = coordinate(gaussian(n, 1), 0);
    // Dvoretzky-Kiefer-Wolfowitz (Massart 1990): P(D > eps) <= 2 exp(-2 n eps^2) = 1e-4 here;
    // normalCdf's error (1.2e-7) is far below eps (0.014).
    const critical = Math.sqrt(-Math.log(1e-4 / 2) / 2) / Math.sqrt(n);
    within(ksStatistic(z, normalCdf), critical, 'DKW bound at rate 1e-4');
    // N(0, 1.1^2) is 0.023 from the normal CDF at x = +-1.05: D stays below eps = 0.014 only if
    // the empirical CDF misses its own law's by 0.0093 (3.5 SE) at both points, rate < 1e-7.
    expect(
      ksStatistic(
        map(z, (v) => 1.1 * v),
        normalCdf,
      ),
    ).toBeGreaterThan(critical);
  });

  test('KS of one point at the median is 1/2', () => {
    expect(ksStatistic([0], normalCdf)).toBeCloseTo(0.5, 7);
  });
});

describe(`moment standard errors (SEED=${seed})`, () => {
  test('match the Gaussian formulas for a large normal sample', () => {
    // N(0, diag(4, 1)): se(mean) = (2, 1) / sqrt(n), se(var) = (4, 1) sqrt(2 / n),
    // se(cov xy) = sqrt(4 * 1 / n).
    const n = 160000;
    const p = gaussian(n, 1).map((v, i) => (i % 2 === 0 ? 2 * v : v));
    const e = momentErrors(p);
    const r = Math.sqrt(n);
    const expected = [2 / r, 1 / r, 4 * Math.sqrt(2 / n), 2 / r, Math.sqrt(2 / n)];
    const got = [e.mean[0], e.mean[1], e.cov[0], e.cov[1], e.cov[2]];
    // Relative SE of each estimate (delta method, normal moments): sqrt(C_aa) ~ 1 / sqrt(2 n);
    // sqrt(m4 - C^2), Var(x^4 - 2 C x^2) = 56 s^8: sqrt(56 / n) / 4; sqrt(E[x^2 y^2]), Var(x^2 y^2)
    // = 8 sx^4 sy^4: sqrt(8 / n) / 2.
    const rel = [1 / Math.sqrt(2 * n), 1 / Math.sqrt(2 * n), Math.sqrt(56 / n) / 4];
    const relSe = [rel[0]!, rel[1]!, rel[2]!, Math.sqrt(8 / n) / 2, rel[2]!];
    // Each estimate is a function of a mean of n terms whose skewness is large (x^2: 2.83; x^4 -
    // 2 C x^2: 13.6; x^2 y^2: 8.84, from the normal moments), so its tail at ~4 SE is heavier than
    // the normal's: the quantile takes Cornish-Fisher's first correction, z + g (z^2 - 1) / 6 with
    // g = skewness / sqrt(n) (at n = 40,000 a 4.47 SE deviation of a variance's SE failed the
    // uncorrected 4.26). The larger n keeps g, and the expansion's remainder, small.
    const skew = [2.83, 2.83, 13.6, 8.84, 13.6];
    const z0 = zFor(got.length);
    const zOf = (i: number): number => z0 + ((skew[i]! / Math.sqrt(n)) * (z0 * z0 - 1)) / 6;
    got.forEach((g, i) =>
      within(Math.abs(g / expected[i]! - 1), zOf(i) * relSe[i]!, 'relative SE of an estimated SE'),
    );
  });
});
