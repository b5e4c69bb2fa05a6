/**
 * Whole image runs on real WebGPU through the Simulation, as the app drives them: the empirical
 * denoiser with a deterministic sampler memorises exactly (every sample ends on a training
 * image), the smoothed denoiser (Scarvelis et al. 2023) lets samples leave the training set,
 * and the Gaussian-model denoiser's samples have the data's mean and covariance. Training images
 * are our procedural shapes (28x28), fresh each run (seed in the names).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Dataset } from '../../src/maths/datasets';
import { fitGaussianModel } from '../../src/maths/gaussianModel';
import { generateShapes, imageDim, MNIST_SHAPE } from '../../src/maths/imageDatasets';
import { nearestImages } from '../../src/maths/imageDenoisers';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import type { DenoiserId } from '../../src/settings';
import { IMAGE_GAUSSIAN_RANK, Simulation } from '../../src/sim/simulation';
import { gpuErrors, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const D = imageDim(MNIST_SHAPE);
/** Bound on |estimate - expected| in standard errors, for each single check. */
const Z = 5;

let sim: Simulation;
let device: GPUDevice;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
  await sim.enableImages();
});

afterAll(() => {
  sim.destroy();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

function shapes(m: number, s: number): Dataset {
  return { id: 'shapes', points: generateShapes(m, s), mixture: null, dim: D };
}

/** n images sampled by DDIM (eta 0) over `steps` cosine levels with this denoiser. */
async function sample(
  data: Dataset,
  n: number,
  denoiser: DenoiserId,
  steps: number,
  smoothing?: { std: number; draws: number },
): Promise<Float32Array> {
  sim.setData(data);
  sim.setParticles(n);
  sim.setRun({
    mode: 'reverse',
    sampler: 'ddim',
    denoiser,
    levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps),
    eta: 0,
    seed,
    ...(smoothing ? { smoothing } : {}),
  });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  sim.encodeSteps(encoder, steps);
  device.queue.submit([encoder.finish()]);
  return sim.positions();
}

describe(`image runs (SEED=${seed})`, () => {
  test('empirical + DDIM: every sample ends on a training image (exact memorisation)', async () => {
    const m = 120;
    const data = shapes(m, seed);
    const n = 24;
    const x = await sample(data, n, 'empirical', 20);
    const near = nearestImages(x, n, data.points, m, D);
    for (let i = 0; i < n; i++) {
      // Within float32 rounding of a stored image (pixels in [-1, 1]): RMS under 1e-3, and the
      // second nearest image far away.
      expect(Math.sqrt(near.d1[i]! / D)).toBeLessThan(1e-3);
      expect(Math.sqrt(near.d2[i]! / D)).toBeGreaterThan(0.05);
    }
  });

  test('smoothed + DDIM: some samples end measurably away from every training image', async () => {
    const m = 120;
    const data = shapes(m, seed);
    const n = 16;
    const x = await sample(data, n, 'smoothed', 20, { std: 4, draws: 4 });
    const near = nearestImages(x, n, data.points, m, D);
    const away = Array.from(near.d1).filter((d1) => Math.sqrt(d1 / D) > 0.02).length;
    expect(away).toBeGreaterThan(n / 4);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  test('gaussian model: the samples have the data mean and its covariance', async () => {
    const m = 300;
    const data = shapes(m, seed);
    const n = 64;
    const steps = 24;
    const x = await sample(data, n, 'gaussian', steps);
    // With a Gaussian model the DDIM chain is linear: a direction of variance lambda ends with
    // variance lambda F(lambda), F computed exactly here from the same levels (DDIM with few
    // steps under-disperses: F is 0.75 to 0.95 at 24 steps), so the check has no slack for bias.
    const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps);
    const F = (lambda: number): number => {
      let v = levels[0]!.sigma ** 2;
      for (let i = 0; i + 1 < levels.length; i++) {
        const a = levels[i]!;
        const b = levels[i + 1]!;
        const c = (a.alpha * lambda) / (a.alpha ** 2 * lambda + a.sigma ** 2);
        const f = b.alpha * c + (b.sigma * (1 - a.alpha * c)) / a.sigma;
        v *= f * f;
      }
      return v / lambda;
    };
    expect(x.every(Number.isFinite)).toBe(true);
    // The data's own moments (the model the kernel uses is fitted the same way, same seed).
    const rank = Math.min(IMAGE_GAUSSIAN_RANK, m - 1);
    const model = fitGaussianModel(data.points, D, rank, seed);
    // Mean: per pixel within Z standard errors of the data mean, and on the whole, normwise.
    const mean = new Float64Array(D);
    for (let i = 0; i < n; i++) for (let c = 0; c < D; c++) mean[c]! += x[i * D + c]! / n;
    let err2 = 0;
    for (let c = 0; c < D; c++) err2 += (mean[c]! - model.mean[c]!) ** 2;
    for (let k = 0; k < 8; k++) {
      // Along the top principal directions: mean projection ~ 0 with s.e. sqrt(lambda / n), and
      // variance lambda with s.e. lambda sqrt(2 / (n - 1)).
      const v = model.basis.subarray(k * D, (k + 1) * D);
      const lambda = model.lambda[k]! * F(model.lambda[k]!);
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        let p = 0;
        for (let c = 0; c < D; c++) p += v[c]! * (x[i * D + c]! - model.mean[c]!);
        s1 += p;
        s2 += p * p;
      }
      const pm = s1 / n;
      const pv = s2 / n - pm * pm;
      expect(Math.abs(pm)).toBeLessThan(Z * Math.sqrt(lambda / n));
      expect(Math.abs(pv - lambda)).toBeLessThan(Z * lambda * Math.sqrt(2 / (n - 1)));
    }
    // Total variance: the trace of the data covariance.
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < D; c++) total += (x[i * D + c]! - mean[c]!) ** 2 / (n - 1);
    const ended = [...model.lambda, ...new Array<number>(D - rank).fill(model.lambda0)].map(
      (l) => l * F(l),
    );
    const trace = ended.reduce((a, b) => a + b, 0);
    // Var of the total variance of n Gaussian samples: 2 sum lambda^2 / n.
    const sumSq = ended.reduce((a, b) => a + b * b, 0);
    expect(Math.abs(total - trace)).toBeLessThan(Z * Math.sqrt((2 * sumSq) / n));
    // And the data's own total variance, up to DDIM's under-dispersion at 24 steps (10 to 25%).
    const dataTrace = model.lambda.reduce((a, b) => a + b, 0) + (D - rank) * model.lambda0;
    expect(total / dataTrace).toBeGreaterThan(0.7);
    expect(total / dataTrace).toBeLessThan(1.02);
    // |mean - mu|^2 has expectation trace / n (a sum of many independent terms): within 2x.
    expect(err2).toBeLessThan((2 * trace) / n);
  });
});
