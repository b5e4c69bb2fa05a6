/**
 * Speciation maths (src/maths/speciation.ts): the theory time on several schedules against the
 * closed form where there is one and the defining equation alpha^2 Lambda = sigma^2 everywhere,
 * k-means on separated clusters, the mode classifiers' chance levels, and the commitment time.
 */
import { describe, expect, test } from 'vitest';
import { datasetMixture, generateDataset, sampleMixture } from '../../src/maths/datasets';
import { Rng } from '../../src/maths/rng';
import {
  DEFAULT_SCHEDULE_PARAMS,
  levelAt,
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
import { momentErrors, moments } from '../../src/maths/stats';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 91);
const P = DEFAULT_SCHEDULE_PARAMS;

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
    expect(topEigenvalue(cov)).toBeCloseTo(l1, 12);
  });

  test('the paper form t_S = log(Lambda) / 2, none for Lambda <= 1', () => {
    const lambda = 1 + 20 * rng.uniform();
    expect(speciationTimeOU(lambda)).toBeCloseTo(Math.log(lambda) / 2, 14);
    expect(Math.exp(-2 * speciationTimeOU(lambda)!) * lambda).toBeCloseTo(1, 12);
    expect(speciationTimeOU(rng.uniform())).toBeNull();
  });

  test('linear VP: closed form alpha^2 = 1 / (1 + Lambda)', () => {
    const lambda = 0.1 + 5 * rng.uniform();
    // alpha^2 = exp(-(t^2 (bMax - bMin) / 2 + t bMin)) = 1 / (1 + Lambda): a quadratic in t.
    const a = 0.5 * (P.betaMax - P.betaMin);
    const c = -Math.log(1 + lambda);
    const expected = (-P.betaMin + Math.sqrt(P.betaMin ** 2 - 4 * a * c)) / (2 * a);
    expect(speciationT('linear', P, lambda)).toBeCloseTo(expected, 10);
  });

  test('VE: sigma(t)^2 = Lambda, t = log(sqrt(Lambda) / sigmaMin) / log(sigmaMax / sigmaMin)', () => {
    const lambda = 0.1 + 5 * rng.uniform();
    const expected = Math.log(Math.sqrt(lambda) / P.sigmaMin) / Math.log(P.sigmaMax / P.sigmaMin);
    expect(speciationT('ve', P, lambda)).toBeCloseTo(expected, 10);
  });

  test.each<ScheduleId>(['linear', 'cosine', 'sigmoid', 'karras', 've', 'custom'])(
    '%s: alpha^2 Lambda = sigma^2 at the returned t',
    (id) => {
      const params: ScheduleParams = { ...P, ztsnr: rng.uniform() < 0.5 };
      const lambda = 0.2 + 2 * rng.uniform();
      const t = speciationT(id, params, lambda);
      expect(t).not.toBeNull();
      const { alpha, sigma } = levelAt(id, params, t!);
      expect((alpha * alpha * lambda) / (sigma * sigma)).toBeCloseTo(1, 6);
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
    const cloud = sampleMixture(data.mixture!, 40000, rng);
    const sample = moments(cloud);
    const se = momentErrors(cloud).cov;
    for (const i of [0, 1, 2] as const)
      expect(Math.abs(sample.cov[i] - cov[i])).toBeLessThan(5 * se[i]);
    const t = theorySpeciationT(data, 'cosine', P);
    const { alpha, sigma } = levelAt('cosine', P, t!);
    expect((alpha * alpha * topEigenvalue(cov)) / sigma ** 2).toBeCloseTo(1, 6);
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
    // Every true centre has a centroid within 0.3 (sd 0.3 / sqrt(~100) per coordinate).
    for (const [x, y] of centres) {
      let best = Infinity;
      for (let j = 0; j < k; j++)
        best = Math.min(best, Math.hypot(c[2 * j]! - x, c[2 * j + 1]! - y));
      expect(best).toBeLessThan(0.3);
    }
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
    const data = generateDataset('moons', 2000, seed);
    const classifier = modeClassifier(data);
    expect(classifier.classes).toBe(2);
    // Chance p^2 + (1 - p)^2 is 1/2 at p = 1/2 and grows slowly: k-means splits moons unevenly,
    // but neither cluster is tiny.
    expect(classifier.chance).toBeGreaterThanOrEqual(0.5);
    expect(classifier.chance).toBeLessThan(0.68);
  });
});

describe('commitment and levels', () => {
  test('commitment time: linear interpolation at halfway from chance to 1', () => {
    const chance = 0.25 * rng.uniform();
    const tc = 0.2 + 0.6 * rng.uniform();
    // A logistic curve from chance to 1 centred on tc, sampled at 21 points.
    const points = Array.from({ length: 21 }, (_, i) => {
      const t = i / 20;
      return { t, sameMode: chance + (1 - chance) / (1 + Math.exp((t - tc) / 0.02)) };
    });
    expect(commitmentTime(points, chance)).toBeCloseTo(tc, 2);
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
