/**
 * Every kernel in shaders/ on real WebGPU against its float64 reference (src/maths), on fresh
 * random inputs each run (the seed is in the test name, to replay a failure).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Rng } from '../../src/maths/rng';
import { denoiseEmpirical, denoiseMixture } from '../../src/maths/denoisers';
import type { Mixture } from '../../src/maths/datasets';
import * as ref from '../../src/maths/steps';
import { packMixture } from '../../src/sim/simulation';
import { freshSeed, gpuErrors, relativeError, runKernel } from './harness';

const seed = freshSeed();
const rng = new Rng(seed, 99);
const TOL = 1e-5;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

function normals(count: number, scale = 1): Float64Array {
  return Float64Array.from({ length: count }, () => scale * rng.normal());
}

/** A random pair of levels t (noisier) -> s, VP or VE. */
function randomStep(n: number, ve: boolean): ref.StepParams {
  const lambdaT = -3 + 6 * rng.uniform();
  const lambdaS = lambdaT + 0.05 + rng.uniform();
  const level = (lambda: number): [number, number] =>
    ve
      ? [1, Math.exp(-lambda)]
      : [Math.sqrt(1 / (1 + Math.exp(-2 * lambda))), Math.sqrt(1 / (1 + Math.exp(2 * lambda)))];
  const [alphaT, sigmaT] = level(lambdaT);
  const [alphaS, sigmaS] = level(lambdaS);
  return {
    t: 0.7,
    alpha_t: alphaT,
    sigma_t: sigmaT,
    s: 0.6,
    alpha_s: alphaS,
    sigma_s: sigmaS,
    alpha: alphaT,
    sigma: sigmaT,
    eta: rng.uniform(),
    n,
    m: 1,
    k: 0,
    seed: rng.int(2 ** 32),
    index: rng.int(10000),
  };
}

function state(n: number, p: ref.StepParams): ref.CpuState {
  const st = ref.cpuState(n);
  st.x.set(normals(2 * n, p.sigma_t));
  st.x0hat.set(normals(2 * n));
  st.aux.set(normals(4 * n));
  return st;
}

describe(`particle kernels (seed ${seed})`, () => {
  const n = 1000;
  const cases: [string, (st: ref.CpuState, p: ref.StepParams) => void][] = [
    ['prior', ref.prior],
    ['forward_step', ref.forwardStep],
    ['ddim', ref.ddim],
    ['ddpm', ref.ddpm],
    ['euler', ref.euler],
    ['heun_predict', ref.heunPredict],
    ['heun_correct', ref.heunCorrect],
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
        const gpu = await runKernel(name, p, { x: st.x, x0hat: st.x0hat, aux: st.aux });
        cpu(st, p);
        expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
        if (name === 'heun_predict') expect(relativeError(gpu.aux, st.aux)).toBeLessThan(TOL);
      });
    }
  }

  test('ddim with eta 0 and eta 1 on the last step to sigma = 0 gives alpha_s x0_hat', async () => {
    const p = { ...randomStep(n, false), alpha_s: 1, sigma_s: 0, eta: 1 };
    const st = state(n, p);
    const gpu = await runKernel('ddim', p, { x: st.x, x0hat: st.x0hat });
    expect(relativeError(gpu.x, st.x0hat)).toBeLessThan(TOL);
  });

  test('forward_jump matches float64', async () => {
    const m = 777;
    const data = normals(2 * m);
    const p = { ...randomStep(n, false), m };
    const st = ref.cpuState(n);
    const gpu = await runKernel('forward_jump', p, { data });
    ref.forwardJump(st, p, Float32Array.from(data));
    expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
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

describe(`denoisers (seed ${seed})`, () => {
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
      const x = normals(2 * n, 2);
      const p = { ...randomStep(n, false), alpha, sigma, k: mixture.components.length };
      const gpu = await runKernel('denoise_mixture', p, { x, mixture: packMixture(mixture) });
      const cpu = denoiseMixture(Float32Array.from(x), mixture, alpha, sigma);
      expect(relativeError(gpu.x0hat, cpu.x0hat)).toBeLessThan(TOL);
      expect(relativeError(gpu.energy, cpu.energy)).toBeLessThan(TOL);
    });

    test(`empirical denoiser at ${label} matches float64, M not a multiple of the tile`, async () => {
      const n = 300 + rng.int(200);
      const m = 2000 + rng.int(1000);
      const data = normals(2 * m);
      const alpha = Math.sqrt(1 / (1 + Math.exp(-2 * lambda)));
      const sigma = Math.sqrt(1 / (1 + Math.exp(2 * lambda)));
      const x = normals(2 * n, 1.5);
      const p = { ...randomStep(n, false), alpha, sigma, m };
      const gpu = await runKernel('denoise_empirical', p, { x, data });
      const cpu = denoiseEmpirical(Float32Array.from(x), Float32Array.from(data), alpha, sigma);
      expect(relativeError(gpu.x0hat, cpu.x0hat)).toBeLessThan(TOL);
      expect(relativeError(gpu.energy, cpu.energy)).toBeLessThan(TOL);
    });
  }
});
