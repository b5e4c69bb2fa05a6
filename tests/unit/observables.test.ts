/**
 * The float64 references of the physics view (src/maths/observables.ts): digamma against known
 * values and its identities, the Kozachenko-Leonenko entropy on a hand-computed case, its exact
 * scaling, and on Gaussian samples, the observables of a hand-made cloud, and the marginals: the
 * bins' edges as the kernel draws them, densities that integrate to 1 and match the mixture's
 * density, the data's marginals against its own counts. Random inputs come from the run's seed;
 * float64 identities hold up to the rounding bounded beside them, statistical checks at a
 * false-failure rate of at most 1e-4 per test and run.
 */
import { describe, expect, test } from 'vitest';
import { datasetMixture, sampleMixture, type Mixture } from '../../src/maths/datasets';
import {
  binIndex,
  binScale,
  dataMarginals,
  digamma,
  gaussianEntropy,
  gridPoints,
  histogramDensities,
  histogramEdges,
  klEntropy,
  klFromSums,
  kthNeighbourLogDistances,
  marginalHistograms,
  mixtureMarginals,
  particleObservables,
  targetMarginals,
  type HistogramSpec,
  type MarginalDensities,
} from '../../src/maths/observables';
import { Rng } from '../../src/maths/rng';
import { normalCdf } from '../../src/maths/stats';
import { EPS32, SEED, within, zFor } from '../random';

const EULER_GAMMA = 0.5772156649015329;
const seed = SEED;
const rng = new Rng(seed, 80);
/** Unit roundoff of float64. */
const U64 = 2 ** -53;
/** For the O(n^2) and 2e6-evaluation tests: seconds on a loaded 2-core machine, past the default 5 s. */
const HEAVY = { timeout: 60_000 };

describe(`digamma (SEED=${seed})`, () => {
  test('known values', () => {
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 14);
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2, 14);
    expect(digamma(-0.5)).toBeCloseTo(2 - EULER_GAMMA - 2 * Math.LN2, 13);
    expect(digamma(4)).toBeCloseTo(1 + 1 / 2 + 1 / 3 - EULER_GAMMA, 14);
    // psi(x) = log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) - ...
    expect(digamma(1000)).toBeCloseTo(Math.log(1000) - 5e-4 - 1 / 12e6 + 1 / 120e12, 14);
    expect(digamma(0)).toBeNaN();
    expect(digamma(-3)).toBeNaN();
  });

  test('recurrence psi(x + 1) = psi(x) + 1/x and reflection', () => {
    for (let i = 0; i < 200; i++) {
      const x = 0.05 + 40 * rng.uniform();
      // float64: psi(x) sums <= 10 shift terms 1/z (<= 1/x + 3 in all) with log z and a short
      // series, each term rounded a few times: within 12 u (1/x + 6); the residual has two.
      const recurrence = digamma(x + 1) - digamma(x) - 1 / x;
      within(Math.abs(recurrence), 32 * U64 * (1 / x + 6), 'float64: two digammas of <= 12 terms');
      const y = rng.uniform();
      // pi cot(pi y) from the nearer of y and 1 - y (exact by Sterbenz): pi y itself near pi
      // would lose digits (Math.PI is off by 1.2e-16) to cancellation in tan.
      const cot =
        y <= 0.5 ? Math.PI / Math.tan(Math.PI * y) : -Math.PI / Math.tan(Math.PI * (1 - y));
      const reflection = digamma(1 - y) - digamma(y) - cot;
      const size = Math.abs(digamma(1 - y)) + Math.abs(digamma(y)) + Math.abs(cot);
      within(Math.abs(reflection), 8 * U64 * size, 'float64: the same formula, a few roundings');
    }
  });
});

describe(`Kozachenko-Leonenko entropy (SEED=${seed})`, () => {
  test('a hand-computed case: three points on a line, k = 1', () => {
    const points = [0, 0, 1, 0, 3, 0];
    expect(Array.from(kthNeighbourLogDistances(points, 1))).toEqual([0, 0, Math.log(2)]);
    // psi(3) - psi(1) = 1 + 1/2.
    const h = 1.5 + Math.log(Math.PI) + (2 / 3) * Math.log(2);
    expect(klEntropy(points, 1)).toBeCloseTo(h, 13);
    expect(klEntropy(points, 2)).toBeCloseTo(
      digamma(3) - digamma(2) + Math.log(Math.PI) + (2 / 3) * Math.log(3 * 2 * 3),
      13,
    );
    expect(klEntropy(points, 3)).toBeNaN();
    expect(klFromSums(3, 0, 3)).toBeNaN();
  });

  test('scaling the cloud by a adds 2 log a; unusable points take no part', () => {
    const points = Float64Array.from({ length: 600 }, () => rng.normal());
    const n = points.length / 2;
    const a = 0.37;
    const scaled = points.map((v) => a * v);
    const h = klEntropy(points, 3);
    // float64: each log r moves by log a within (4 + |log r|) u (a v, the differences and squares
    // rounded, then the log), and the two sums of n logs differ by <= n u sum|log r| more.
    const logs = kthNeighbourLogDistances(points, 3);
    const meanAbsLog = logs.reduce((t, l) => t + Math.abs(l), 0) / n;
    const tol =
      2 * (n + 8) * U64 * (meanAbsLog + Math.abs(Math.log(a)) + 4) + 8 * U64 * Math.abs(h);
    within(Math.abs(klEntropy(scaled, 3) - h - 2 * Math.log(a)), tol, 'float64: n logs, their sum');
    // The unusable points are skipped: the very same sums.
    const spoilt = [...points, NaN, 0, 1, Infinity, 5e3, 0];
    expect(klEntropy(spoilt, 3)).toBe(h);
    // Coincident points: a finite log r, floored.
    expect(Number.isFinite(klEntropy([...points, ...points.subarray(0, 20)], 1))).toBe(true);
  });

  test('near the entropy of N(0, Sigma) (bias -0.02, sd 0.026 at N = 2048, k = 4)', HEAVY, () => {
    const [sx, sy, r] = [0.3, 1.7, 0.6];
    const n = 2048;
    const points = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const u = rng.normal();
      points[2 * i] = sx * u;
      points[2 * i + 1] = sy * (r * u + Math.sqrt(1 - r * r) * rng.normal());
    }
    const exact = gaussianEntropy([sx * sx, r * sx * sy, sy * sy]);
    expect(gaussianEntropy([1, 0, 1])).toBeCloseTo(1 + Math.log(2 * Math.PI), 14);
    // SD: the mean of n terms -log f(x_i) (variance d / 2 = 1 for a Gaussian) plus the log of each
    // point's Gamma(k) neighbour volume (variance psi'(k)), taken as independent: sqrt((1 +
    // psi'(k)) / n) = 0.025 (0.026 over 200 seeds). Bias: not in closed form for Gaussian tails
    // in 2D; -0.019 +- 0.002 over 200 seeds, allowed 0.03.
    const k = 4;
    const trigamma = Math.PI ** 2 / 6 - 1 - 1 / 4 - 1 / 9;
    const tol = zFor(1) * Math.sqrt((1 + trigamma) / n) + 0.03;
    within(Math.abs(klEntropy(points, k) - exact), tol, 'KL estimator: SE and bias at n, k');
  });
});

describe('particle observables', () => {
  test('a hand-made cloud: one non-finite, one escaped, three counted', () => {
    const o = particleObservables(
      {
        x: [0, 0, 1, 1, NaN, 0, 3, 4, 2000, 0],
        energy: [1, 2, 3, 4, 5],
        v: [1, 1, 0, 2, 0, 0, 2, 0, 0, 0],
        accept: [1, 0, 1, 1, 1],
        heat: [0.5, 1, 1.5, 0, 0],
      },
      1000,
    );
    expect(o.count).toBe(3);
    expect(o.nonFinite).toBe(1);
    expect(o.escaped).toBe(1);
    // U of the counted: 1, 2, 4.
    expect(o.meanEnergy).toBeCloseTo(7 / 3, 14);
    expect(o.energyVariance).toBeCloseTo(((4 / 3) ** 2 + (1 / 3) ** 2 + (5 / 3) ** 2) / 3, 14);
    expect(o.kineticTemperature).toBeCloseTo((2 + 4 + 4) / (2 * 3), 14);
    expect(o.acceptance).toBeCloseTo(2 / 3, 14);
    expect(o.heat).toBeCloseTo(0.5, 14);
    const bare = particleObservables({ x: [0, 0], energy: [1] });
    expect([bare.kineticTemperature, bare.acceptance, bare.heat]).toEqual([NaN, NaN, NaN]);
  });
});

const SPEC: HistogramSpec = { bins: 64, x: [-3, 3], y: [-2.5, 3.5] };

function integral(d: MarginalDensities, axis: 'x' | 'y'): number {
  const e = axis === 'x' ? d.xEdges : d.yEdges;
  let s = 0;
  for (let b = 0; b < d[axis].length; b++) s += d[axis][b]! * (e[b + 1]! - e[b]!);
  return s;
}

describe(`marginal histograms and the target marginals (SEED=${seed})`, () => {
  test('the edges are where the kernel bins float32 values', () => {
    for (const range of [SPEC.x, SPEC.y, [-1.3, 2.9] as const]) {
      const e = histogramEdges(range, 37);
      const scale = binScale(range, 37);
      const width = range[1] - range[0];
      const lo = Math.fround(range[0]);
      expect(e[0]).toBe(lo);
      // lo and scale are float32 roundings: lo + 37 / scale is within EPS32 (|lo| + width) of hi.
      const end = EPS32 * (Math.abs(range[0]) + width) + 4 * U64 * width;
      within(Math.abs(e[37]! - range[1]), end, 'float32 lo and scale');
      for (let i = 0; i < 2000; i++) {
        const v = Math.fround(range[0] - 0.5 + (width + 1) * rng.uniform());
        const b = binIndex(v, range[0], scale, 37);
        // The kernel rounds v - lo and (v - lo) scale to float32: v is binned as if moved by
        // <= 2 EPS32 |v - lo| (plus float64 edges).
        const slack = 2.01 * EPS32 * Math.abs(v - lo) + 4 * U64 * (Math.abs(lo) + width);
        // How far v is outside the interval it was binned into (0 inside).
        const outside =
          b < 0
            ? Math.max(0, Math.min(v - e[0]!, e[37]! - v))
            : Math.max(0, e[b]! - v, v - e[b + 1]!);
        within(outside, slack, 'float32 binning: two roundings');
      }
    }
  });

  test('counts: out of range and non-finite values in no bin', () => {
    const spec: HistogramSpec = { bins: 4, x: [0, 4], y: [-1, 1] };
    const counts = marginalHistograms([0, -1, 3.99, 0.99, 4, 0.5, NaN, -0.5, 1.5, Infinity], spec);
    expect(Array.from(counts.x)).toEqual([1, 1, 0, 1]);
    expect(Array.from(counts.y)).toEqual([1, 1, 0, 2]);
    const d = histogramDensities(counts, 5, spec);
    expect(integral(d, 'x')).toBeCloseTo(3 / 5, 6);
  });

  test('a mixture at any level integrates to 1 and matches its density at the bins', () => {
    const mixture = datasetMixture('gaussians8')!;
    const skewed: Mixture = {
      components: [
        { weight: 2, mean: [0.5, -0.3], cov: [0.2, 0.1, 0.4] },
        { weight: 1, mean: [-1, 0.8], cov: [0.05, 0, 0.01] },
      ],
    };
    const wide: HistogramSpec = { bins: 2000, x: [-12, 12], y: [-11, 13] };
    for (const m of [mixture, skewed]) {
      for (const level of [
        { alpha: 1, sigma: 0 },
        { alpha: 0.8, sigma: 0.6 },
        { alpha: 0.3, sigma: 1.5 },
      ]) {
        const d = mixtureMarginals(m, wide, level);
        expect(Math.abs(integral(d, 'x') - 1)).toBeLessThan(1e-6);
        expect(Math.abs(integral(d, 'y') - 1)).toBeLessThan(1e-6);
        let total = 0;
        for (const c of m.components) total += c.weight;
        for (const [axis, edges, mean, cov] of [
          ['x', d.xEdges, 0, 0],
          ['y', d.yEdges, 1, 2],
        ] as const) {
          for (let b = 0; b < wide.bins; b += 7) {
            const z = 0.5 * (edges[b]! + edges[b + 1]!);
            let pdf = 0;
            for (const c of m.components) {
              const s2 = level.alpha ** 2 * c.cov[cov] + level.sigma ** 2;
              const u = z - level.alpha * c.mean[mean];
              pdf +=
                ((c.weight / total) * Math.exp((-0.5 * u * u) / s2)) / Math.sqrt(2 * Math.PI * s2);
            }
            expect(Math.abs(d[axis][b]! - pdf), `${axis} ${b}`).toBeLessThan(2e-3 * (1 + pdf));
          }
        }
      }
    }
  });

  test(
    "the data's marginals: its own counts at sigma = 0, a smoothed mixture sample above",
    HEAVY,
    () => {
      const mixture = datasetMixture('gaussians25')!;
      const points = sampleMixture(mixture, 20_000, rng);
      const exact = histogramDensities(marginalHistograms(points, SPEC), 20_000, SPEC);
      const d = dataMarginals(points, SPEC);
      expect(Array.from(d.x)).toEqual(Array.from(exact.x));
      expect(Array.from(d.y)).toEqual(Array.from(exact.y));
      expect(targetMarginals({ mixture: null, points }, SPEC)).toEqual(d);
      const level = { alpha: 0.9, sigma: 0.5 };
      const smooth = dataMarginals(points, SPEC, level);
      const truth = targetMarginals({ mixture, points }, SPEC, level);
      expect(truth).toEqual(mixtureMarginals(mixture, SPEC, level));
      // Each bin's smoothed density is the mean over the n points of K_b(y) = P(N(alpha y, sigma^2)
      // in bin b) / width, whose expectation over the mixture is the truth: SE from the sample's
      // own spread of K_b, over 2 x 64 bins. normalCdf's error (1.2e-7 of erfc) adds <= 2.4e-7 / width
      // (both sides); the float32 samples move each point by <= EPS32 |y|, and K_b by its slope,
      // <= 2 max(phi) / (sigma width), times that.
      const n = points.length / 2;
      const largest = points.reduce((t, v) => Math.max(t, Math.abs(v)), 0);
      const z = zFor(2 * SPEC.bins);
      for (const [c, axis, edges] of [
        [0, 'x', smooth.xEdges],
        [1, 'y', smooth.yEdges],
      ] as const) {
        const sum = new Float64Array(SPEC.bins);
        const sumSq = new Float64Array(SPEC.bins);
        for (let j = 0; j < n; j++) {
          const m = level.alpha * points[2 * j + c]!;
          let below = normalCdf((edges[0]! - m) / level.sigma);
          for (let b = 0; b < SPEC.bins; b++) {
            const cdf = normalCdf((edges[b + 1]! - m) / level.sigma);
            const kb = (cdf - below) / (edges[b + 1]! - edges[b]!);
            sum[b]! += kb;
            sumSq[b]! += kb * kb;
            below = cdf;
          }
        }
        for (let b = 0; b < SPEC.bins; b++) {
          const width = edges[b + 1]! - edges[b]!;
          const mean = sum[b]! / n;
          const se = Math.sqrt(Math.max(0, sumSq[b]! / n - mean * mean) / (n - 1));
          const slope = 0.8 / (level.sigma * width);
          const tol = z * se + 4.8e-7 / width + EPS32 * largest * level.alpha * slope;
          const error = Math.abs(smooth[axis][b]! - truth[axis][b]!);
          within(error, tol, 'mean of n kernels: SE from the sample');
        }
      }
    },
  );

  test('grid points span the rectangle, row-major from the bottom-left corner', () => {
    const g = gridPoints({ width: 3, height: 2, x: [-1, 1], y: [0, 4] });
    expect(Array.from(g)).toEqual([-1, 0, 0, 0, 1, 0, -1, 4, 0, 4, 1, 4]);
  });
});
