/**
 * Every kernel in shaders/ on real WebGPU against its float64 reference (src/maths), on fresh
 * random inputs each run (the seed is in the test name, to replay a failure).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Rng } from '../../src/maths/rng';
import { denoiseEmpirical, denoiseMixture } from '../../src/maths/denoisers';
import { denoiseImagesEmpirical } from '../../src/maths/imageDenoisers';
import type { Mixture } from '../../src/maths/datasets';
import * as ref from '../../src/maths/steps';
import type { Level } from '../../src/maths/schedules';
import { packMixture } from '../../src/sim/run/mixture';
import { stepParams, type RunConstants } from '../../src/sim/run/stepTable';
import { gpuErrors, runKernel, worstElement } from './harness';
import { SAMPLER_MODEL, copyState, expectSampler, samplerBounds } from './samplerBounds';
import { empiricalBounds, expectDenoised, mixtureBounds } from './denoiserBounds';
import { SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 99);
// float32: each element within 2x the running error bound of the kernel's WGSL on its own inputs.
const MODEL = SAMPLER_MODEL;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

function normals(count: number, scale = 1): Float64Array {
  return Float64Array.from({ length: count }, () => scale * rng.normal());
}

/**
 * A random pair of levels t (noisier) -> s, VP or VE, after a random previous level (so r > 0),
 * through the step table's own stepParams; eta and the score error random too.
 */
function randomStep(n: number, ve: boolean): ref.StepParams {
  const lambdaT = -3 + 6 * rng.uniform();
  const lambdaS = lambdaT + 0.05 + rng.uniform();
  const lambdaPrev = lambdaT - 0.05 - rng.uniform();
  const level = (lambda: number, t: number): Level =>
    ve
      ? { t, alpha: 1, sigma: Math.exp(-lambda) }
      : {
          t,
          alpha: Math.sqrt(1 / (1 + Math.exp(-2 * lambda))),
          sigma: Math.sqrt(1 / (1 + Math.exp(2 * lambda))),
        };
  const a = level(lambdaT, 0.7);
  const c: RunConstants = {
    eta: rng.uniform(),
    n,
    m: 1,
    k: 0,
    seed: rng.int(2 ** 32),
    error: { scale: rng.normal() * 0.2, bias: rng.normal(), noise: rng.uniform() },
  };
  const index = rng.int(10000);
  return stepParams(a, level(lambdaS, 0.6), a, index, c, level(lambdaPrev, 0.8), 2 * index + 1);
}

/** The same step from a level with alpha = 0 (zero terminal SNR, sigma = 1), r = 0. */
function infiniteStep(n: number): ref.StepParams {
  const p = randomStep(n, false);
  return { ...p, alpha_t: 0, sigma_t: 1, alpha: 0, sigma: 1, r: 0, drift: 0, diffusion: 0 };
}

function state(n: number, p: ref.StepParams): ref.CpuState {
  const st = ref.cpuState(n);
  st.x.set(normals(2 * n, p.sigma_t));
  st.x0hat.set(normals(2 * n));
  st.history.set(normals(4 * n));
  return st;
}

describe(`particle kernels (SEED=${seed})`, () => {
  const n = 1000;
  const cases: [string, (st: ref.CpuState, p: ref.StepParams) => void][] = [
    ['prior', ref.prior],
    ['forward_step', ref.forwardStep],
    ['ddim', ref.ddim],
    ['ddpm', ref.ddpm],
    ['euler', ref.euler],
    ['heun_predict', ref.heunPredict],
    ['heun_correct', ref.heunCorrect],
    ['em', ref.em],
    ['dpmpp2m', ref.dpmpp2m],
    ['perturb', ref.perturb],
  ];
  for (const ve of [false, true]) {
    for (const [name, cpu] of cases) {
      test(`${name} (${ve ? 've' : 'vp'}) matches float64`, async () => {
        const p = randomStep(n, ve);
        if (name === 'forward_step')
          [p.alpha_t, p.sigma_t, p.alpha_s, p.sigma_s] = [
            p.alpha_s,
            p.sigma_s,
            p.alpha_t,
            p.sigma_t,
          ];
        const st = state(n, p);
        const before = copyState(st);
        const gpu = await runKernel(name, p, { x: st.x, x0hat: st.x0hat, history: st.history });
        cpu(st, p);
        expectSampler(name, p, gpu, before, st);
      });
    }

    test(`dpmpp2m first order, r = 0 (${ve ? 've' : 'vp'}), matches float64 and ignores history`, async () => {
      const p = { ...randomStep(n, ve), r: 0 };
      const st = state(n, p);
      const before = copyState(st);
      const gpu = await runKernel('dpmpp2m', p, { x: st.x, x0hat: st.x0hat, history: st.history });
      const euler = copyState(st);
      ref.dpmpp2m(st, p);
      ref.euler(euler, p);
      expectSampler('dpmpp2m', p, gpu, before, st);
      // The same float64 operations in the same order as Euler's.
      expect(Array.from(st.x)).toEqual(Array.from(euler.x));
    });

    test(`em on the step to sigma = 0 is drift only (${ve ? 've' : 'vp'})`, async () => {
      const base = randomStep(n, ve);
      const p = {
        ...base,
        alpha_s: 1,
        sigma_s: 0,
        ...ref.emCoefficients(base.alpha_t, base.sigma_t, 1, 0),
      };
      const st = state(n, p);
      const before = copyState(st);
      const gpu = await runKernel('em', p, { x: st.x, x0hat: st.x0hat });
      ref.em(st, p);
      expectSampler('em', p, gpu, { ...before, history: new Float64Array(4 * n) }, st);
    });

    test(`perturb with noise 0 (${ve ? 've' : 'vp'}) is (1 + scale) x0_hat + bias u`, async () => {
      const p = { ...randomStep(n, ve), error_noise: 0 };
      const st = state(n, p);
      const gpu = await runKernel('perturb', p, { x0hat: st.x0hat });
      const want = st.x0hat.map(
        (v, k) => (1 + p.error_scale) * v + p.error_bias * ref.BIAS_DIRECTION[k % 2]!,
      );
      const { x0hat } = samplerBounds('perturb', p, st);
      const { error, tolerance } = worstElement(gpu.x0hat, want, x0hat!);
      within(error, tolerance, MODEL);
    });
  }

  describe('from a level with alpha_t = 0 (zero terminal SNR)', () => {
    const cases: [string, (st: ref.CpuState, p: ref.StepParams) => void][] = [
      ['euler', ref.euler],
      ['dpmpp2m', ref.dpmpp2m],
      ['ddim', ref.ddim],
      ['ddpm', ref.ddpm],
      ['perturb', ref.perturb],
    ];
    for (const [name, cpu] of cases) {
      test(`${name} is finite and matches float64`, async () => {
        const p = infiniteStep(n);
        const st = state(n, p);
        const before = copyState(st);
        const gpu = await runKernel(name, p, { x: st.x, x0hat: st.x0hat, history: st.history });
        cpu(st, p);
        expect(gpu.x.every(Number.isFinite)).toBe(true);
        expect(gpu.x0hat.every(Number.isFinite)).toBe(true);
        expectSampler(name, p, gpu, before, st);
      });
    }

    test('euler and dpmpp2m give sigma_s x + alpha_s x0_hat', async () => {
      const p = infiniteStep(n);
      const st = state(n, p);
      const want = st.x.map((v, k) => p.sigma_s * v + p.alpha_s * st.x0hat[k]!);
      for (const name of ['euler', 'dpmpp2m']) {
        const gpu = await runKernel(name, p, { x: st.x, x0hat: st.x0hat, history: st.history });
        const { error, tolerance } = worstElement(gpu.x, want, samplerBounds(name, p, st).x!);
        within(error, tolerance, `${name}: ${MODEL}`);
      }
    });
  });

  test('ddim with eta 1 on the last step to sigma = 0 gives alpha_s x0_hat', async () => {
    const p = { ...randomStep(n, false), alpha_s: 1, sigma_s: 0, eta: 1 };
    const st = state(n, p);
    const gpu = await runKernel('ddim', p, { x: st.x, x0hat: st.x0hat });
    // keep = 0 and c = 0 exactly: x is x0_hat's float32 upload, bit for bit.
    expect(Array.from(gpu.x)).toEqual(Array.from(Float32Array.from(st.x0hat)));
  });

  test('forward_jump matches float64', async () => {
    const m = 777;
    const data = Float32Array.from(normals(2 * m));
    const p = { ...randomStep(n, false), m };
    const st = ref.cpuState(n);
    const gpu = await runKernel('forward_jump', p, { data });
    ref.forwardJump(st, p, data);
    const { x } = samplerBounds('forward_jump', p, st, { data });
    const { error, tolerance } = worstElement(gpu.x, st.x, x!);
    within(error, tolerance, MODEL);
  });
});

function randomMixture(k: number): Mixture {
  const components = Array.from({ length: k }, () => {
    const a = 0.2 * rng.uniform() + 0.01;
    const b = 0.2 * rng.uniform() + 0.01;
    const c = (rng.uniform() - 0.5) * Math.sqrt(a * b);
    return {
      weight: 0.1 + rng.uniform(),
      mean: [2 * rng.normal(), 2 * rng.normal()] as const,
      cov: [a, c, b] as const,
    };
  });
  const total = components.reduce((s, c) => s + c.weight, 0);
  return { components: components.map((c) => ({ ...c, weight: c.weight / total })) };
}

describe(`denoisers (SEED=${seed})`, () => {
  for (const [label, lambda] of [
    ['high noise', -2],
    ['mid noise', 0.5],
    ['low noise', 3],
  ] as const) {
    test(`mixture denoiser at ${label} matches float64`, async () => {
      const n = 700;
      const mixture = randomMixture(1 + rng.int(30));
      const alpha = Math.sqrt(1 / (1 + Math.exp(-2 * lambda)));
      const sigma = Math.sqrt(1 / (1 + Math.exp(2 * lambda)));
      const x = Float32Array.from(normals(2 * n, 2));
      const p = { ...randomStep(n, false), alpha, sigma, k: mixture.components.length };
      const gpu = await runKernel('denoise_mixture', p, { x, mixture: packMixture(mixture) });
      const cpu = denoiseMixture(x, mixture, alpha, sigma);
      expectDenoised(gpu, cpu, mixtureBounds(x, mixture, alpha, sigma));
    });

    test(`empirical denoiser at ${label} matches float64, M not a multiple of the tile`, async () => {
      const n = 300 + rng.int(200);
      const m = 2000 + rng.int(1000);
      const data = Float32Array.from(normals(2 * m));
      const alpha = Math.sqrt(1 / (1 + Math.exp(-2 * lambda)));
      const sigma = Math.sqrt(1 / (1 + Math.exp(2 * lambda)));
      const x = Float32Array.from(normals(2 * n, 1.5));
      const p = { ...randomStep(n, false), alpha, sigma, m };
      const gpu = await runKernel('denoise_empirical', p, { x, data });
      const cpu = denoiseEmpirical(x, data, alpha, sigma);
      expectDenoised(gpu, cpu, empiricalBounds(x, data, alpha, sigma));
    });
  }

  test('smoothed denoiser on points (4 draws) matches float64 with the same query noise', async () => {
    const n = 200 + rng.int(100);
    const m = 500 + rng.int(300);
    const data = Float32Array.from(normals(2 * m));
    const x = Float32Array.from(normals(2 * n, 1.5));
    const level = { alpha: 0.9, sigma: Math.sqrt(1 - 0.81) };
    const p = { ...randomStep(n, false), ...level, m, smoothing: 0.4, draws: 4 };
    const gpu = await runKernel('denoise_empirical', p, { x, data });
    const smoothing = { smoothing: 0.4, draws: 4, seed: p.seed, evaluation: p.evaluation };
    const cpu = denoiseImagesEmpirical(x, n, data, m, 2, level.alpha, level.sigma, smoothing);
    const bounds = empiricalBounds(x, data, level.alpha, level.sigma, smoothing);
    expectDenoised(gpu, cpu, bounds);
    // And the draws matter: the plain denoiser is far outside the float32 bounds.
    const plain = denoiseEmpirical(x, data, level.alpha, level.sigma);
    const { error, tolerance } = worstElement(gpu.x0hat, plain.x0hat, bounds.x0hat);
    expect(error).toBeGreaterThan(100 * tolerance);
  });
});
