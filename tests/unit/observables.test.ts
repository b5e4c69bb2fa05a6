/**
 * The float64 references of the physics view (src/maths/observables.ts): digamma against known
 * values and its identities, the Kozachenko-Leonenko entropy on a hand-computed case, its exact
 * scaling, and on Gaussian samples, the observables of a hand-made cloud, and the marginals: the
 * bins' edges as the kernel draws them, densities that integrate to 1 and match the mixture's
 * density, the data's marginals against its own counts.
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

const EULER_GAMMA = 0.5772156649015329;
const rng = new Rng(2024, 80);

describe('digamma', () => {
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
      expect(Math.abs(digamma(x + 1) - digamma(x) - 1 / x)).toBeLessThan(1e-12 * (1 + 1 / x));
      const y = rng.uniform();
      const reflection = digamma(1 - y) - digamma(y) - Math.PI / Math.tan(Math.PI * y);
      expect(Math.abs(reflection)).toBeLessThan(1e-11 * (1 + 1 / y + 1 / (1 - y)));
    }
  });
});

describe('Kozachenko-Leonenko entropy', () => {
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
    const a = 0.37;
    const scaled = points.map((v) => a * v);
    expect(klEntropy(scaled, 3)).toBeCloseTo(klEntropy(points, 3) + 2 * Math.log(a), 12);
    const spoilt = [...points, NaN, 0, 1, Infinity, 5e3, 0];
    expect(klEntropy(spoilt, 3)).toBeCloseTo(klEntropy(points, 3), 14);
    // Coincident points: a finite log r, floored.
    expect(Number.isFinite(klEntropy([...points, ...points.subarray(0, 20)], 1))).toBe(true);
  });

  test('near the entropy of N(0, Sigma) (bias -0.01, sd 0.02 at N = 2048, k = 4)', () => {
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
    expect(Math.abs(klEntropy(points, 4) - exact)).toBeLessThan(0.1);
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

describe('marginal histograms and the target marginals', () => {
  test('the edges are where the kernel bins float32 values', () => {
    for (const range of [SPEC.x, SPEC.y, [-1.3, 2.9] as const]) {
      const e = histogramEdges(range, 37);
      const scale = binScale(range, 37);
      expect(e[0]).toBe(Math.fround(range[0]));
      expect(Math.abs(e[37]! - range[1])).toBeLessThan(1e-6);
      for (let i = 0; i < 2000; i++) {
        const v = Math.fround(range[0] - 0.5 + (range[1] - range[0] + 1) * rng.uniform());
        const b = binIndex(v, range[0], scale, 37);
        const slack = 1e-6 * (range[1] - range[0]);
        if (b < 0) expect(v < e[0]! + slack || v >= e[37]! - slack).toBe(true);
        else expect(v >= e[b]! - slack && v < e[b + 1]! + slack).toBe(true);
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

  test("the data's marginals: its own counts at sigma = 0, a smoothed mixture sample above", () => {
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
    for (const axis of ['x', 'y'] as const)
      for (let b = 0; b < SPEC.bins; b++)
        expect(Math.abs(smooth[axis][b]! - truth[axis][b]!)).toBeLessThan(0.02);
  });

  test('grid points span the rectangle, row-major from the bottom-left corner', () => {
    const g = gridPoints({ width: 3, height: 2, x: [-1, 1], y: [0, 4] });
    expect(Array.from(g)).toEqual([-1, 0, 0, 0, 1, 0, -1, 4, 0, 4, 1, 4]);
  });
});
