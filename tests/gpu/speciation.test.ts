/**
 * Clone experiments on real WebGPU (src/sim/experiments/speciation.ts) on gaussians8 with the exact denoiser
 * and DDPM: a clone is an exact copy (equal continuation seeds give bit-equal ends, different
 * ones do not), and P(same mode | t_c) is chance (sum pi_k^2 = 1/8) when cloning at the noisiest
 * level, 1 at the last one, and rises as t_c falls. On moons (no mixture) the classes are k-means
 * clusters of the data and the chance level their sum of squared shares. On images (shapes, d =
 * 784) an end's class is the label of its nearest training image, chance sum_c p_c^2 of the
 * labels' frequencies.
 *
 * The pairs of a clone experiment are independent, so its same-mode count is binomial: the
 * checks use the exact binomial law (Clopper-Pearson bounds), whose tails near p = 1 a normal
 * approximation gets wrong by orders of magnitude; each test's false-failure rate is at most
 * FALSE_FAILURE_RATE per run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateDataset, type Dataset } from '../../src/maths/datasets';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import {
  cloneLevels,
  labelChance,
  modeClassifier,
  type SpeciationPoint,
} from '../../src/maths/speciation';
import { makeImageDataset } from '../../src/io/imageData';
import type { RunSpec } from '../../src/sim/run/simulation';
import { Cloner, cloneAt, continuation } from '../../src/sim/experiments/speciation';
import { gpuErrors, testGpu } from './harness';
import { SEED, within, zFor } from '../random';

const seed = SEED;
const COUNT = 1024;
const STEPS = 50;

let cloner: Cloner;
let data: Dataset;

const spec = (sampler: RunSpec['sampler'] = 'ddpm'): RunSpec => ({
  mode: 'reverse',
  sampler,
  denoiser: 'exact',
  levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, STEPS),
  eta: 0,
  seed,
});

/** log P(X = j) for j = 0..n, X ~ Binomial(n, p), 0 < p < 1. */
function binomialLogPmf(n: number, p: number): Float64Array {
  const log = new Float64Array(n + 1);
  log[0] = n * Math.log1p(-p);
  const odds = Math.log(p) - Math.log1p(-p);
  for (let j = 0; j < n; j++) log[j + 1] = log[j]! + Math.log((n - j) / (j + 1)) + odds;
  return log;
}

/** P(X <= k) and P(X >= k), X ~ Binomial(n, p), summed exactly (in log space). */
function binomialTails(n: number, p: number, k: number): { lower: number; upper: number } {
  if (p <= 0) return { lower: 1, upper: k <= 0 ? 1 : 0 };
  if (p >= 1) return { lower: k >= n ? 1 : 0, upper: 1 };
  const log = binomialLogPmf(n, p);
  const top = Math.max(...log);
  let lower = 0;
  let upper = 0;
  log.forEach((l, j) => {
    const w = Math.exp(l - top);
    if (j <= k) lower += w;
    if (j >= k) upper += w;
  });
  const total = log.reduce((a, l) => a + Math.exp(l - top), 0);
  return { lower: lower / total, upper: upper / total };
}

/**
 * Clopper-Pearson bounds on p from k of n: the p at which k or fewer (lower: k or more) has
 * probability `tail`, by bisection. The true p lies below `upper` (above `lower`) except with
 * probability at most `tail`.
 */
function clopperPearson(k: number, n: number, tail: number): { lower: number; upper: number } {
  const solve = (f: (p: number) => boolean): number => {
    let [lo, hi] = [0, 1];
    for (let i = 0; i < 60; i++) {
      const mid = 0.5 * (lo + hi);
      if (f(mid)) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  return {
    lower: k === 0 ? 0 : solve((p) => binomialTails(n, p, k).upper < tail),
    upper: k === n ? 1 : solve((p) => binomialTails(n, p, k).lower > tail),
  };
}

const countOf = (point: SpeciationPoint): number => Math.round(point.sameMode * point.count);

/** A tail probability as the normal z with the same one-sided tail, for zFor's scale. */
const zOfTail = (tail: number): number => zFor(1, 2 * Math.min(0.5, tail));

/** The two-sided exact binomial test of a point's count against p, as a normal z. */
function binomialZ(point: SpeciationPoint, p: number): number {
  const { lower, upper } = binomialTails(point.count, p, countOf(point));
  return zOfTail(Math.min(lower, upper));
}

/**
 * How far q's count falls below p's, as a normal z: the largest tail at which p's lower and q's
 * upper Clopper-Pearson bounds still allow P_q >= P_p (0 when they do at every tail). If truly
 * P_q >= P_p, a z above zFor(1, 2 tail) needs one of the two bounds to fail: probability at most
 * 2 tail, whatever the correlation of the two counts.
 */
function dropZ(p: SpeciationPoint, q: SpeciationPoint): number {
  const allows = (tail: number): boolean =>
    clopperPearson(countOf(p), p.count, tail).lower <=
    clopperPearson(countOf(q), q.count, tail).upper;
  if (allows(0.5)) return 0;
  let [lo, hi] = [-700, Math.log(0.5)];
  for (let i = 0; i < 40; i++) {
    const mid = 0.5 * (lo + hi);
    if (allows(Math.exp(mid))) lo = mid;
    else hi = mid;
  }
  return zOfTail(Math.exp(lo));
}

beforeAll(async () => {
  const { device } = await testGpu();
  cloner = await Cloner.create(device, shaderSources);
  data = generateDataset('gaussians8', 2048, seed);
  cloner.setup(data, COUNT);
});

afterAll(() => {
  cloner.destroy();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

describe(`clones on gaussians8 (SEED=${seed})`, () => {
  test('a clone is an exact copy: equal seeds end bit-equal, different seeds do not', async () => {
    const level = Math.floor(STEPS / 2);
    const same = await cloner.clone(spec(), level, { seeds: [seed ^ 1, seed ^ 1] });
    const [a, b] = await cloner.ends();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(same.sameMode).toBe(1);
    await cloner.clone(spec(), level, { seeds: [seed ^ 1, seed ^ 2] });
    const [c, d] = await cloner.ends();
    // Independent ends given the split: a coordinate coincides in float32 with probability at
    // most ulp / (2 sqrt(pi) s) = 4e-7 (ulp <= 2^-23, s = 0.08 the spread of p(x0 | x_t) within a
    // mode), both of a particle's about 2e-13, so no particle's two ends may be equal.
    let equal = 0;
    for (let i = 0; i < c.length / 2; i++)
      if (c[2 * i] === d[2 * i] && c[2 * i + 1] === d[2 * i + 1]) equal++;
    expect(equal).toBe(0);
  });

  test('a deterministic run continues with ddpm, and says so', () => {
    const swapped = continuation(spec('heun'));
    expect(swapped.spec.sampler).toBe('ddpm');
    expect(swapped.note).toContain('heun');
    expect(continuation({ ...spec('ddim'), eta: 1 }).note).toBeNull();
  });

  test('P(same mode | t_c): chance at t = 1, 1 at the end, rising as t_c falls', async () => {
    const levels = cloneLevels(STEPS, 6);
    const points: SpeciationPoint[] = [];
    // DDIM eta 0 runs the prefix; the clones continue with DDPM.
    for (const level of levels) points.push(await cloner.clone(spec('ddim'), level));
    const summary = points.map((p) => `${p.t.toFixed(3)}:${p.sameMode.toFixed(4)}`).join(' ');
    console.log(`P(same mode | t_c): ${summary}`);
    const first = points[0]!;
    const last = points.at(-1)!;
    expect(first.t, summary).toBe(1);
    // One test at t = 1 and one per rise: the rate split evenly.
    const checks = points.length;
    // At t = 1, alpha = 0.0025: the shared start tells the clones almost nothing (an excess over
    // chance of order alpha^2 = 6e-6), and by the 8-fold symmetry each mode has probability 1/8.
    within(
      binomialZ(first, cloner.chance),
      zFor(checks),
      `t = 1: exact binomial test of ${summary}`,
    );
    // The last step (to sigma = 0) draws no noise: both clones end at x0_hat of the same point.
    expect(last.sameMode, summary).toBe(1);
    // Cloning later shares more of the path: the true P rises from level to level.
    for (let i = 1; i < points.length; i++) {
      const [p, q] = [points[i - 1]!, points[i]!];
      within(
        dropZ(p, q),
        zFor(checks),
        `rise from t = ${p.t.toFixed(3)}: Clopper-Pearson, ${summary}`,
      );
    }
    // It does rise: from chance (1/8) to 1, 0.875, far above 0.5 (the counts' spread is 0.01).
    expect(last.sameMode - first.sameMode, summary).toBeGreaterThan(0.5);
  });
});

describe(`clones on moons, k-means classes (SEED=${seed})`, () => {
  test('empirical denoiser: chance at t = 1, 1 at the end', async () => {
    const { device } = await testGpu();
    const moons = generateDataset('moons', 1024, seed);
    const run: RunSpec = { ...spec('ddpm'), denoiser: 'empirical' };
    const count = 512;
    const first = await cloneAt(device, shaderSources, run, moons, 0, count);
    const last = await cloneAt(device, shaderSources, run, moons, STEPS - 1, count);
    const chance = modeClassifier(moons).chance;
    console.log(
      `moons: P(same class) ${first.sameMode.toFixed(4)} at t = 1 (chance ${chance.toFixed(4)})`,
    );
    // Two near-equal clusters: the sampler's class shares q_k differ from the data's s_k by
    // little, and sum q_k^2 - sum s_k^2 is second order in q - s when s_1 = s_2.
    within(binomialZ(first, chance), zFor(1), 'exact binomial test at t = 1');
    expect(last.sameMode).toBe(1);
  });
});

describe(`clones on shapes images, nearest training image's label (SEED=${seed})`, () => {
  test('empirical denoiser, d = 784: chance at t = 1, 1 at the end, against the labels', async () => {
    const { device } = await testGpu();
    const m = 128;
    const shapes = await makeImageDataset('shapes', m, seed, null);
    const steps = 10;
    const run: RunSpec = {
      ...spec('ddpm'),
      denoiser: 'empirical',
      levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps),
    };
    const images = await Cloner.create(device, shaderSources);
    images.setup(shapes, 64);
    const first = await images.clone(run, 0);
    const last = await images.clone(run, steps - 1);
    images.destroy();
    const chance = labelChance(shapes.labels!);
    // Chance: P(two training images share a label), sum_c p_c^2, by all ordered pairs.
    let pairs = 0;
    for (const a of shapes.labels!) for (const b of shapes.labels!) if (a === b) pairs++;
    expect(chance).toBeCloseTo(pairs / m ** 2, 12);
    console.log(
      `shapes: P(same label) ${first.sameMode.toFixed(4)} at t = 1 (chance ${chance.toFixed(4)})`,
    );
    // At t = 1 the shared start tells the clones almost nothing, and an exact sampler of the
    // training set lands on each image w.p. 1 / M: P(same label) = chance, up to the run's
    // discretisation, small against what 64 pairs resolve.
    within(binomialZ(first, chance), zFor(1), 'exact binomial test at t = 1');
    // The last step (to sigma = 0) draws no noise: both clones end at the same image.
    expect(last.sameMode).toBe(1);
  });

  test('colour has no labels: cloning says so', async () => {
    const { device } = await testGpu();
    const colour = await makeImageDataset('colour', 16, seed, null);
    await expect(cloneAt(device, shaderSources, spec(), colour, 0, 8)).rejects.toThrow(
      /colour has none \(mnist and shapes do\)/,
    );
  });
});
