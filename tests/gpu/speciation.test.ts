/**
 * Clone experiments on real WebGPU (src/sim/speciation.ts) on gaussians8 with the exact denoiser
 * and DDPM: a clone is an exact copy (equal continuation seeds give bit-equal ends, different
 * ones do not), and P(same mode | t_c) is chance (sum pi_k^2 = 1/8) when cloning at the noisiest
 * level, 1 just before the end, and rises as t_c falls. Tolerances are standard errors of the
 * pair counts, sqrt(p (1 - p) / count), Z of them. On moons (no mixture) the classes are k-means
 * clusters of the data and the chance level their sum of squared shares.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateDataset, type Dataset } from '../../src/maths/datasets';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import { cloneLevels, modeClassifier, type SpeciationPoint } from '../../src/maths/speciation';
import type { RunSpec } from '../../src/sim/simulation';
import { Cloner, cloneAt, continuation } from '../../src/sim/speciation';
import { gpuErrors, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const Z = 5;
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

const se = (p: SpeciationPoint): number =>
  Math.sqrt(Math.max(p.sameMode * (1 - p.sameMode), 1 / p.count) / p.count);

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
    let differ = 0;
    for (let i = 0; i < c.length; i++) if (c[i] !== d[i]) differ++;
    expect(differ).toBe(c.length);
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
    const summary = points.map((p) => `${p.t.toFixed(3)}:${p.sameMode.toFixed(3)}`).join(' ');
    const first = points[0]!;
    const last = points.at(-1)!;
    expect(first.t, summary).toBe(1);
    expect(Math.abs(first.sameMode - cloner.chance), summary).toBeLessThan(Z * se(first));
    // Cloned at sigma ~ 0.002, modes 0.9 apart with sd 0.08: no pair can change mode.
    expect(last.sameMode, summary).toBeGreaterThan(1 - Z * se({ ...last, sameMode: 1 }));
    for (let i = 1; i < points.length; i++) {
      const [p, q] = [points[i - 1]!, points[i]!];
      expect(q.sameMode, summary).toBeGreaterThan(
        p.sameMode - Z * Math.sqrt(se(p) ** 2 + se(q) ** 2),
      );
    }
    // It does rise: from chance to (nearly) 1, far beyond the noise.
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
    expect(Math.abs(first.sameMode - chance)).toBeLessThan(Z * se(first));
    expect(last.sameMode).toBeGreaterThan(1 - Z * se({ ...last, sameMode: 1 }));
  });
});
