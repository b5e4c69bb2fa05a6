/**
 * Path straightness (src/maths/straightness.ts; run/path_start.wgsl, run/path_step.wgsl and its
 * mean in observe/obs_reduce.wgsl) on real WebGPU, through the Simulation as the app drives it.
 *
 * 1. The formula: runs read back after every step (here, in the test: the app never does) give
 *    the float64 path lengths L, endpoint distances D and excesses L / D - 1. Error model: the
 *    kernel's own float32 arithmetic replayed on the same float32 positions (F32, harness.ts: the
 *    differences, squares, sum, WGSL's sqrt, the running sum of L kept in float32, the division),
 *    2x for reassociation; the mean adds the reduction trees' roundings, depth x u x sum |excess|
 *    (depth: a lane's sequential fold, then two workgroup trees of log2(256) levels each).
 * 2. The physics, at 20 steps (20 NFE) with the exact mixture denoiser, rectified-flow Euler
 *    against cosine DDIM (eta 0). Measured over 12 seeds, 2,048 particles (mean +- sd, min-max):
 *    - one narrow Gaussian (mean (1.5, 0), std 0.05): rectified 0.0051 +- 0.0013 (0.0036 to
 *      0.0081), cosine 0.338 +- 0.030 (0.292 to 0.396). x0_hat is the mean at every t, so the
 *      rectified velocity (x - x0_hat) / t points along the straight line to it (Euler is exact
 *      on it: what is left is the spread of 0.05), while VP's x_t = alpha mu + sigma eps with
 *      alpha^2 + sigma^2 = 1 is an arc. Bounds: rectified < 0.02 (mean + 11 sd), cosine > 0.2
 *      (mean - 4.6 sd).
 *    - gaussians8: the other way round, rectified 1.74 +- 0.08 (1.63 to 1.88), cosine 0.293 +-
 *      0.013 (0.275 to 0.315). Straight conditional paths do not make a straight marginal flow
 *      (Liu et al. 2022 straighten it by reflow): x0_hat is the data's mean 0 near t = 1, so the
 *      particles first contract towards it (the linear interpolant's variance dips, (1 - t)^2
 *      0.72 + t^2 per coordinate, to 0.42 at t = 0.42: the mean |x| falls from 1.26 to 0.81 and
 *      rises back to 1.19), then turn out to their mode; cosine keeps the scale (1.26, 1.13,
 *      1.19). Bounds: rectified > 1.2 (mean - 6.7 sd), cosine < 0.4 (mean + 8 sd).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  generateDataset,
  sampleMixture,
  type Dataset,
  type Mixture,
} from '../../src/maths/datasets';
import { Rng } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels, type ScheduleId } from '../../src/maths/schedules';
import { pathStraightness } from '../../src/maths/straightness';
import type { SamplerId } from '../../src/settings/settings';
import {
  Observables,
  REDUCE_WORKGROUP_SIZE,
  stridedGroups,
} from '../../src/sim/observe/observables';
import { Simulation } from '../../src/sim/run/simulation';
import { F32, REASSOCIATION_SLACK, expectWithin, gpuErrors, setRun, testGpu } from './harness';
import { EPS32, SEED, within } from '../random';

const STEPS = 20;
let sim: Simulation;
let observables: Observables;
let device: GPUDevice;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
  observables = await Observables.create(device, shaderSources);
});

afterAll(() => {
  observables.destroy();
  sim.destroy();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

interface Run {
  data: Dataset;
  n: number;
  schedule: ScheduleId;
  sampler: SamplerId;
  eta?: number;
  seed: number;
}

/** Sets up and resets a run of STEPS steps. */
async function start(r: Run): Promise<void> {
  if (sim.n !== r.n) sim.setParticles(r.n);
  sim.setData(r.data);
  const levels = reverseLevels(r.schedule, DEFAULT_SCHEDULE_PARAMS, STEPS);
  const { sampler, seed } = r;
  await setRun(sim, { mode: 'reverse', sampler, denoiser: 'exact', levels, eta: r.eta ?? 0, seed });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  device.queue.submit([encoder.finish()]);
}

/** Records k steps. */
function steps(k: number): void {
  const encoder = device.createCommandEncoder();
  sim.encodeSteps(encoder, k);
  device.queue.submit([encoder.finish()]);
}

const measured = async (): Promise<number> =>
  (await observables.measure({ x: sim.x, n: sim.n, path: sim.path })).straightness;

const gaussians8 = generateDataset('gaussians8', 256, SEED);

/** path_step replayed in float32 on one particle's float32 positions: L and the excess. */
function replay(positions: readonly Float32Array[], p: number): { length: F32; excess: F32 } {
  const norm = (a: Float32Array, b: Float32Array): F32 => {
    const d = [0, 1].map((c) => new F32(b[2 * p + c]!).sub(new F32(a[2 * p + c]!)));
    return d[0]!.mul(d[0]!).add(d[1]!.mul(d[1]!)).sqrt();
  };
  let length = new F32(0);
  for (let i = 1; i < positions.length; i++)
    length = length.add(norm(positions[i - 1]!, positions[i]!));
  const span = norm(positions[0]!, positions[positions.length - 1]!);
  return { length, excess: length.div(span).sub(1) };
}

describe(`the live straightness is L / D - 1 of the run's own path (SEED=${SEED})`, () => {
  const runs: [string, number][] = [
    ['ddim eta 0', 0],
    ['ddim eta 1 (rough paths)', 1],
  ];
  test.each(runs)('cosine %s: per particle and the mean, read back every step', async (_, eta) => {
    const n = 1024;
    await start({ data: gaussians8, n, schedule: 'cosine', sampler: 'ddim', eta, seed: SEED });
    // Before any step no particle has moved: none counts, the reading is NaN.
    expect(await measured()).toBeNaN();
    const positions = [await sim.positions()];
    for (let i = 0; i < STEPS; i++) {
      steps(1);
      positions.push(await sim.positions());
    }
    const cpu = pathStraightness(positions, n);
    const path = (await sim.readBuffer('path')).slice(0, 4 * n);
    const replays = Array.from({ length: n }, (_, p) => replay(positions, p));
    const model = 'the float32 replay of run/path_step.wgsl on the same positions, 2x';
    expectWithin(
      'L',
      Float64Array.from({ length: n }, (_, p) => path[4 * p]!),
      cpu.length,
      (p) => REASSOCIATION_SLACK * replays[p]!.length.e,
      model,
    );
    expectWithin(
      'excess',
      Float64Array.from({ length: n }, (_, p) => path[4 * p + 1]!),
      cpu.excess,
      (p) => REASSOCIATION_SLACK * replays[p]!.excess.e,
      model,
    );
    // The same particles count on both sides. Nearly all do: one that ends within L / 1000 of
    // its start is rare (SEED=22, eta 1: one of 1,024, back to 0.009 of its start after a path
    // of 12.8; its excess, 1,460, alone would have added 1.4 to the mean).
    expect(Array.from({ length: n }, (_, p) => path[4 * p + 2])).toEqual(Array.from(cpu.counted));
    expect(cpu.counted.reduce((a, c) => a + c, 0)).toBeGreaterThan(0.99 * n);
    // The mean: each excess's bound, then the reductions' sums.
    const groups = stridedGroups(n);
    const lanes = REDUCE_WORKGROUP_SIZE;
    const depth =
      Math.ceil(n / (groups * lanes)) + Math.ceil(groups / lanes) + 2 * Math.log2(lanes);
    let bounds = 0;
    let magnitude = 0;
    let counted = 0;
    for (let p = 0; p < n; p++) {
      if (!cpu.counted[p]) continue;
      bounds += REASSOCIATION_SLACK * replays[p]!.excess.e;
      magnitude += Math.abs(cpu.excess[p]!);
      counted++;
    }
    const tolerance = (bounds + depth * EPS32 * magnitude) / counted + EPS32 * Math.abs(cpu.mean);
    within(Math.abs((await measured()) - cpu.mean), tolerance, `mean: ${model}, tree sums`);
    // Without the path buffer there is no reading.
    expect((await observables.measure({ x: sim.x, n })).straightness).toBeNaN();
  });
});

const narrowMixture: Mixture = {
  components: [{ weight: 1, mean: [1.5, 0], cov: [0.0025, 0, 0.0025] }],
};
const narrow: Dataset = {
  id: 'custom',
  points: sampleMixture(narrowMixture, 256, new Rng(SEED, 9)),
  mixture: narrowMixture,
};

describe(`rectified-flow Euler against cosine DDIM at 20 NFE (SEED=${SEED})`, () => {
  const straightness = async (data: Dataset, schedule: ScheduleId, sampler: SamplerId) => {
    await start({ data, n: 2048, schedule, sampler, seed: SEED });
    steps(STEPS);
    return measured();
  };

  test('one narrow Gaussian: rectified paths are straight (< 0.02), VP arcs (> 0.2)', async () => {
    const rectified = await straightness(narrow, 'rectified', 'euler');
    const cosine = await straightness(narrow, 'cosine', 'ddim');
    expect(rectified).toBeLessThan(0.02);
    expect(cosine).toBeGreaterThan(0.2);
  });

  test('gaussians8: rectified paths dip in and out (> 1.2), cosine DDIM less (< 0.4)', async () => {
    const rectified = await straightness(gaussians8, 'rectified', 'euler');
    const cosine = await straightness(gaussians8, 'cosine', 'ddim');
    expect(rectified).toBeGreaterThan(1.2);
    expect(cosine).toBeLessThan(0.4);
  });
});
