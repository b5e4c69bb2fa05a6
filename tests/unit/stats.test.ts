/**
 * Cloud statistics (src/maths/stats.ts): exact properties of the sliced Wasserstein distance, and
 * moments and mode statistics against known distributions with standard-error tolerances.
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
import { SEED } from '../random';

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
    const x = Float64Array.from({ length: 100 }, () => rng.normal());
    expect(
      correlation(
        x,
        map(x, (v) => 3 * v + 1),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      correlation(
        x,
        map(x, (v) => -0.5 * v),
      ),
    ).toBeCloseTo(-1, 12);
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
    expect(slicedWasserstein2(b, a, P, seed)).toBeCloseTo(ab, 14);
  });

  test('of a cloud and its translate by v is |v|, for any number of projections', () => {
    const v: [number, number] = [0.37, -1.21];
    const shifted = map(a, (x, i) => x + v[i % 2]!);
    for (const p of [2, 3, 16, P]) {
      expect(slicedWasserstein2(a, shifted, p, seed + p)).toBeCloseTo(Math.hypot(...v), 12);
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
    expect(moved ** 2).toBeCloseTo(expected, 10);
  });

  test('scales linearly: SW2(c a, c b) = |c| SW2(a, b), c of either sign', () => {
    const ab = slicedWasserstein2(a, b, P, seed);
    for (const c of [0.01, 2.5, -3]) {
      const ca = map(a, (x) => c * x);
      const cb = map(b, (x) => c * x);
      expect(slicedWasserstein2(ca, cb, P, seed)).toBeCloseTo(Math.abs(c) * ab, 10);
    }
  });

  test('is seeded: the same seed gives the same value', () => {
    expect(slicedWasserstein2(a, b, 5, 123)).toBe(slicedWasserstein2(a, b, 5, 123));
  });

  test('between large samples of two Gaussians approaches their W2', () => {
    // W2(N(m1, s1^2 I), N(m2, s2^2 I)) = sqrt(|m1 - m2|^2 + 2 (s1 - s2)^2). Sampling adds about
    // the sample-vs-sample floor, measured here between two samples of the same Gaussian.
    const n = 20000;
    const x = gaussian(n, 1);
    const y = gaussian(n, 0.5, [1, 0.5]);
    const floor = slicedWasserstein2(x, gaussian(n, 1), P, seed);
    const exact = Math.sqrt(1 + 0.25 + 2 * 0.25);
    expect(floor).toBeLessThan(0.05);
    expect(Math.abs(slicedWasserstein2(x, y, P, seed) - exact)).toBeLessThan(2 * floor);
  });

  test('independent samples of one cloud, one translated by v, are |v| apart up to the floor', () => {
    const n = 20000;
    const v: [number, number] = [0.6, 0.8];
    const x = gaussian(n, 1);
    const y = gaussian(n, 1, v);
    const floor = slicedWasserstein2(x, gaussian(n, 1), P, seed);
    expect(Math.abs(slicedWasserstein2(x, y, P, seed) - 1)).toBeLessThan(2 * floor);
  });
});

describe(`energy distance (SEED=${seed})`, () => {
  test('is 0 for a cloud with itself, symmetric, positive otherwise', () => {
    const x = gaussian(300, 1);
    const y = gaussian(200, 1, [0.5, 0]);
    expect(energyDistance(x, x)).toBeCloseTo(0, 12);
    expect(energyDistance(x, y)).toBeGreaterThan(0);
    expect(energyDistance(y, x)).toBeCloseTo(energyDistance(x, y), 12);
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
    mixture.components.forEach((c, k) => {
      const m = modes[k]!;
      // Binomial share: standard error sqrt(pi (1 - pi) / n); 5 standard errors.
      expect(Math.abs(m.weight - c.weight)).toBeLessThan(
        5 * Math.sqrt((c.weight * (1 - c.weight)) / n),
      );
      expect(m.count).toBe(Math.round(m.weight * n));
      // Mean of n_k Gaussian points: standard error sqrt(Sigma_ii / n_k).
      expect(Math.abs(m.mean[0] - c.mean[0])).toBeLessThan(5 * Math.sqrt(c.cov[0] / m.count));
      expect(Math.abs(m.mean[1] - c.mean[1])).toBeLessThan(5 * Math.sqrt(c.cov[2] / m.count));
      // Sample variance: standard error Sigma_ii sqrt(2 / (n_k - 1)); covariance term:
      // sqrt((Sigma_xx Sigma_yy + Sigma_xy^2) / n_k).
      expect(Math.abs(m.cov[0] - c.cov[0])).toBeLessThan(5 * c.cov[0] * Math.sqrt(2 / m.count));
      expect(Math.abs(m.cov[2] - c.cov[2])).toBeLessThan(5 * c.cov[2] * Math.sqrt(2 / m.count));
      const seXy = Math.sqrt((c.cov[0] * c.cov[2] + c.cov[1] ** 2) / m.count);
      expect(Math.abs(m.cov[1] - c.cov[1])).toBeLessThan(5 * seXy);
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
    for (const m of modes) expect(Math.abs(m.weight - 1 / 8)).toBeLessThan(5 * se);
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
    // Critical value at level 1e-4: sqrt(-ln(1e-4 / 2) / 2) / sqrt(n) (Kolmogorov tail).
    const critical = Math.sqrt(-Math.log(1e-4 / 2) / 2) / Math.sqrt(n);
    expect(ksStatistic(z, normalCdf)).toBeLessThan(critical);
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
    // se(cov xy) = sqrt(4 * 1 / n). The estimates are themselves within a few percent.
    const n = 40000;
    const p = gaussian(n, 1).map((v, i) => (i % 2 === 0 ? 2 * v : v));
    const e = momentErrors(p);
    const r = Math.sqrt(n);
    const expected = [2 / r, 1 / r, 4 * Math.sqrt(2 / n), 2 / r, Math.sqrt(2 / n)];
    const got = [e.mean[0], e.mean[1], e.cov[0], e.cov[1], e.cov[2]];
    got.forEach((g, i) => expect(Math.abs(g / expected[i]! - 1)).toBeLessThan(0.1));
  });
});
