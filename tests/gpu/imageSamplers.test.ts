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
import type { DenoiserId } from '../../src/settings/settings';
import { IMAGE_GAUSSIAN_RANK, Simulation } from '../../src/sim/run/simulation';
import { ddimSamples, gpuErrors, testGpu } from './harness';
import { EPS32, FALSE_FAILURE_RATE, SEED, within, zFor } from '../random';

const seed = SEED;
const D = imageDim(MNIST_SHAPE);

let sim: Simulation;
let device: GPUDevice;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
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
  return ddimSamples(sim, device, { denoiser, steps, seed, ...(smoothing ? { smoothing } : {}) });
}

describe(`image runs (SEED=${seed})`, () => {
  test('empirical + DDIM: every sample ends on a training image (exact memorisation)', async () => {
    const m = 120;
    const data = shapes(m, seed);
    const n = 24;
    const x = await sample(data, n, 'empirical', 20);
    const near = nearestImages(x, n, data.points, m, D);
    for (let i = 0; i < n; i++) {
      // The last level (sigma 6e-3) weighs an image RMS 0.05 farther than the nearest by
      // exp(-0.05^2 D / (2 sigma^2)) = 0 in float32: x ends on x0_hat = y, up to 2 roundings.
      expect(Math.sqrt(near.d2[i]! / D)).toBeGreaterThan(0.05);
      within(Math.sqrt(near.d1[i]! / D), 2 * EPS32, 'x0_hat of one weight, pixels in [-1, 1]');
    }
  });

  test('smoothed + DDIM: most samples end measurably away from every training image', async () => {
    const m = 120;
    const data = shapes(m, seed);
    const n = 8;
    const x = await sample(data, n, 'smoothed', 20, { std: 4, draws: 4 });
    const near = nearestImages(x, n, data.points, m, D);
    expect(x.every(Number.isFinite)).toBe(true);
    // A sample stays on an image only if its draws all pick the same one at the last levels:
    // 128 of 128 samples away (RMS >= 0.15) over 8 seeds, so P(away) >= 0.977 (95%), and
    // Binomial(8, 0.977) has fewer than 5 with probability 2e-5.
    const away = Array.from(near.d1).filter((d1) => Math.sqrt(d1 / D) > 0.02).length;
    expect(away).toBeGreaterThanOrEqual(5);
  });

  test('gaussian model: the samples have the data mean and its covariance', async () => {
    const m = 300;
    const data = shapes(m, seed);
    const n = 64;
    const steps = 12;
    const x = await sample(data, n, 'gaussian', steps);
    expect(x.every(Number.isFinite)).toBe(true);
    // With a Gaussian model the DDIM chain is linear: along an eigendirection of variance lambda
    // the deviation from the marginal mean alpha mu is multiplied by each step's factor, g(lambda)
    // in all (computed exactly here from the same levels). The prior x_T = sigma_T eps has mean
    // 0, not alpha_T mu: a sample ends N(mu - alpha_T g (v . mu), (sigma_T g)^2) along v.
    const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps);
    const gain = (lambda: number): number => {
      let g = 1;
      for (let i = 0; i + 1 < levels.length; i++) {
        const a = levels[i]!;
        const b = levels[i + 1]!;
        const c = (a.alpha * lambda) / (a.alpha ** 2 * lambda + a.sigma ** 2);
        g *= b.alpha * c + (b.sigma * (1 - a.alpha * c)) / a.sigma;
      }
      return g;
    };
    const { alpha: alphaT, sigma: sigmaT } = levels[0]!;
    // The model the kernel uses (fitted the same way, same seed): top directions, then D - rank
    // residual ones of variance lambda0.
    const rank = Math.min(IMAGE_GAUSSIAN_RANK, m - 1);
    const model = fitGaussianModel(data.points, D, rank, seed);
    const basis = (k: number): Float64Array => model.basis.subarray(k * D, (k + 1) * D);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number => {
      let s = 0;
      for (let c = 0; c < D; c++) s += a[offset + c]! * b[c]!;
      return s;
    };
    const g = Array.from(model.lambda, gain);
    const g0 = gain(model.lambda0);
    const variances = [
      ...g.map((gk) => (sigmaT * gk) ** 2),
      ...new Array<number>(D - rank).fill((sigmaT * g0) ** 2),
    ];
    const target = model.mean.map((mu) => mu - alphaT * g0 * mu);
    for (let k = 0; k < rank; k++) {
      const shift = alphaT * (g[k]! - g0) * dot(model.mean, basis(k));
      for (let c = 0; c < D; c++) target[c]! -= shift * basis(k)[c]!;
    }
    // 18 checks share the false-failure rate: 8 means (normal), 8 variances and the total
    // (chi-square, each tail by Laurent & Massart 2000: sum a_j (Z_j^2 - 1) passes
    // 2 |a|_2 sqrt(t) + 2 |a|_max t, or -2 |a|_2 sqrt(t), with probability e^-t), |mean - target|^2.
    const checks = 18;
    const t2 = Math.log((2 * checks) / FALSE_FAILURE_RATE);
    const t1 = Math.log(checks / FALSE_FAILURE_RATE);
    const chiSquare = (deviation: number, a2: number, aMax: number, model: string): void =>
      deviation >= 0
        ? within(deviation, 2 * a2 * Math.sqrt(t2) + 2 * aMax * t2, model)
        : within(-deviation, 2 * a2 * Math.sqrt(t2), model);
    for (let k = 0; k < 8; k++) {
      // Projections onto v_k: mean 0 with s.e. sqrt(var / n); n pv / var is chi-square(n - 1).
      const centre = dot(target, basis(k));
      const p = Array.from({ length: n }, (_, i) => dot(x, basis(k), i * D) - centre);
      const pm = p.reduce((a, b) => a + b, 0) / n;
      const pv = p.reduce((a, b) => a + (b - pm) ** 2, 0) / n;
      const v = variances[k]!;
      within(Math.abs(pm), zFor(checks) * Math.sqrt(v / n), `mean along v_${k}: normal`);
      const a = v / n;
      chiSquare(pv - (n - 1) * a, a * Math.sqrt(n - 1), a, `variance along v_${k}: chi-square`);
    }
    // Total variance: sum over the D directions of var chi-square(n - 1) / (n - 1).
    const mean = new Float64Array(D);
    for (let i = 0; i < n; i++) for (let c = 0; c < D; c++) mean[c]! += x[i * D + c]! / n;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < D; c++) total += (x[i * D + c]! - mean[c]!) ** 2 / (n - 1);
    const trace = variances.reduce((a, b) => a + b, 0);
    const sumSq = variances.reduce((a, b) => a + b * b, 0);
    const largest = Math.max(...variances);
    chiSquare(
      total - trace,
      Math.sqrt(sumSq / (n - 1)),
      largest / (n - 1),
      'total variance: chi-square',
    );
    // |mean - target|^2: sum over the D directions of (var / n) chi-square(1), upper tail.
    let err2 = 0;
    for (let c = 0; c < D; c++) err2 += (mean[c]! - target[c]!) ** 2;
    const bound = 2 * (Math.sqrt(sumSq) / n) * Math.sqrt(t1) + 2 * (largest / n) * t1;
    within(err2, trace / n + bound, '|mean - target|^2: chi-square, upper tail');
  });
});
