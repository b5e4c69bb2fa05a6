/**
 * Speciation maths (src/maths/speciation.ts): the theory time on several schedules against the
 * closed form where there is one and the defining equation alpha^2 Lambda = sigma^2 everywhere (up
 * to the float64 rounding of the schedules, bounded below), k-means on separated clusters, the mode
 * classifiers' chance levels, and the commitment time; statistical checks at a false-failure rate of
 * at most 1e-4 per test and run.
 */
import { describe, expect, test } from 'vitest';
import { datasetMixture, generateDataset, sampleMixture } from '../../src/maths/datasets';
import { Rng } from '../../src/maths/rng';
import {
  DEFAULT_SCHEDULE_PARAMS,
  levelAt,
  logSnr,
  type ScheduleId,
  type ScheduleParams,
} from '../../src/maths/schedules';
import {
  cloneLevels,
  commitmentTime,
  dataCovariance,
  kMeans,
  modeClassifier,
  nearestCentroid,
  speciationT,
  speciationTimeOU,
  theorySpeciationT,
  topEigenvalue,
} from '../../src/maths/speciation';
import { moments } from '../../src/maths/stats';
import { SEED, within, zFor } from '../random';

const seed = SEED;
const rng = new Rng(seed, 91);
const P = DEFAULT_SCHEDULE_PARAMS;
/** Unit roundoff of float64. */
const U64 = 2 ** -53;

/**
 * Float64 error of the half log-SNR lambda(t) = log(alpha / sigma) that levelAt and logSnr give:
 * alpha and sigma are each within 16 u of the closed forms (exp, log, sqrt, cos, the ztsnr
 * rescale; measured <= 15 u), so lambda is within 32 u, plus u |lambda| for the log.
 */
const lambdaRounding = (lambda: number): number => (32 + Math.abs(lambda)) * U64;

/** |d lambda / dt| at t, by a central difference (its own error is far below what it scales). */
function logSnrSlope(id: ScheduleId, params: ScheduleParams, t: number): number {
  const h = 1e-6;
  const at = (u: number): number => logSnr(levelAt(id, params, u));
  return Math.abs(at(t + h) - at(t - h)) / (2 * h);
}

/**
 * How far speciationT's t can be from the exact crossing: its 60 bisections stop within 2^-61,
 * and its test lambda(t) > target can only be wrong where the two are within their rounding.
 */
function speciationTError(id: ScheduleId, params: ScheduleParams, lambda: number): number {
  const t = speciationT(id, params, lambda)!;
  const target = -0.5 * Math.log(lambda);
  return 2 ** -61 + (lambdaRounding(target) + U64 * Math.abs(target)) / logSnrSlope(id, params, t);
}

describe(`theory (SEED=${seed})`, () => {
  test('top eigenvalue of a 2x2 covariance against its rotation', () => {
    const l1 = 0.2 + 3 * rng.uniform();
    const l2 = l1 * rng.uniform();
    const a = Math.PI * rng.uniform();
    const [c, s] = [Math.cos(a), Math.sin(a)];
    const cov: [number, number, number] = [
      l1 * c * c + l2 * s * s,
      (l1 - l2) * c * s,
      l1 * s * s + l2 * c * c,
    ];
    // float64: the entries are within 4 u (l1 + l2) (c, s rounded too); the mean of a and c, and
    // the root (1-Lipschitz in (a - c) / 2 and b), add a few u each.
    const tol = 16 * U64 * (l1 + l2);
    within(Math.abs(topEigenvalue(cov) - l1), tol, 'float64 rounding of the entries and the root');
  });

  test('the paper form t_S = log(Lambda) / 2, none for Lambda <= 1', () => {
    const lambda = 1 + 20 * rng.uniform();
    expect(speciationTimeOU(lambda)).toBe(Math.log(lambda) / 2);
    // float64: log and exp each round once (u |log Lambda| after the factor 2), the products twice.
    const back = Math.exp(-2 * speciationTimeOU(lambda)!) * lambda;
    within(Math.abs(back - 1), (4 + 2 * Math.log(lambda)) * U64, 'float64: log, exp, two products');
    expect(speciationTimeOU(rng.uniform())).toBeNull();
  });

  test('linear VP: closed form alpha^2 = 1 / (1 + Lambda)', () => {
    const lambda = 0.1 + 5 * rng.uniform();
    // alpha^2 = exp(-(t^2 (bMax - bMin) / 2 + t bMin)) = 1 / (1 + Lambda): a quadratic in t.
    const a = 0.5 * (P.betaMax - P.betaMin);
    const c = -Math.log(1 + lambda);
    const expected = (-P.betaMin + Math.sqrt(P.betaMin ** 2 - 4 * a * c)) / (2 * a);
    // The root (speciationTError) and the quadratic formula's few roundings (no cancellation).
    const tol = speciationTError('linear', P, lambda) + 8 * U64 * expected;
    const error = Math.abs(speciationT('linear', P, lambda)! - expected);
    within(error, tol, 'bisection to 2^-61 and float64 lambda(t)');
  });

  test('VE: sigma(t)^2 = Lambda, t = log(sqrt(Lambda) / sigmaMin) / log(sigmaMax / sigmaMin)', () => {
    const lambda = 0.1 + 5 * rng.uniform();
    const expected = Math.log(Math.sqrt(lambda) / P.sigmaMin) / Math.log(P.sigmaMax / P.sigmaMin);
    const tol = speciationTError('ve', P, lambda) + 8 * U64 * expected;
    const error = Math.abs(speciationT('ve', P, lambda)! - expected);
    within(error, tol, 'bisection to 2^-61 and float64 lambda(t)');
  });

  test.each<ScheduleId>(['linear', 'cosine', 'sigmoid', 'karras', 've', 'custom'])(
    '%s: alpha^2 Lambda = sigma^2 at the returned t',
    (id) => {
      const params: ScheduleParams = { ...P, ztsnr: rng.uniform() < 0.5 };
      const lambda = 0.2 + 2 * rng.uniform();
      const t = speciationT(id, params, lambda);
      expect(t).not.toBeNull();
      const level = levelAt(id, params, t!);
      const { alpha, sigma } = level;
      // alpha^2 Lambda / sigma^2 = exp(2 (lambda(t) - target)): twice the error of lambda(t) at
      // the bisection's end, plus its own five roundings.
      const slope = logSnrSlope(id, params, t!);
      const tol = 2 * (2 ** -61 * slope + 2 * lambdaRounding(logSnr(level))) + 8 * U64;
      const error = Math.abs((alpha * alpha * lambda) / (sigma * sigma) - 1);
      within(error, tol, 'bisection to 2^-61 and float64 lambda(t)');
    },
  );

  test('null when the schedule never reaches the crossing', () => {
    // VE with sigma_max = 10 cannot reach sigma^2 = 400.
    expect(speciationT('ve', P, 400)).toBeNull();
    expect(speciationT('cosine', P, 0)).toBeNull();
  });

  test('gaussians8: Lambda from the exact mixture covariance, matching a large sample', () => {
    const data = generateDataset('gaussians8', 200, 1);
    const cov = dataCovariance(data);
    // 8 means on a circle of radius 1.2: between-class variance 1.2^2 / 2 per axis, + 0.08^2.
    expect(cov[0]).toBeCloseTo(0.72 + 0.0064, 12);
    expect(cov[2]).toBeCloseTo(0.72 + 0.0064, 12);
    expect(cov[1]).toBeCloseTo(0, 12);
    const n = 40000;
    const cloud = sampleMixture(data.mixture!, n, rng);
    const sample = moments(cloud);
    // SE of a sample covariance entry: sqrt((E[(dx_a dx_b)^2] - C_ab^2) / n), with the fourth
    // moments of the mixture (mean 0; components N(m, v I): E[x^4] = m^4 + 6 m^2 v + 3 v^2 and
    // E[x^2 y^2] = (mx^2 + v) (my^2 + v)).
    const fourth = [0, 0, 0];
    for (const c of data.mixture!.components) {
      const [mx, my] = c.mean;
      const v = c.cov[0];
      fourth[0]! += c.weight * (mx ** 4 + 6 * mx * mx * v + 3 * v * v);
      fourth[1]! += c.weight * (mx * mx + v) * (my * my + v);
      fourth[2]! += c.weight * (my ** 4 + 6 * my * my * v + 3 * v * v);
    }
    const z = zFor(3);
    for (const i of [0, 1, 2] as const) {
      const se = Math.sqrt((fourth[i]! - cov[i] ** 2) / n);
      within(Math.abs(sample.cov[i] - cov[i]), z * se, 'sample covariance: SE from fourth moments');
    }
    const t = theorySpeciationT(data, 'cosine', P);
    const level = levelAt('cosine', P, t!);
    const top = topEigenvalue(cov);
    const tol =
      2 * (2 ** -61 * logSnrSlope('cosine', P, t!) + 2 * lambdaRounding(logSnr(level))) + 8 * U64;
    const error = Math.abs((level.alpha ** 2 * top) / level.sigma ** 2 - 1);
    within(error, tol, 'bisection to 2^-61 and float64 lambda(t)');
  });

  test('no class structure: a one-component mixture has no mark', () => {
    const one = {
      id: 'custom' as const,
      points: new Float32Array(8),
      mixture: { components: [{ weight: 1, mean: [0, 0] as const, cov: [1, 0, 1] as const }] },
    };
    expect(theorySpeciationT(one, 'cosine', P)).toBeNull();
  });
});

describe(`classes (SEED=${seed})`, () => {
  test('k-means finds well separated clusters', () => {
    const k = 2 + rng.int(5);
    const centres: [number, number][] = [];
    for (let j = 0; j < k; j++) centres.push([10 * j + rng.uniform(), 5 * rng.normal()]);
    const per = 100;
    const points = new Float64Array(2 * k * per);
    const truth = new Uint32Array(k * per);
    for (let i = 0; i < k * per; i++) {
      const j = rng.int(k);
      truth[i] = j;
      points[2 * i] = centres[j]![0] + 0.3 * rng.normal();
      points[2 * i + 1] = centres[j]![1] + 0.3 * rng.normal();
    }
    const c = kMeans(points, k, seed);
    // The clusters are >= 9 apart (30 sd): k-means recovers them exactly (checked below), and each
    // centroid is the mean of its n_j points, |error|^2 ~ (0.09 / n_j) chi2_2, which exceeds
    // r^2 with probability exp(-r^2 n_j / 0.18): r for 1e-4 / k per cluster.
    centres.forEach(([x, y], j) => {
      const nj = truth.reduce((s, t) => s + (t === j ? 1 : 0), 0);
      let best = Infinity;
      for (let q = 0; q < k; q++)
        best = Math.min(best, Math.hypot(c[2 * q]! - x, c[2 * q + 1]! - y));
      const r = Math.sqrt((0.18 * Math.log(k / 1e-4)) / nj);
      within(best, r, 'centroid of n_j normal points: Rayleigh tail at 1e-4 / k');
    });
    // The labelling is the truth up to a permutation.
    const labels = nearestCentroid(points, c);
    const map = new Map<number, number>();
    for (let i = 0; i < truth.length; i++) {
      const seen = map.get(labels[i]!);
      if (seen === undefined) map.set(labels[i]!, truth[i]!);
      else expect(seen).toBe(truth[i]);
    }
    expect(map.size).toBe(k);
  });

  test('mixture classifier: chance is sum pi_k^2 and the labels are the components', () => {
    const mixture = datasetMixture('gaussians8')!;
    const classifier = modeClassifier({ id: 'gaussians8', points: new Float32Array(2), mixture });
    expect(classifier.chance).toBeCloseTo(1 / 8, 14);
    const means = new Float64Array(mixture.components.flatMap((c) => [...c.mean]));
    expect([...classifier.labels(means)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('k-means classifier on moons: two classes, chance near 1/2', () => {
    const n = 2000;
    const data = generateDataset('moons', n, seed);
    const classifier = modeClassifier(data);
    expect(classifier.classes).toBe(2);
    // Chance p^2 + (1 - p)^2 = 1/2 + 2 (p - 1/2)^2 >= 1/2 for any split p.
    expect(classifier.chance).toBeGreaterThanOrEqual(0.5);
    // The two moons are each other's reflection through their centre, so the population's 2-means
    // split is p = 1/2; a sample's p is off by the binomial SE sqrt(1 / (4 n)), times at most 2 for
    // the fitted boundary moving with the sample (measured 1.1 over 30 seeds).
    const dp = zFor(1) * 2 * Math.sqrt(1 / (4 * n));
    within(classifier.chance - 0.5, 2 * dp * dp, 'k-means split: SE of p near 1/2');
  });
});

describe(`commitment and levels (SEED=${seed})`, () => {
  test('commitment time: linear interpolation at halfway from chance to 1', () => {
    const chance = 0.25 * rng.uniform();
    const tc = 0.2 + 0.6 * rng.uniform();
    // A logistic curve from chance to 1 centred on tc, sampled at 21 points.
    const [w, h] = [0.02, 0.05];
    const g = (t: number): number => 1 / (1 + Math.exp((t - tc) / w));
    const points = Array.from({ length: 21 }, (_, i) => {
      const t = i / 20;
      return { t, sameMode: chance + (1 - chance) * g(t) };
    });
    // The halfway crossing is g = 1/2, at tc; commitmentTime takes the chord between the grid
    // points around it (within 0.0022 of tc for w = 0.4 h), which interpolating g crosses at the
    // same t (sameMode is affine in g).
    const i = Math.floor(tc / h);
    const [lo, hi] = [i / 20, (i + 1) / 20];
    const chord = lo + ((hi - lo) * (g(lo) - 0.5)) / (g(lo) - g(hi));
    // float64: sameMode and the chord's fraction each carry a few u, scaled by the step h.
    within(Math.abs(commitmentTime(points, chance)! - chord), 16 * U64, 'float64: the same chord');
    expect(commitmentTime([{ t: 1, sameMode: chance }], chance)).toBeNull();
  });

  test('clone levels spread over the noisy levels, first and last included', () => {
    const steps = 10 + rng.int(200);
    const levels = cloneLevels(steps, 12);
    expect(levels[0]).toBe(0);
    expect(levels.at(-1)).toBe(steps - 1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]!).toBeGreaterThan(levels[i - 1]!);
  });
});
