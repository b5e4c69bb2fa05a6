/**
 * The sampler kernels on images: the same WGSL files as for points, run with Step.dim = 784 or
 * 3072 (dim / 2 vec2 lanes per image), against their float64 references on fresh random inputs
 * (seed in the names). Per-image quantities (energy, MALA's decision) stay per image: MALA accepts
 * or rejects a whole image, and forward jumps take every pixel of an image from one picked image.
 */
import { afterEach, describe, expect, test } from 'vitest';
import * as lang from '../../src/maths/langevin';
import { Rng } from '../../src/maths/rng';
import type { Level } from '../../src/maths/schedules';
import * as ref from '../../src/maths/steps';
import { stepParams } from '../../src/sim/stepTable';
import { gpuErrors, relativeError, runKernel } from './harness';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 314);
const TOL = 1e-5;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

const normals = (count: number, scale = 1): Float64Array =>
  Float64Array.from({ length: count }, () => scale * rng.normal());

const vp = (lambda: number, t: number): Level => ({
  t,
  alpha: Math.sqrt(1 / (1 + Math.exp(-2 * lambda))),
  sigma: Math.sqrt(1 / (1 + Math.exp(2 * lambda))),
});

/** A random reverse step t -> s after a previous level, for n images of dim coordinates. */
function randomStep(n: number, dim: number): ref.StepParams {
  const lambdaT = -3 + 6 * rng.uniform();
  const a = vp(lambdaT, 0.7);
  const index = rng.int(10000);
  const c = { eta: rng.uniform(), n, m: 1, k: 0, seed: rng.int(2 ** 32), dim };
  return stepParams(
    a,
    vp(lambdaT + 0.05 + rng.uniform(), 0.6),
    a,
    index,
    c,
    vp(lambdaT - 0.05 - rng.uniform(), 0.8),
    2 * index + 1,
  );
}

for (const dim of [784, 3072]) {
  describe(`sampler kernels on ${dim}-pixel images (SEED=${seed})`, () => {
    const n = 3;
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
    ];
    for (const [name, cpu] of cases) {
      test(`${name} matches float64 on every pixel`, async () => {
        const p = randomStep(n, dim);
        const st = ref.cpuState(n, dim);
        st.x.set(normals(n * dim, p.sigma_t));
        st.x0hat.set(normals(n * dim));
        st.aux.set(normals(2 * n * dim));
        const gpu = await runKernel(name, p, { x: st.x, x0hat: st.x0hat, aux: st.aux });
        cpu(st, p);
        expect(gpu.x.length).toBe(n * dim);
        expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
      });
    }

    test('forward_jump takes all pixels of an image from the one picked image', async () => {
      const m = 37;
      const data = normals(m * dim);
      const p = { ...randomStep(n, dim), m };
      const st = ref.cpuState(n, dim);
      const gpu = await runKernel('forward_jump', p, { data });
      ref.forwardJump(st, p, Float32Array.from(data));
      expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
      // Undo the noise: each image is alpha times one stored image.
      const eps = ref.cpuState(n, dim);
      ref.prior(eps, { ...p, sigma_t: 1 });
      for (let i = 0; i < n; i++) {
        const x0 = Array.from(
          { length: dim },
          (_, k) => (gpu.x[i * dim + k]! - p.sigma * eps.x[i * dim + k]!) / p.alpha,
        );
        expect(pickedImage(x0, data, m, dim)).toBeGreaterThanOrEqual(0);
      }
    });
  });
}

/** The stored image x0 is (to float32 rounding), or -1. */
function pickedImage(x0: number[], data: Float64Array, m: number, dim: number): number {
  for (let j = 0; j < m; j++) {
    let err = 0;
    for (let k = 0; k < dim; k++) err = Math.max(err, Math.abs(x0[k]! - data[j * dim + k]!));
    if (err < 1e-3) return j;
  }
  return -1;
}

describe(`Langevin kernels on 784-pixel images (SEED=${seed})`, () => {
  // 24 images: MALA both accepts and rejects some of them (each about half the time).
  const n = 24;
  const dim = 784;
  const lanes = (n * dim) / 2;

  function params(close: number): lang.LangevinParams {
    const level = vp(-1 + 3 * rng.uniform(), 0.3);
    return {
      ...stepParams(level, level, level, rng.int(1000), {
        eta: 0,
        n,
        m: 1,
        k: 0,
        seed: rng.int(2 ** 32),
        dim,
      }),
      temperature: 0.3 + 2 * rng.uniform(),
      h: 0.001 + 0.01 * rng.uniform(),
      gamma: 2 * rng.uniform(),
      close,
      velocity_std: 0.2 + rng.uniform(),
    };
  }

  function state(): { st: ref.CpuState; lv: lang.LangevinCpu } {
    const st = ref.cpuState(n, dim);
    st.x.set(normals(n * dim));
    st.x0hat.set(normals(n * dim));
    st.energy.set(normals(n));
    const lv = lang.langevinCpu(n, dim);
    lv.v.set(normals(n * dim));
    lv.heat.set(normals(lanes));
    const h = lv.held;
    h.x.set(st.x.map((v) => v + 0.05 * rng.normal()));
    h.x0hat.set(normals(n * dim));
    h.energy.set(normals(lanes));
    h.logQ.set(Float64Array.from({ length: lanes }, () => rng.uniform()));
    const moves = Uint32Array.from({ length: n }, () => rng.int(2 ** 31));
    h.moves.set(Uint32Array.from({ length: lanes }, (_, j) => moves[Math.floor(j / (dim / 2))]!));
    h.pending.set(Uint32Array.from({ length: lanes }, () => rng.int(2)));
    return { st, lv };
  }

  function inputs(st: ref.CpuState, lv: lang.LangevinCpu) {
    const r = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
    for (const a of [st.x, st.x0hat, st.energy, lv.v, lv.heat]) a.set(r(a));
    for (const a of [lv.held.x, lv.held.x0hat, lv.held.energy, lv.held.logQ]) a.set(r(a));
    return {
      x: st.x,
      x0hat: st.x0hat,
      energy: st.energy,
      v: lv.v,
      accept: lv.accept,
      heat: lv.heat,
      held: lang.packHeld(lv.held),
    };
  }

  for (const close of [0, 1]) {
    test(`ula, close ${close}: every pixel moves, heat per lane`, async () => {
      const p = params(close);
      const { st, lv } = state();
      const gpu = await runKernel('ula', p, inputs(st, lv));
      lang.ula(st, lv, p);
      expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
      expect(relativeError(gpu.heat, lv.heat)).toBeLessThan(10 * TOL);
    });
  }

  test('mala_propose holds each image and its U on every lane', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('mala_propose', p, inputs(st, lv));
    lang.malaPropose(st, lv, p);
    expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
    const held = lang.unpackHeld(gpu.held, lanes);
    expect(relativeError(held.energy, lv.held.energy)).toBeLessThan(TOL);
    expect(relativeError(held.logQ, lv.held.logQ)).toBeLessThan(TOL);
  });

  test('mala_accept decides per image: accepted images move whole, rejected ones go back whole', async () => {
    const p = params(0);
    const { st, lv } = state();
    // Held energies set so that each image's log ratio is about N(0, 2^2): both decisions occur.
    for (let i = 0; i < n; i++) {
      lv.held.energy[(i * dim) / 2] = st.energy[i]!;
      const { logRatio } = lang.malaDecision(st, lv, p, i);
      lv.held.energy[(i * dim) / 2] = st.energy[i]! + p.temperature * (2 * rng.normal() - logRatio);
    }
    const accepted = [0, 0];
    const gpu = await runKernel('mala_accept', p, inputs(st, lv));
    lang.malaAccept(st, lv, p, (i, a) => {
      const { logRatio, logU } = lang.malaDecision(st, lv, p, i);
      const decided = Math.abs(logU - logRatio) > 1e-3 ? a : gpu.accept[i] === 1;
      accepted[decided ? 1 : 0]!++;
      return decided;
    });
    expect(accepted[0]).toBeGreaterThan(0);
    expect(accepted[1]).toBeGreaterThan(0);
    expect(Array.from(gpu.accept)).toEqual(Array.from(lv.accept));
    expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
    expect(relativeError(gpu.x0hat, st.x0hat)).toBeLessThan(TOL);
    expect(relativeError(gpu.energy, st.energy)).toBeLessThan(TOL);
    expect(relativeError(gpu.heat, lv.heat)).toBeLessThan(10 * TOL);
    const moves = lang.unpackHeld(gpu.held, lanes).moves;
    expect(Array.from(moves)).toEqual(Array.from(lv.held.moves));
  });

  test('baoab_baoa and baoab_b on every pixel', async () => {
    const p = params(0);
    for (const [name, cpu] of [
      ['baoab_baoa', lang.baoabBaoa],
      ['baoab_b', lang.baoabB],
    ] as const) {
      const { st, lv } = state();
      const gpu = await runKernel(name, p, inputs(st, lv));
      cpu(st, lv, p);
      expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
      expect(relativeError(gpu.v, lv.v)).toBeLessThan(TOL);
    }
  });

  test('langevin_init draws every velocity and clears accept per image', async () => {
    const p = params(0);
    const { st, lv } = state();
    lv.accept.fill(1);
    const gpu = await runKernel('langevin_init', p, inputs(st, lv));
    lang.langevinInit(lv, p);
    expect(relativeError(gpu.v, lv.v)).toBeLessThan(TOL);
    expect(Array.from(gpu.accept)).toEqual(new Array<number>(n).fill(0));
  });
});
