/**
 * The sampler kernels on images: the same WGSL files as for points, run with Step.dim = 784 or
 * 3072 (dim / 2 vec2 lanes per image), against their float64 references on fresh random inputs
 * (seed in the names). Per-image quantities (energy, MALA's decision) stay per image: MALA accepts
 * or rejects a whole image, and forward jumps take every pixel of an image from one picked image.
 */
import { afterEach, describe, expect, test } from 'vitest';
import * as lang from '../../src/maths/langevin';
import { Rng, Stream, threefry2x32, toUniform } from '../../src/maths/rng';
import type { Level } from '../../src/maths/schedules';
import * as ref from '../../src/maths/steps';
import { stepParams } from '../../src/sim/run/stepTable';
import {
  F32,
  dot2,
  gpuErrors,
  normal2F32,
  oneMinusExpF32,
  runKernel,
  worstElement,
} from './harness';
import { SAMPLER_MODEL, copyState, expectSampler, samplerBounds } from './samplerBounds';
import { SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 314);

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
        st.history.set(normals(2 * n * dim));
        const before = copyState(st);
        const gpu = await runKernel(name, p, { x: st.x, x0hat: st.x0hat, history: st.history });
        cpu(st, p);
        expect(gpu.x.length).toBe(n * dim);
        expectSampler(name, p, gpu, before, st);
      });
    }

    test('forward_jump takes all pixels of an image from the one picked image', async () => {
      const m = 37;
      const data = Float32Array.from(normals(m * dim));
      const p = { ...randomStep(n, dim), m };
      const st = ref.cpuState(n, dim);
      const gpu = await runKernel('forward_jump', p, { data });
      ref.forwardJump(st, p, data);
      const bound = samplerBounds('forward_jump', p, st, { data }).x!;
      // float32: 2x the running error bound (F32) of forward_jump's WGSL on its inputs, per element.
      const { error, tolerance } = worstElement(gpu.x, st.x, bound);
      within(error, tolerance, SAMPLER_MODEL);
      // Undo the noise: each image is alpha times one stored image, to the same bounds / alpha.
      const eps = ref.cpuState(n, dim);
      ref.prior(eps, { ...p, sigma_t: 1 });
      for (let i = 0; i < n; i++) {
        const image = (a: ArrayLike<number>) => Array.from(a).slice(i * dim, (i + 1) * dim);
        const x0 = image(gpu.x).map((v, k) => (v - p.sigma * eps.x[i * dim + k]!) / p.alpha);
        const tolerances = image(bound).map((b) => b / p.alpha);
        expect(pickedImage(x0, tolerances, data, m, dim)).toBeGreaterThanOrEqual(0);
      }
    });
  });
}

/** The stored image x0 is, each pixel within its tolerance, or -1. */
function pickedImage(
  x0: number[],
  tolerances: number[],
  data: Float32Array,
  m: number,
  dim: number,
): number {
  for (let j = 0; j < m; j++) {
    const image = data.subarray(j * dim, (j + 1) * dim);
    if (x0.every((v, k) => Math.abs(v - image[k]!) <= tolerances[k]!)) return j;
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
    const h = lv.langevinState;
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
    for (const a of [
      lv.langevinState.x,
      lv.langevinState.x0hat,
      lv.langevinState.energy,
      lv.langevinState.logQ,
    ])
      a.set(r(a));
    return {
      x: st.x,
      x0hat: st.x0hat,
      energy: st.energy,
      v: lv.v,
      accept: lv.accept,
      heat: lv.heat,
      langevinState: lang.packLangevinState(lv.langevinState),
    };
  }

  /**
   * ula, mala_propose, baoab_baoa, baoab_b and langevin_init lane by lane with bounds (F32,
   * harness.ts), on the float32 state `inputs` left (exact): x, v, heat and langevinState log q.
   */
  function langevinBounds(
    name: string,
    p: lang.LangevinParams,
    st: ref.CpuState,
    lv: lang.LangevinCpu,
  ) {
    const x = new Float64Array(n * dim);
    const v = new Float64Array(n * dim);
    const heat = new Float64Array(lanes);
    const logQ = new Float64Array(lanes);
    const [alpha, sigma, h, T] = [p.alpha, p.sigma, p.h, p.temperature].map((u) => F32.of(u));
    const s2 = sigma!.mul(sigma!);
    const hd = lv.langevinState;
    for (let i = 0; i < lanes; i++) {
      const pair = (a: Float64Array) => [new F32(a[2 * i]!), new F32(a[2 * i + 1]!)];
      const xi = pair(st.x);
      const grad = (at: F32[], d: F32[]) => at.map((c, k) => c.sub(alpha!.mul(d[k]!)).div(s2));
      const g = grad(xi, pair(st.x0hat));
      const z = normal2F32(p.seed, Stream.langevin, i, hd.moves[i]!);
      let q = new F32(lv.heat[i]!);
      let xo = xi;
      let vo = pair(lv.v);
      if (name === 'ula' || name === 'mala_propose') {
        const sd = new F32(2).mul(h!).mul(T!).sqrt();
        xo = xi.map((c, k) => c.sub(h!.mul(g[k]!)).add(sd.mul(z[k]!)));
        if (name === 'ula' && hd.pending[i] === 1) {
          const langevinState = pair(hd.x);
          const gPrev = grad(langevinState, pair(hd.x0hat));
          const dx = xi.map((c, k) => c.sub(langevinState[k]!));
          const sum = gPrev.map((c, k) => c.add(g[k]!));
          q = q.sub(dot2(sum, dx).mul(0.5).div(T!));
        }
        if (name === 'ula' && p.close === 1) {
          q = q.sub(
            dot2(
              g,
              xo.map((c, k) => c.sub(xi[k]!)),
            ).div(T!),
          );
        }
        logQ[i] = new F32(0.5).mul(dot2(z, z)).e;
      } else if (name === 'baoab_baoa') {
        const half = new F32(0.5).mul(h!);
        const vb = vo.map((c, k) => c.sub(half.mul(g[k]!)));
        const xa = xi.map((c, k) => c.add(half.mul(vb[k]!)));
        const a = new F32(2).mul(F32.of(p.gamma)).mul(h!);
        const oneMinusC2 = oneMinusExpF32(a);
        const c = a.mul(-0.5).exp();
        const sd = oneMinusC2.mul(T!).sqrt();
        vo = vb.map((b, k) => c.mul(b).add(sd.mul(z[k]!)));
        xo = xa.map((b, k) => b.add(half.mul(vo[k]!)));
        q = q.add(new F32(0.5).mul(dot2(vb, vb).sub(dot2(vo, vo))).div(T!));
      } else if (name === 'baoab_b') {
        const half = new F32(0.5).mul(h!);
        vo = vo.map((b, k) => b.sub(half.mul(g[k]!)));
      } else if (name === 'langevin_init') {
        const std = F32.of(p.velocity_std);
        vo = normal2F32(p.seed, Stream.noise, i, 1).map((c) => std.mul(c));
      }
      for (let c = 0; c < 2; c++) {
        x[2 * i + c] = xo[c]!.e;
        v[2 * i + c] = vo[c]!.e;
      }
      heat[i] = q.e;
    }
    return { x, v, heat, logQ };
  }

  /** Each element within its bound of the float64 reference. */
  const expectBounded = (
    label: string,
    gpu: ArrayLike<number>,
    cpu: ArrayLike<number>,
    bound: Float64Array,
  ) => {
    // float32: 2x the running error bound (F32) of the kernel's WGSL on its inputs, per element.
    const { error, tolerance } = worstElement(gpu, cpu, bound);
    within(error, tolerance, `${label}: ${SAMPLER_MODEL}`);
  };

  for (const close of [0, 1]) {
    test(`ula, close ${close}: every pixel moves, heat per lane`, async () => {
      const p = params(close);
      const { st, lv } = state();
      const gpu = await runKernel('ula', p, inputs(st, lv));
      const bounds = langevinBounds('ula', p, st, lv);
      lang.ula(st, lv, p);
      expectBounded('x', gpu.x, st.x, bounds.x);
      expectBounded('heat', gpu.heat, lv.heat, bounds.heat);
    });
  }

  test('mala_propose holds each image and its U on every lane', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('mala_propose', p, inputs(st, lv));
    const bounds = langevinBounds('mala_propose', p, st, lv);
    lang.malaPropose(st, lv, p);
    expectBounded('x', gpu.x, st.x, bounds.x);
    const langevinState = lang.unpackLangevinState(gpu.langevinState, lanes);
    // U is copied: the float32 input, exactly.
    expect(Array.from(langevinState.energy)).toEqual(Array.from(lv.langevinState.energy));
    expectBounded('langevinState log q', langevinState.logQ, lv.langevinState.logQ, bounds.logQ);
  });

  /**
   * mala_accept's log acceptance ratio of image i with its bound (F32), and log u's: where they
   * are further apart than both bounds, the GPU must decide as float64 does.
   */
  function decisionBounds(
    p: lang.LangevinParams,
    st: ref.CpuState,
    lv: lang.LangevinCpu,
    i: number,
  ) {
    const [alpha, sigma, h, T] = [p.alpha, p.sigma, p.h, p.temperature].map((u) => F32.of(u));
    const s2 = sigma!.mul(sigma!);
    const hd = lv.langevinState;
    const per = dim / 2;
    let back2 = new F32(0);
    let logQ = new F32(0);
    let work = new F32(0);
    for (let j = i * per; j < (i + 1) * per; j++) {
      const pair = (a: Float64Array) => [new F32(a[2 * j]!), new F32(a[2 * j + 1]!)];
      const [hx, xp] = [pair(hd.x), pair(st.x)];
      const grad = (at: F32[], d: F32[]) => at.map((c, k) => c.sub(alpha!.mul(d[k]!)).div(s2));
      const g = grad(hx, pair(hd.x0hat));
      const gp = grad(xp, pair(st.x0hat));
      const back = hx.map((c, k) => c.sub(xp[k]!).add(h!.mul(gp[k]!)));
      back2 = back2.add(dot2(back, back));
      logQ = logQ.add(new F32(hd.logQ[j]!));
      const sum = g.map((c, k) => c.add(gp[k]!));
      work = work.add(
        dot2(
          sum,
          xp.map((c, k) => c.sub(hx[k]!)),
        ),
      );
    }
    const first = i * per;
    const logRatio = new F32(st.energy[i]!)
      .sub(new F32(hd.energy[first]!))
      .neg()
      .div(T!)
      .sub(back2.div(new F32(4).mul(h!).mul(T!)))
      .add(logQ);
    const bits = threefry2x32(p.seed, Stream.accept, i, hd.moves[first]!);
    const logU = new F32(toUniform(bits[0]!)).log();
    const heat = new F32(lv.heat[first]!).sub(new F32(0.5).mul(work).div(T!));
    return { margin: logRatio.e + logU.e, heat: heat.e };
  }

  test('mala_accept decides per image: accepted images move whole, rejected ones go back whole', async () => {
    const p = params(0);
    const { st, lv } = state();
    // LangevinState energies set so that each image's log ratio L is N(-1, 2^2): P(accept) = E min(1, e^L)
    // = 0.49, so all 24 images decide alike with probability 0.49^24 + 0.51^24 < 2e-7.
    for (let i = 0; i < n; i++) {
      lv.langevinState.energy[(i * dim) / 2] = st.energy[i]!;
      const { logRatio } = lang.malaDecision(st, lv, p, i);
      lv.langevinState.energy[(i * dim) / 2] =
        st.energy[i]! + p.temperature * (2 * rng.normal() - 1 - logRatio);
    }
    const accepted = [0, 0];
    const gpu = await runKernel('mala_accept', p, inputs(st, lv));
    const bounds = Array.from({ length: n }, (_, i) => decisionBounds(p, st, lv, i));
    const heatBound = new Float64Array(lanes);
    lang.malaAccept(st, lv, p, (i, a) => {
      const { logRatio, logU } = lang.malaDecision(st, lv, p, i);
      const decided = Math.abs(logU - logRatio) > bounds[i]!.margin ? a : gpu.accept[i] === 1;
      accepted[decided ? 1 : 0]!++;
      if (decided) heatBound[(i * dim) / 2] = bounds[i]!.heat;
      return decided;
    });
    expect(accepted[0]).toBeGreaterThan(0);
    expect(accepted[1]).toBeGreaterThan(0);
    expect(Array.from(gpu.accept)).toEqual(Array.from(lv.accept));
    // Accepted or sent back, x, x0_hat and U are float32 inputs copied: exactly.
    expect(Array.from(gpu.x)).toEqual(Array.from(st.x));
    expect(Array.from(gpu.x0hat)).toEqual(Array.from(st.x0hat));
    expect(Array.from(gpu.energy)).toEqual(Array.from(st.energy));
    expectBounded('heat', gpu.heat, lv.heat, heatBound);
    const moves = lang.unpackLangevinState(gpu.langevinState, lanes).moves;
    expect(Array.from(moves)).toEqual(Array.from(lv.langevinState.moves));
  });

  test('baoab_baoa and baoab_b on every pixel', async () => {
    const p = params(0);
    for (const [name, cpu] of [
      ['baoab_baoa', lang.baoabBaoa],
      ['baoab_b', lang.baoabB],
    ] as const) {
      const { st, lv } = state();
      const gpu = await runKernel(name, p, inputs(st, lv));
      const bounds = langevinBounds(name, p, st, lv);
      cpu(st, lv, p);
      if (name === 'baoab_baoa') {
        expectBounded(`${name} x`, gpu.x, st.x, bounds.x);
        expectBounded(`${name} heat`, gpu.heat, lv.heat, bounds.heat);
      } else {
        expect(Array.from(gpu.x)).toEqual(Array.from(st.x));
      }
      expectBounded(`${name} v`, gpu.v, lv.v, bounds.v);
    }
  });

  test('langevin_init draws every velocity and clears accept per image', async () => {
    const p = params(0);
    const { st, lv } = state();
    lv.accept.fill(1);
    const gpu = await runKernel('langevin_init', p, inputs(st, lv));
    const bounds = langevinBounds('langevin_init', p, st, lv);
    lang.langevinInit(lv, p);
    expectBounded('v', gpu.v, lv.v, bounds.v);
    expect(Array.from(gpu.accept)).toEqual(new Array<number>(n).fill(0));
    expect(Array.from(gpu.heat)).toEqual(new Array<number>(lanes).fill(0));
  });
});
