/**
 * The class-conditional exact denoisers and the guidance kernel on real WebGPU against float64
 * (src/maths/guidance.ts), on fresh random inputs: the mixture restricted to a class (weights
 * renormalised) and the empirical denoiser over a class's points, each within the float32 bounds
 * of the kernel's own arithmetic (tests/gpu/denoiserBounds.ts) on the terms it keeps; guide.wgsl
 * at w = 1 and w = 0 bit for bit the conditional and unconditional denoisers, elsewhere within
 * the rounding of w c + (1 - w) u.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { Mixture } from '../../src/maths/datasets';
import { denoiseEmpirical, denoiseMixture } from '../../src/maths/denoisers';
import { classMixture, classPoints, guide } from '../../src/maths/guidance';
import { Rng } from '../../src/maths/rng';
import type { StepParams } from '../../src/maths/steps';
import { packMixture } from '../../src/sim/run/mixture';
import { stepParams } from '../../src/sim/run/stepTable';
import { empiricalBounds, expectDenoised, mixtureBounds } from './denoiserBounds';
import { F32, gpuErrors, runKernel, worstElement } from './harness';
import { EPS32, SEED, within } from '../random';

const rng = new Rng(SEED, 151);

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

const normals = (count: number, scale = 1): Float32Array =>
  Float32Array.from({ length: count }, () => scale * rng.normal());

/** A VP level at half log-SNR lambda, and the step of one evaluation there. */
function evaluation(lambda: number, n: number, extra: Partial<StepParams>): StepParams {
  const alpha = Math.sqrt(1 / (1 + Math.exp(-2 * lambda)));
  const sigma = Math.sqrt(1 / (1 + Math.exp(2 * lambda)));
  const level = { t: 0.5, alpha, sigma };
  const c = { eta: 0, n, m: 1, k: 0, seed: rng.int(2 ** 32) };
  return { ...stepParams(level, level, level, 0, c), ...extra };
}

/** K components of random weights, means and covariances. */
function randomMixture(k: number): Mixture {
  const components = Array.from({ length: k }, () => {
    const a = 0.2 * rng.uniform() + 0.01;
    const b = 0.2 * rng.uniform() + 0.01;
    return {
      weight: (0.1 + rng.uniform()) / k,
      mean: [2 * rng.normal(), 2 * rng.normal()] as const,
      cov: [a, (rng.uniform() - 0.5) * Math.sqrt(a * b), b] as const,
    };
  });
  return { components };
}

/** U + log_share in float32: U's bound, the share's rounding and the addition's. */
function shifted(energy: Float64Array, cpu: Float64Array, share: number): Float64Array {
  return energy.map((e, i) => new F32(cpu[i]! - share, e).add(F32.of(share)).e);
}

describe(`class-conditional denoisers (SEED=${SEED})`, () => {
  for (const [label, lambda] of [
    ['high noise', -2],
    ['low noise', 2.5],
  ] as const) {
    test(`mixture restricted to a class at ${label} matches float64`, async () => {
      const n = 500;
      const k = 2 + rng.int(12);
      const mixture = randomMixture(k);
      const c = rng.int(k);
      const share = Math.log(mixture.components[c]!.weight);
      const x = normals(2 * n, 2);
      const p = evaluation(lambda, n, { k, label: c, log_share: share });
      const gpu = await runKernel('denoise_mixture', p, { x, mixture: packMixture(mixture) });
      const cpu = denoiseMixture(x, classMixture(mixture, c), p.alpha, p.sigma);
      // The kernel's terms: the class's component with its own (unnormalised) log weight.
      const kept = { components: [mixture.components[c]!] };
      const bounds = mixtureBounds(x, kept, p.alpha, p.sigma);
      bounds.energy = shifted(bounds.energy, cpu.energy, share);
      expectDenoised(gpu, cpu, bounds);
    });

    test(`empirical denoiser over a class's points at ${label} matches float64`, async () => {
      const n = 300;
      const m = 1500 + rng.int(1000);
      const classes = 2 + rng.int(6);
      const data = normals(2 * m);
      const labels = Uint32Array.from({ length: m }, () => rng.int(classes));
      const c = rng.int(classes);
      const own = classPoints(data, labels, c);
      const share = Math.log(own.length / 2 / m);
      const x = normals(2 * n, 1.5);
      const p = evaluation(lambda, n, { m, label: c, log_share: share });
      const gpu = await runKernel('denoise_empirical', p, { x, data, labels });
      const cpu = denoiseEmpirical(x, own, p.alpha, p.sigma);
      // The kernel's terms are the class's points in order; its U adds log M, then log(M_c / M),
      // where the reference adds log M_c: one more rounded addition, within shifted's bound.
      const bounds = empiricalBounds(x, own, p.alpha, p.sigma);
      const logM = Math.log(m) - Math.log(own.length / 2);
      bounds.energy = shifted(bounds.energy, cpu.energy, share).map(
        (e, i) => e + 2 * EPS32 * (Math.abs(cpu.energy[i]!) + logM),
      );
      expectDenoised(gpu, cpu, bounds);
    });
  }
});

describe(`guidance (SEED=${SEED})`, () => {
  const n = 400;
  const cond = normals(2 * n);
  const uncond = normals(2 * n);
  const energyCond = normals(n, 3);
  const energyUncond = normals(n, 3);
  const guided = (w: number) =>
    runKernel('guide', evaluation(0, n, { guidance: w }), {
      x0hat: cond,
      energy: energyCond,
      x0uncond: uncond,
      energyUncond,
    });

  test('w = 1 gives the conditional denoiser and w = 0 the unconditional, bit for bit', async () => {
    const one = await guided(1);
    expect(one.x0hat).toEqual(cond);
    expect(one.energy).toEqual(energyCond);
    const zero = await guided(0);
    expect(zero.x0hat).toEqual(uncond);
    expect(zero.energy).toEqual(energyUncond);
  });

  test('w = 3 gives u + w (c - u) within the rounding of w c + (1 - w) u', async () => {
    const w = 3;
    const gpu = await guided(w);
    for (const [out, c, u] of [
      [gpu.x0hat, cond, uncond],
      [gpu.energy, energyCond, energyUncond],
    ] as const) {
      const cpu = guide(c, u, w);
      const bound = Float64Array.from(
        c,
        (ci, i) => new F32(w).mul(new F32(ci)).add(new F32(1 - w).mul(new F32(u[i]!))).e,
      );
      const { error, tolerance } = worstElement(out, cpu, bound);
      within(
        error,
        tolerance,
        '2x the rounding of w c + (1 - w) u (exact inputs, w and 1 - w exact)',
      );
    }
  });
});
