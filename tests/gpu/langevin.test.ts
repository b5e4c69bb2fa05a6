/**
 * Langevin dynamics on real WebGPU (../shared/docs/maths.md section 4): every Langevin kernel
 * against its float64 reference (src/maths/langevin.ts) on fresh random inputs with the same
 * noise, then whole runs through the Simulation class: the stationary law of ula, mala and
 * underdamped on a Gaussian mixture (and its scaling with T), MALA exact where ULA is biased,
 * energy conservation of Hamiltonian BAOAB at O(h^2), annealed Langevin and predictor-corrector
 * from noise to the mixture, and the heat against the first law, step by step.
 *
 * Kernel comparisons are bounded element by element by a float32 replay of the kernel's own
 * formula on the run's inputs (F32 of ./harness: running error analysis at WGSL's stated
 * accuracies); statistical checks by standard errors at zFor bounds, each test's false-failure
 * rate at most FALSE_FAILURE_RATE per run, the known discretisation biases modelled or allowed
 * for where they are stated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  datasetMixture,
  sampleMixture,
  type Dataset,
  type Gaussian2,
  type Mixture,
} from '../../src/maths/datasets';
import { denoiseMixture } from '../../src/maths/denoisers';
import * as lang from '../../src/maths/langevin';
import { Rng, Stream } from '../../src/maths/rng';
import type { Level } from '../../src/maths/schedules';
import * as ref from '../../src/maths/steps';
import {
  assignToModes,
  momentErrors,
  moments,
  mixtureMoments,
  type MomentErrors,
  type Moments,
} from '../../src/maths/stats';
import type { LangevinId, SamplerId } from '../../src/settings/settings';
import { Simulation } from '../../src/sim/run/simulation';
import { stepParams } from '../../src/sim/run/stepTable';
import {
  componentTermF32,
  dot2,
  F32,
  gpuErrors,
  normal2F32,
  oneMinusExpF32,
  REASSOCIATION_SLACK,
  runKernel,
  softmaxF32,
  testGpu,
  worstElement,
  setRun,
} from './harness';
import { EPS32, FALSE_FAILURE_RATE, SEED, within, zFor } from '../random';

const seed = SEED;
const rng = new Rng(seed, 77);
const nextSeed = (): number => rng.int(2 ** 32);
const RATE = FALSE_FAILURE_RATE;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

function normals(count: number, scale = 1): Float64Array {
  return Float64Array.from({ length: count }, () => scale * rng.normal());
}

const vec = (a: ArrayLike<number>, i: number): F32[] => [
  new F32(a[2 * i]!),
  new F32(a[2 * i + 1]!),
];

/** grad U = (x - alpha x0_hat) / sigma^2 as the kernels compute it, s2 = sigma * sigma. */
const gradF = (x: readonly F32[], d: readonly F32[], alpha: F32, s2: F32): F32[] =>
  x.map((xc, j) => xc.sub(alpha.mul(d[j]!)).div(s2));

/**
 * denoise_mixture.wgsl at one particle: x0_hat and U = -log p_t(x), their exact values and
 * bounds on the kernel's float32 error (component_term, each component's posterior mean, the
 * online softmax).
 */
function denoiseF(
  x: readonly F32[],
  mixture: Mixture,
  alpha: number,
  sigma: number,
): { x0: F32[]; u: F32 } {
  const a = F32.of(alpha);
  const sg = F32.of(sigma);
  const s2 = sg.mul(sg);
  const logits: F32[] = [];
  const means: F32[] = [];
  for (const c of mixture.components) {
    const { logit, ciR } = componentTermF32(c, x, a, s2);
    const [m0, m1] = [F32.of(c.mean[0]), F32.of(c.mean[1])];
    const [sxx, sxy, syy] = [F32.of(c.cov[0]), F32.of(c.cov[1]), F32.of(c.cov[2])];
    const [r0, r1] = [ciR[0]!, ciR[1]!];
    logits.push(logit);
    means.push(m0.add(a.mul(sxx.mul(r0).add(sxy.mul(r1)))));
    means.push(m1.add(a.mul(sxy.mul(r0).add(syy.mul(r1)))));
  }
  const { mean, lse } = softmaxF32(logits, means, 2);
  return { x0: mean, u: lse.neg() };
}

/** A comparison element by element against REASSOCIATION_SLACK times the replayed bounds. */
function expectWithin(
  gpu: ArrayLike<number>,
  want: ArrayLike<number>,
  bound: ArrayLike<number>,
  what: string,
): void {
  const { error, tolerance } = worstElement(gpu, want, bound);
  within(error, tolerance, `${what}: ${MODEL}`);
}

const MODEL = "float32 replay of the kernel's formula (F32), times REASSOCIATION_SLACK";

describe(`Langevin kernels match float64 (SEED=${seed})`, () => {
  const n = 1000;

  /** A random Langevin step at a random VP level; close and pending as given. */
  function params(close: number, gamma = 3 * rng.uniform()): lang.LangevinParams {
    const alpha = 0.5 + 0.5 * rng.uniform();
    const level: Level = { t: 0.3, alpha, sigma: Math.sqrt(1 - alpha * alpha) + 0.05 };
    return {
      ...stepParams(level, level, level, rng.int(1000), {
        eta: 0,
        n,
        m: 1,
        k: 0,
        seed: nextSeed(),
      }),
      temperature: 0.3 + 2 * rng.uniform(),
      h: 0.001 + 0.05 * rng.uniform(),
      gamma,
      close,
      velocity_std: 0.2 + rng.uniform(),
    };
  }

  /** Random particle and Langevin state; about half the particles with a pending move. */
  function state(): { st: ref.CpuState; lv: lang.LangevinCpu } {
    const st = ref.cpuState(n);
    st.x.set(normals(2 * n));
    st.x0hat.set(normals(2 * n));
    st.energy.set(normals(n));
    const lv = lang.langevinCpu(n);
    lv.v.set(normals(2 * n));
    lv.accept.set(Float64Array.from({ length: n }, () => rng.int(2)));
    lv.heat.set(normals(n));
    const h = lv.langevinState;
    h.x.set(st.x.map((v) => v + 0.1 * rng.normal()));
    h.x0hat.set(normals(2 * n));
    h.energy.set(st.energy.map((v) => v + 3 * rng.normal()));
    h.logQ.set(Float64Array.from({ length: n }, () => rng.uniform() * 2));
    h.moves.set(Uint32Array.from({ length: n }, () => rng.int(2 ** 31)));
    h.pending.set(Uint32Array.from({ length: n }, () => rng.int(2)));
    return { st, lv };
  }

  /** Rounds the state to float32 in place (the kernels' inputs) and returns the kernel inputs. */
  function inputs(st: ref.CpuState, lv: lang.LangevinCpu) {
    const r = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
    for (const a of [st.x, st.x0hat, st.energy, lv.v, lv.heat]) a.set(r(a));
    const h = lv.langevinState;
    for (const a of [h.x, h.x0hat, h.energy, h.logQ]) a.set(r(a));
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

  /** The Langevin state: copies are exact; logQ within `logQ` where the kernel computes it. */
  function expectHeld(
    gpu: ArrayBuffer,
    cpu: lang.LangevinCpu['langevinState'],
    logQ?: Float64Array,
  ): void {
    const g = lang.unpackLangevinState(gpu, n);
    expect(Array.from(g.x)).toEqual(Array.from(cpu.x));
    expect(Array.from(g.x0hat)).toEqual(Array.from(cpu.x0hat));
    expect(Array.from(g.energy)).toEqual(Array.from(cpu.energy));
    if (logQ) expectWithin(g.logQ, cpu.logQ, logQ, 'langevinState log_q');
    else expect(Array.from(g.logQ)).toEqual(Array.from(cpu.logQ));
    expect(Array.from(g.moves)).toEqual(Array.from(cpu.moves));
    expect(Array.from(g.pending)).toEqual(Array.from(cpu.pending));
  }

  /** The step's float32 parameters. */
  const stepF = (p: lang.LangevinParams) => {
    const sg = F32.of(p.sigma);
    return { alpha: F32.of(p.alpha), s2: sg.mul(sg), h: F32.of(p.h), T: F32.of(p.temperature) };
  };

  test('langevin_init', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('langevin_init', p, inputs(st, lv));
    lang.langevinInit(lv, p);
    const bound = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const z = normal2F32(p.seed, Stream.noise, i, 1);
      for (const c of [0, 1]) bound[2 * i + c] = F32.of(p.velocity_std).mul(z[c]!).e;
    }
    expectWithin(gpu.v, lv.v, bound, 'v');
    expect(gpu.heat.every((q) => q === 0)).toBe(true);
    expect(gpu.accept.every((a) => a === 0)).toBe(true);
    expect(new Uint32Array(gpu.langevinState).every((w) => w === 0)).toBe(true);
  });

  for (const close of [0, 1]) {
    test(`ula, close ${close}: the move, the pending start and the heat`, async () => {
      const p = params(close);
      const { st, lv } = state();
      const gpu = await runKernel('ula', p, inputs(st, lv));
      const { alpha, s2, h, T } = stepF(p);
      const sd = h.mul(2).mul(T).sqrt();
      const bx = new Float64Array(2 * n);
      const bq = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = vec(st.x, i);
        const g = gradF(x, vec(st.x0hat, i), alpha, s2);
        let q = new F32(lv.heat[i]!);
        if (lv.langevinState.pending[i] === 1) {
          const hx = vec(lv.langevinState.x, i);
          const gPrev = gradF(hx, vec(lv.langevinState.x0hat, i), alpha, s2);
          const work = dot2(
            gPrev.map((c, j) => c.add(g[j]!)),
            x.map((c, j) => c.sub(hx[j]!)),
          );
          q = q.sub(work.mul(0.5).div(T));
        }
        const z = normal2F32(p.seed, Stream.langevin, i, lv.langevinState.moves[i]!);
        const next = x.map((c, j) => c.sub(h.mul(g[j]!)).add(sd.mul(z[j]!)));
        if (close === 1)
          q = q.sub(
            dot2(
              g,
              next.map((c, j) => c.sub(x[j]!)),
            ).div(T),
          );
        bx.set([next[0]!.e, next[1]!.e], 2 * i);
        bq[i] = q.e;
      }
      lang.ula(st, lv, p);
      expectWithin(gpu.x, st.x, bx, 'x');
      expectWithin(gpu.heat, lv.heat, bq, 'heat');
      expectHeld(gpu.langevinState, lv.langevinState);
    });
  }

  test('mala_propose', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('mala_propose', p, inputs(st, lv));
    const { alpha, s2, h, T } = stepF(p);
    const sd = h.mul(2).mul(T).sqrt();
    const bx = new Float64Array(2 * n);
    const bq = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = vec(st.x, i);
      const g = gradF(x, vec(st.x0hat, i), alpha, s2);
      const z = normal2F32(p.seed, Stream.langevin, i, lv.langevinState.moves[i]!);
      bq[i] = dot2(z, z).mul(0.5).e;
      const next = x.map((c, j) => c.sub(h.mul(g[j]!)).add(sd.mul(z[j]!)));
      bx.set([next[0]!.e, next[1]!.e], 2 * i);
    }
    lang.malaPropose(st, lv, p);
    expectWithin(gpu.x, st.x, bx, 'x');
    expectHeld(gpu.langevinState, lv.langevinState, bq);
  });

  test('mala_accept: decisions, restored state, heat of accepted moves', async () => {
    const p = params(0);
    const { st, lv } = state();
    const { alpha, s2, h, T } = stepF(p);
    // A proposal's reverse move as MALA makes it (|back|^2 / (4 h T) = |w|^2 / 2), and U' - U set
    // so that the log acceptance ratios spread over [-3, 1]: both branches well exercised.
    const hd = lv.langevinState;
    for (let i = 0; i < n; i++) {
      let back2 = 0;
      for (const c of [0, 1]) {
        const g = (st.x[2 * i + c]! - p.alpha * st.x0hat[2 * i + c]!) / p.sigma ** 2;
        const w = Math.sqrt(2 * p.h * p.temperature) * rng.normal();
        hd.x[2 * i + c] = st.x[2 * i + c]! - p.h * g + w;
        back2 += w * w;
      }
      const target = -3 + 4 * rng.uniform();
      const rest = back2 / (4 * p.h * p.temperature) - hd.logQ[i]!;
      st.energy[i] = hd.energy[i]! - p.temperature * (target + rest);
    }
    const gpu = await runKernel('mala_accept', p, inputs(st, lv));
    // Outside the replayed bounds of the log ratio and of log u the decisions must agree; inside
    // (a float32 tie) the particle takes the GPU's decision.
    const bq = new Float64Array(n);
    let ties = 0;
    let expected = 0;
    let variance = 0;
    lang.malaAccept(st, lv, p, (i, accepted) => {
      const x = vec(hd.x, i);
      const xp = vec(st.x, i);
      const g = gradF(x, vec(hd.x0hat, i), alpha, s2);
      const gp = gradF(xp, vec(st.x0hat, i), alpha, s2);
      const back = x.map((c, j) => c.sub(xp[j]!).add(h.mul(gp[j]!)));
      const logRatio = new F32(st.energy[i]!)
        .sub(new F32(hd.energy[i]!))
        .neg()
        .div(T)
        .sub(dot2(back, back).div(h.mul(4).mul(T)))
        .add(new F32(hd.logQ[i]!));
      const d = lang.malaDecision(st, lv, p, i);
      const logU = new F32(Math.exp(d.logU)).log();
      const band = REASSOCIATION_SLACK * (logRatio.e + logU.e);
      const pAccept = Math.min(1, Math.exp(d.logRatio));
      expected += pAccept;
      variance += pAccept * (1 - pAccept);
      const tie = Math.abs(d.logU - d.logRatio) <= band;
      const decided = tie ? gpu.accept[i] === 1 : accepted;
      if (tie) ties++;
      if (decided) {
        const work = dot2(
          g.map((c, j) => c.add(gp[j]!)),
          xp.map((c, j) => c.sub(x[j]!)),
        );
        bq[i] = new F32(lv.heat[i]!).sub(work.mul(0.5).div(T)).e;
      }
      return decided;
    });
    const accepted = lv.accept.reduce((a, b) => a + b, 0);
    console.log(
      `mala_accept: ${accepted} of ${n} accepted (expected ${expected.toFixed(1)}), ${ties} float32 ties`,
    );
    expect(Array.from(gpu.accept)).toEqual(Array.from(lv.accept));
    // The count is a sum of independent Bernoulli(min(1, ratio)) over the uniforms: normal, its
    // skewness below 0.05, so half the rate (see zMoments).
    within(Math.abs(accepted - expected), zMoments(1) * Math.sqrt(variance), 'accepted count');
    // Kept or restored, x, x0_hat and U are copies.
    expect(Array.from(gpu.x)).toEqual(Array.from(st.x));
    expect(Array.from(gpu.x0hat)).toEqual(Array.from(st.x0hat));
    expect(Array.from(gpu.energy)).toEqual(Array.from(st.energy));
    expectWithin(gpu.heat, lv.heat, bq, 'heat');
    expectHeld(gpu.langevinState, lv.langevinState);
  });

  for (const gamma of [0, 1e-4, 2]) {
    test(`baoab_baoa, gamma ${gamma}`, async () => {
      const p = params(0, gamma);
      const { st, lv } = state();
      const input = inputs(st, lv);
      const heat0 = Float32Array.from(input.heat);
      const gpu = await runKernel('baoab_baoa', p, input);
      const { alpha, s2, h, T } = stepF(p);
      const half = h.mul(0.5);
      const a = F32.of(p.gamma).mul(2).mul(h);
      const oneMinusC2 = oneMinusExpF32(a);
      const c = a.mul(-0.5).exp();
      const sd = oneMinusC2.mul(T).sqrt();
      const bx = new Float64Array(2 * n);
      const bv = new Float64Array(2 * n);
      const bq = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = vec(st.x, i);
        const g = gradF(x, vec(st.x0hat, i), alpha, s2);
        const vb = vec(lv.v, i).map((v, j) => v.sub(half.mul(g[j]!)));
        const xa = x.map((xc, j) => xc.add(half.mul(vb[j]!)));
        const z = normal2F32(p.seed, Stream.langevin, i, lv.langevinState.moves[i]!);
        const vo = vb.map((v, j) => c.mul(v).add(sd.mul(z[j]!)));
        const q = new F32(lv.heat[i]!).add(dot2(vb, vb).sub(dot2(vo, vo)).mul(0.5).div(T));
        const next = xa.map((xc, j) => xc.add(half.mul(vo[j]!)));
        bx.set([next[0]!.e, next[1]!.e], 2 * i);
        bv.set([vo[0]!.e, vo[1]!.e], 2 * i);
        bq[i] = q.e;
      }
      lang.baoabBaoa(st, lv, p);
      expectWithin(gpu.x, st.x, bx, 'x');
      expectWithin(gpu.v, lv.v, bv, 'v');
      expectWithin(gpu.heat, lv.heat, bq, 'heat');
      expectHeld(gpu.langevinState, lv.langevinState);
      // Hamiltonian: O is the identity (exp(0) = 1, sqrt(0) = 0), so no heat at all.
      if (gamma === 0) expect(gpu.heat).toEqual(heat0);
    });
  }

  test('baoab_b', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('baoab_b', p, inputs(st, lv));
    const { alpha, s2, h } = stepF(p);
    const bv = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const g = gradF(vec(st.x, i), vec(st.x0hat, i), alpha, s2);
      const v = vec(lv.v, i).map((vc, j) => vc.sub(h.mul(0.5).mul(g[j]!)));
      bv.set([v[0]!.e, v[1]!.e], 2 * i);
    }
    lang.baoabB(st, lv, p);
    expectWithin(gpu.v, lv.v, bv, 'v');
  });
});

let sim: Simulation;
let device: GPUDevice;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
});

afterAll(() => {
  sim.destroy();
});

interface LangevinRun {
  mixture: Mixture;
  n: number;
  kind: LangevinId;
  levels: readonly Level[];
  h: number;
  temperature?: number;
  gamma?: number;
  correctorSteps?: number;
  snr?: number;
  sampler?: SamplerId;
  seed: number;
}

function dataset(mixture: Mixture): Dataset {
  return { id: 'custom', points: sampleMixture(mixture, 64, new Rng(1, 9)), mixture };
}

/** Sets up a Langevin run and resets it (nothing stepped yet). */
async function start(r: LangevinRun): Promise<void> {
  if (sim.n !== r.n) sim.setParticles(r.n);
  sim.setData(dataset(r.mixture));
  await setRun(sim, {
    mode: 'langevin',
    sampler: r.sampler ?? 'ddim',
    denoiser: 'exact',
    levels: r.levels,
    eta: 0,
    seed: r.seed,
    langevin: {
      kind: r.kind,
      temperature: r.temperature ?? 1,
      stepSize: r.h,
      gamma: r.gamma ?? 1,
      snr: r.snr ?? 0.16,
      correctorSteps: r.correctorSteps ?? 1,
    },
  });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** Records k steps, many per submit. */
async function advance(k: number): Promise<void> {
  for (let done = 0; done < k;) {
    const encoder = device.createCommandEncoder();
    done += sim.encodeSteps(encoder, Math.min(200, k - done));
    device.queue.submit([encoder.finish()]);
    if (sim.done) break;
  }
  await device.queue.onSubmittedWorkDone();
}

/** A whole run: reset, every step; the positions at the end. */
async function run(r: LangevinRun): Promise<Float32Array> {
  await start(r);
  await advance(sim.steps);
  return sim.positions();
}

type Field = 'x' | 'x0hat' | 'energy' | 'v' | 'heat';
const FLOATS: Record<Field, number> = { x: 2, x0hat: 2, energy: 1, v: 2, heat: 1 };

/**
 * `fields` as they are now (snapshot 0) and after each of k steps (snapshot s), copied on the GPU
 * between the steps and read back once.
 */
async function record(k: number, fields: readonly Field[]): Promise<Record<Field, Float32Array[]>> {
  const sizes = fields.map((f) => 4 * FLOATS[f] * sim.n);
  const per = sizes.reduce((a, b) => a + b, 0);
  const buffer = device.createBuffer({
    label: 'history',
    size: per * (k + 1),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const copy = (encoder: GPUCommandEncoder, s: number): void => {
    let offset = s * per;
    fields.forEach((f, j) => {
      const size = sizes[j]!;
      encoder.copyBufferToBuffer(sim[f], 0, buffer, offset, size);
      offset += size;
    });
  };
  let encoder = device.createCommandEncoder();
  copy(encoder, 0);
  for (let s = 1; s <= k; s++) {
    sim.encodeSteps(encoder, 1);
    copy(encoder, s);
    if (s % 50 === 0 || s === k) {
      device.queue.submit([encoder.finish()]);
      encoder = device.createCommandEncoder();
    }
  }
  await buffer.mapAsync(GPUMapMode.READ);
  const all = new Float32Array(buffer.getMappedRange().slice(0));
  buffer.destroy();
  const out = {} as Record<Field, Float32Array[]>;
  let offset = 0;
  fields.forEach((f, j) => {
    const size = sizes[j]! / 4;
    out[f] = Array.from({ length: k + 1 }, (_, s) =>
      all.subarray((s * per) / 4 + offset, (s * per) / 4 + offset + size),
    );
    offset += size;
  });
  return out;
}

const repeat = (level: Level, steps: number): Level[] =>
  Array.from({ length: steps + 1 }, () => level);

/** p_t of a mixture at (alpha, sigma): means alpha mu_k, covariances alpha^2 Sigma_k + sigma^2 I. */
function smoothed(mixture: Mixture, level: Level): Mixture {
  const a = level.alpha;
  const s2 = level.sigma ** 2;
  return {
    components: mixture.components.map((c): Gaussian2 => ({
      weight: c.weight,
      mean: [a * c.mean[0], a * c.mean[1]],
      cov: [a * a * c.cov[0] + s2, a * a * c.cov[1], a * a * c.cov[2] + s2],
    })),
  };
}

/** A Gaussian of the given mean and covariance, as a one-component mixture. */
const gaussian = (mean: readonly number[], cov: readonly number[]): Mixture => ({
  components: [{ weight: 1, mean: [mean[0]!, mean[1]!], cov: [cov[0]!, cov[1]!, cov[2]!] }],
});

/**
 * z for `checks` normal approximations of moments or counts of a few thousand draws: their
 * skewness (at most about sqrt(8 / n) = 0.045, a Gaussian's sample variance at n = 4096) can
 * raise a two-sided tail at z ~ 5 by up to 2x (Cornish-Fisher), so they get half of `rate`.
 */
const zMoments = (checks: number, rate = RATE): number => zFor(checks, rate / 2);

/** Standard errors of the moments of n draws of a mixture, from 5e4 exact draws of it (to 2%). */
function errorsOf(mixture: Mixture, n: number): MomentErrors {
  const draws = 50_000;
  const se = momentErrors(sampleMixture(mixture, draws, new Rng(nextSeed(), 8)));
  const k = Math.sqrt(draws / n);
  return {
    mean: [k * se.mean[0], k * se.mean[1]],
    cov: [k * se.cov[0], k * se.cov[1], k * se.cov[2]],
  };
}

/**
 * The samples' mean and covariance against `want`, each within (z + bias) standard errors of the
 * law `want` comes from (bias: an allowance for a stated discretisation bias, in standard errors).
 * Returns the largest |got - want| / ((z + bias) se): the check passes at <= 1.
 */
function momentRatio(
  samples: Float32Array,
  want: Pick<Moments, 'mean' | 'cov'>,
  se: MomentErrors,
  z: number,
  bias = 0,
): number {
  const got = moments(samples);
  const ratios = [
    Math.abs(got.mean[0] - want.mean[0]) / se.mean[0],
    Math.abs(got.mean[1] - want.mean[1]) / se.mean[1],
    ...[0, 1, 2].map((j) => Math.abs(got.cov[j]! - want.cov[j]!) / se.cov[j]!),
  ];
  return Math.max(...ratios) / (z + bias);
}

/** Numerical Recipes' erfcc: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), to 1.2e-7. */
const ERFC = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/** The standard normal CDF. */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const tail = 0.5 * t * Math.exp(-z * z + ERFC.reduceRight((acc, c) => c + t * acc, 0));
  return x >= 0 ? 1 - tail : tail;
}

const DIRECTIONS = 4;

/**
 * Kolmogorov-Smirnov distance of the samples' projections on DIRECTIONS directions from the
 * mixture's (a projected Gaussian mixture has an exact CDF): the largest over directions.
 */
function ksDistance(samples: Float32Array, mixture: Mixture): number {
  const n = samples.length / 2;
  let worst = 0;
  for (let j = 0; j < DIRECTIONS; j++) {
    const c = Math.cos((j * Math.PI) / DIRECTIONS);
    const s = Math.sin((j * Math.PI) / DIRECTIONS);
    const proj = Float64Array.from(
      { length: n },
      (_, i) => c * samples[2 * i]! + s * samples[2 * i + 1]!,
    );
    proj.sort();
    const parts = mixture.components.map((k) => ({
      w: k.weight,
      m: c * k.mean[0] + s * k.mean[1],
      sd: Math.sqrt(c * c * k.cov[0] + 2 * c * s * k.cov[1] + s * s * k.cov[2]),
    }));
    for (let i = 0; i < n; i++) {
      const cdf = parts.reduce((a, k) => a + k.w * normalCdf((proj[i]! - k.m) / k.sd), 0);
      worst = Math.max(worst, (i + 1) / n - cdf, cdf - i / n);
    }
  }
  return worst;
}

/**
 * The DKW bound (Massart 1990: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2), any n) for
 * DIRECTIONS projections of n draws at false-failure rate `rate` (union bound).
 */
const dkw = (n: number, rate: number): number =>
  Math.sqrt(Math.log((2 * DIRECTIONS) / rate) / (2 * n));

/** Two overlapping components: particles cross between them within a run. */
const TWO: Mixture = {
  components: [
    { weight: 0.35, mean: [-0.8, -0.2], cov: [0.12, 0.03, 0.08] },
    { weight: 0.65, mean: [0.7, 0.4], cov: [0.1, -0.02, 0.15] },
  ],
};
/** A VP-like level (alpha != 1) of small noise. */
const LEVEL: Level = { t: 0.1, alpha: 0.98, sigma: 0.2 };
const ONE: Mixture = { components: [{ weight: 1, mean: [0.3, -0.2], cov: [0.2, 0.05, 0.1] }] };

/** Largest eigenvalue and trace of the inverse of a 2x2 covariance (xx, xy, yy). */
function inverseOf(cov: readonly number[]): { top: number; trace: number } {
  const [a, b, c] = [cov[0]!, cov[1]!, cov[2]!];
  const det = a * c - b * b;
  const small = 0.5 * (a + c) - Math.sqrt(0.25 * (a - c) ** 2 + b * b);
  return { top: 1 / small, trace: (a + c) / det };
}

/**
 * MALA's acceptance rate at stationarity, E min(1, ratio) over x ~ p_t and the proposal, by
 * float64 Monte Carlo with `draws` draws (T = 1, where p_t itself is the stationary law).
 */
function malaAcceptance(mixture: Mixture, level: Level, h: number, draws = 20000) {
  const x = Float64Array.from(
    sampleMixture(smoothed(mixture, level), draws, new Rng(nextSeed(), 8)),
  );
  const z = normals(2 * draws);
  const { alpha, sigma } = level;
  const at = denoiseMixture(x, mixture, alpha, sigma);
  const xp = x.map(
    (v, k) => v - (h * (v - alpha * at.x0hat[k]!)) / sigma ** 2 + Math.sqrt(2 * h) * z[k]!,
  );
  const to = denoiseMixture(xp, mixture, alpha, sigma);
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < draws; i++) {
    let back2 = 0;
    for (const c of [2 * i, 2 * i + 1]) {
      const back = x[c]! - xp[c]! + (h * (xp[c]! - alpha * to.x0hat[c]!)) / sigma ** 2;
      back2 += back * back;
    }
    const logRatio =
      -(to.energy[i]! - at.energy[i]!) -
      back2 / (4 * h) +
      0.5 * (z[2 * i]! ** 2 + z[2 * i + 1]! ** 2);
    const a = Math.min(1, Math.exp(logRatio));
    sum += a;
    sum2 += a * a;
  }
  const p = sum / draws;
  return { p, se: Math.sqrt((sum2 / draws - p * p) / draws) };
}

/**
 * Step sizes and biases. MALA is exact at any h. ULA's stationary law is biased at O(h): on a
 * Gaussian of precision A its covariance is T (A - h A^2 / 2)^-1, and to first order any average
 * moves by h Cov(f, |grad U|^2 / (4 T) - lap U / 2) (checked against a grid solution in 1D); on
 * TWO at h = 0.002 that is at most 9e-4 on a moment (0.18 standard errors at n = 4096) and 7e-4 on
 * a projected CDF. BAOAB's positions are exact on a Gaussian and O(h^2) otherwise: float64 runs
 * of 1e5 particles at h = 0.1 put its bias on TWO's moments below 2e-3, so below 5e-4 (0.05
 * standard errors) at h = 0.05. Both get 0.25 standard errors and 0.001 in CDF of allowance. The
 * lengths are several times the slowest relaxation time on these targets (v / h steps for ULA,
 * between-mode hops included).
 */
const STATIONARY = [
  { kind: 'ula', h: 0.002, steps: 2000, bias: 0.25 },
  { kind: 'mala', h: 0.05, steps: 600, bias: 0 },
  { kind: 'underdamped', h: 0.05, gamma: 2, steps: 600, bias: 0.25 },
] as const;

describe(`ula, mala and underdamped sample exp(-U / T) (SEED=${seed})`, () => {
  const n = 4096;
  for (const c of STATIONARY) {
    test(`${c.kind}: a two-component mixture at alpha ${LEVEL.alpha}, sigma ${LEVEL.sigma}`, async () => {
      const t0 = performance.now();
      const end = await run({ ...c, mixture: TWO, n, levels: repeat(LEVEL, c.steps), seed });
      const target = smoothed(TWO, LEVEL);
      expect(end.every(Number.isFinite)).toBe(true);
      // Half the rate to 5 moments and one more check (kinetic T or acceptance), half to the DKW
      // bound on the projected CDFs.
      const z = zMoments(c.kind === 'ula' ? 5 : 6, RATE / 2);
      const ks = ksDistance(end, target);
      const eps = dkw(n, RATE / 2) + (c.bias > 0 ? 0.001 : 0);
      console.log(
        `${c.kind}: KS ${ks.toFixed(4)} (bound ${eps.toFixed(4)}); ${(performance.now() - t0).toFixed(0)} ms`,
      );
      within(
        momentRatio(end, mixtureMoments(target), errorsOf(target, n), z, c.bias),
        1,
        'mean and covariance: standard errors of the target at n',
      );
      within(ks, eps, 'projected CDFs: DKW bound');
      // energy holds U at the positions (mala, underdamped) or one step behind (ula).
      const energy = await sim.readBuffer('energy');
      if (c.kind !== 'ula') {
        const want = denoiseMixture(end, TWO, LEVEL.alpha, LEVEL.sigma).energy;
        const bound = Float64Array.from(
          { length: n },
          (_, i) => denoiseF(vec(end, i), TWO, LEVEL.alpha, LEVEL.sigma).u.e,
        );
        expectWithin(energy.subarray(0, n), want, bound, 'U');
      }
      if (c.kind === 'underdamped') {
        // Kinetic temperature <|v|^2> / d = T; v^2 per coordinate has variance 2 T^2. BAOAB's
        // velocities have variance T (1 - h^2 w^2 / 4) on a mode of frequency w (Leimkuhler &
        // Matthews 2013): at most h^2 tr(C^-1) / 8 per coordinate, C the stiffest component's.
        const v = await sim.velocities();
        const kinetic = v.reduce((a, b) => a + b * b, 0) / v.length;
        const bias =
          (c.h ** 2 / 8) * Math.max(...target.components.map((k) => inverseOf(k.cov).trace));
        within(Math.abs(kinetic - 1), z * Math.sqrt(2 / v.length) + bias, 'kinetic temperature');
      }
      if (c.kind === 'mala') {
        const accept = (await sim.readBuffer('accept')).subarray(0, n);
        const rate = accept.reduce((a, b) => a + b, 0) / n;
        const want = malaAcceptance(TWO, LEVEL, c.h);
        console.log(
          `mala h ${c.h}: acceptance ${rate.toFixed(3)}, stationary ${want.p.toFixed(3)}`,
        );
        // Each particle's last decision is Bernoulli(p) at stationarity.
        within(
          Math.abs(rate - want.p),
          z * Math.sqrt((want.p * (1 - want.p)) / n + want.se ** 2),
          'acceptance rate: binomial and Monte Carlo standard errors',
        );
      }
    });
  }

  for (const c of STATIONARY) {
    test(`${c.kind}: at T = 0.5 a Gaussian's covariance halves`, async () => {
      const T = 0.5;
      const level: Level = { t: 0.05, alpha: 1, sigma: 0.1 };
      const end = await run({
        ...c,
        mixture: ONE,
        n,
        temperature: T,
        levels: repeat(level, c.steps),
        seed: nextSeed(),
      });
      // Exact stationary laws on a Gaussian of covariance C (precision A): T C for MALA and BAOAB,
      // T (A - h A^2 / 2)^-1 for ULA.
      const C = mixtureMoments(smoothed(ONE, level));
      let cov = C.cov.map((v) => T * v);
      if (c.kind === 'ula') {
        const det = C.cov[0] * C.cov[2] - C.cov[1] ** 2;
        const [a, b, d] = [C.cov[2] / det, -C.cov[1] / det, C.cov[0] / det];
        const m = [
          a - (c.h / 2) * (a * a + b * b),
          b - (c.h / 2) * (a * b + b * d),
          d - (c.h / 2) * (b * b + d * d),
        ];
        const mDet = m[0]! * m[2]! - m[1]! ** 2;
        cov = [(T * m[2]!) / mDet, (-T * m[1]!) / mDet, (T * m[0]!) / mDet];
      }
      const law = gaussian(C.mean, cov);
      const se = errorsOf(law, n);
      within(momentRatio(end, mixtureMoments(law), se, zMoments(5)), 1, 'moments at T = 0.5');
      // And not those of T = 1: the covariance differs by T C, 19 to 45 standard errors.
      expect(momentRatio(end, C, se, zMoments(5))).toBeGreaterThan(1);
    });
  }
});

describe(`MALA is exact at a step where ULA is biased (SEED=${seed})`, () => {
  test('h = 0.2 on a Gaussian of variance 0.2: ULA doubles the variance, MALA does not', async () => {
    const n = 4096;
    const iso: Mixture = { components: [{ weight: 1, mean: [0.2, 0.1], cov: [0.19, 0, 0.19] }] };
    const level: Level = { t: 0.01, alpha: 1, sigma: 0.1 };
    const h = 0.2;
    const target = mixtureMoments(smoothed(iso, level));
    const base = { mixture: iso, n, h, levels: repeat(level, 300) };
    const ula = await run({ ...base, kind: 'ula', seed: nextSeed() });
    const mala = await run({ ...base, kind: 'mala', seed: nextSeed() });
    const rate = (await sim.readBuffer('accept')).subarray(0, n).reduce((a, b) => a + b, 0) / n;
    const want = malaAcceptance(iso, level, h);
    // ULA's exact stationary variance on a Gaussian of variance v: v / (1 - h / (2 v)) = 2 v here.
    const v = target.cov[0];
    const biased = gaussian(target.mean, [v / (1 - h / (2 * v)), 0, v / (1 - h / (2 * v))]);
    console.log(
      `h 0.2: variance ${v.toFixed(3)}; ula ${moments(ula).cov[0].toFixed(3)}, mala ${moments(mala).cov[0].toFixed(3)} (acceptance ${rate.toFixed(3)}, stationary ${want.p.toFixed(3)})`,
    );
    const z = zMoments(11);
    const exactLaw = gaussian(target.mean, target.cov);
    within(momentRatio(mala, target, errorsOf(exactLaw, n), z), 1, 'MALA: the target');
    within(
      momentRatio(ula, mixtureMoments(biased), errorsOf(biased, n), z),
      1,
      'ULA: its biased law',
    );
    within(
      Math.abs(rate - want.p),
      z * Math.sqrt((want.p * (1 - want.p)) / n + want.se ** 2),
      'acceptance rate: binomial and Monte Carlo standard errors',
    );
  });
});

describe(`underdamped with gamma = 0 is Hamiltonian (SEED=${seed})`, () => {
  /** Mean over particles of |E(tau) - E(0)|, E = U + |v|^2 / 2, after tau / h steps. */
  async function drift(h: number, runSeed: number): Promise<number> {
    const tau = 2;
    const steps = Math.round(tau / h);
    const n = 2048;
    await start({
      mixture: TWO,
      n,
      kind: 'underdamped',
      gamma: 0,
      h,
      levels: repeat(LEVEL, steps),
      seed: runSeed,
    });
    const total = (x: Float32Array, v: Float32Array): Float64Array => {
      const u = denoiseMixture(x, TWO, LEVEL.alpha, LEVEL.sigma).energy;
      return u.map((ui, i) => ui + 0.5 * (v[2 * i]! ** 2 + v[2 * i + 1]! ** 2));
    };
    const e0 = total(await sim.positions(), await sim.velocities());
    await advance(steps);
    const e1 = total(await sim.positions(), await sim.velocities());
    expect((await sim.readBuffer('heat')).subarray(0, n).every((q) => q === 0)).toBe(true);
    return e1.reduce((a, e, i) => a + Math.abs(e - e0[i]!), 0) / n;
  }

  test('halving h cuts the energy drift about fourfold', async () => {
    const runSeed = nextSeed();
    const coarse = await drift(0.05, runSeed);
    const fine = await drift(0.025, runSeed);
    console.log(
      `gamma 0: |dE| ${coarse.toExponential(3)} at h 0.05, ${fine.toExponential(3)} at 0.025`,
    );
    // Velocity Verlet's energy error at a fixed time is C h^2 (1 + O((h w)^2)), w^2 <= 10 the
    // largest curvature of U here: the ratio is 4 within a few percent. Orders 1 and 3 would give
    // 2 and 8; the bounds lie halfway between in log2 (2^1.5 and 2^2.5).
    expect(coarse / fine).toBeGreaterThan(2 ** 1.5);
    expect(coarse / fine).toBeLessThan(2 ** 2.5);
  });
});

const GAUSSIANS8 = datasetMixture('gaussians8')!;
/** The per-axis variance of a gaussians8 mode. */
const S0 = GAUSSIANS8.components[0]!.cov[0];

/**
 * Per-mode weight, mean and std of the samples (modes by highest responsibility under `mixture`):
 * weights pi_k, exact by the 8-fold symmetry of gaussians8, the isotropic prior and the isotropic
 * dynamics; means mu_k; stds sqrt(variance), the per-axis variance the run leaves in a mode.
 * Each within z standard errors, plus `allowance` (absolute) on means and stds. Returns the
 * largest |got - want| / (z se + allowance) over the 40 checks.
 */
function modeRatio(
  mixture: Mixture,
  samples: Float32Array,
  variance: number,
  z: number,
  allowance = 0,
): number {
  const n = samples.length / 2;
  const { modes } = assignToModes(samples, mixture);
  let worst = 0;
  const check = (got: number, want: number, se: number, slack = allowance): void => {
    worst = Math.max(worst, Math.abs(got - want) / (z * se + slack));
  };
  mixture.components.forEach((c, k) => {
    const m = modes[k]!;
    check(m.weight, c.weight, Math.sqrt((c.weight * (1 - c.weight)) / n), 0);
    if (m.count < 10) worst = Infinity;
    else
      for (const a of [0, 1] as const) {
        check(m.mean[a], c.mean[a], Math.sqrt(variance / m.count));
        check(
          Math.sqrt(m.cov[2 * a]!),
          Math.sqrt(variance),
          Math.sqrt(variance / (2 * (m.count - 1))),
        );
      }
  });
  return worst;
}

describe(`annealed Langevin and predictor-corrector reach the mixture from noise (SEED=${seed})`, () => {
  const n = 4096;
  const z = zMoments(40);

  /**
   * e_i = h sigma_i^2 / sigma_L^2 with h = 5e-4. Once the modes are apart (0.92 between
   * neighbours), a mode of per-axis variance c = S0 + sigma^2 evolves exactly by
   * var <- (1 - e / c)^2 var + 2 e per move: ULA's bias (e / (2 c) = 2.8% of the variance at the
   * last level) and what the level before leaves unrelaxed, 4% in all, 0.6 standard errors of a
   * mode's std. The recursion from the first level gives the variance to expect.
   */
  test('annealed: 30 geometric levels from 3 to 0.05, 20 moves each', async () => {
    const L = 30;
    const h = 5e-4;
    const moves = 20;
    const levels: Level[] = Array.from({ length: L }, (_, i) => ({
      t: 1 - i / L,
      alpha: 1,
      sigma: 3 * (0.05 / 3) ** (i / (L - 1)),
    }));
    levels.push({ t: 0, alpha: 1, sigma: 0 });
    const end = await run({
      mixture: GAUSSIANS8,
      n,
      kind: 'annealed',
      h,
      correctorSteps: moves,
      levels,
      seed: nextSeed(),
    });
    expect(sim.status()).toMatchObject({ t: levels[L - 1]!.t, step: L, nfe: moves * L });
    expect(end.every(Number.isFinite)).toBe(true);
    const last = levels[L - 1]!.sigma;
    let variance = S0 + levels[0]!.sigma ** 2;
    for (const { sigma } of levels.slice(0, L)) {
      const e = lang.annealedStepSize(h, sigma, last);
      for (let j = 0; j < moves; j++)
        variance = (1 - e / (S0 + sigma ** 2)) ** 2 * variance + 2 * e;
    }
    // Modes assigned under the last level's p_t.
    within(
      modeRatio(smoothed(GAUSSIANS8, levels[L - 1]!), end, variance, z),
      1,
      'per-mode moments',
    );
  });

  /**
   * Euler on the probability-flow ODE maps a mode's offsets linearly, d <- d (1 + (sigma_b -
   * sigma_a) sigma_a / (S0 + sigma_a^2)), and each corrector move (e = 2 snr^2 sigma^2) as in
   * annealed: the recursion gives the std to expect (0.9% below the data's, 0.3 standard errors).
   * It is exact once the modes are apart (sigma < 0.2); above, where they overlap, it stands for a
   * spread off by at most 1.3%, allowed for on the means and stds (1.3% of the mode's std).
   */
  test('pc: euler predictor on 100 Karras levels, one corrector move per level', async () => {
    const snr = 0.16;
    const levels = Array.from({ length: 100 }, (_, i) => {
      const r = 1 / 7;
      const sigma = (10 ** r + (i / 99) * (0.002 ** r - 10 ** r)) ** 7;
      return { t: 1 - i / 99, alpha: 1, sigma };
    });
    levels.push({ t: 0, alpha: 1, sigma: 0 });
    const end = await run({
      mixture: GAUSSIANS8,
      n,
      kind: 'pc',
      sampler: 'euler',
      h: 0,
      correctorSteps: 1,
      snr,
      levels,
      seed: nextSeed(),
    });
    expect(sim.status()).toMatchObject({ t: 0, step: 100, nfe: 100 + 99 });
    expect(end.every(Number.isFinite)).toBe(true);
    let variance = S0 + levels[0]!.sigma ** 2;
    for (let i = 0; i + 1 < levels.length; i++) {
      const [a, b] = [levels[i]!.sigma, levels[i + 1]!.sigma];
      variance *= (1 + ((b - a) * a) / (S0 + a * a)) ** 2;
      if (b > 0) {
        const e = lang.pcStepSize(snr, b);
        variance = (1 - e / (S0 + b * b)) ** 2 * variance + 2 * e;
      }
    }
    within(modeRatio(GAUSSIANS8, end, variance, z, 0.013 * Math.sqrt(S0)), 1, 'per-mode moments');
  });
});

/** |got - want| / bound; 0 when equal (a zero bound demands equality). */
const ratioOf = (got: number, want: number, bound: number): number =>
  got === want ? 0 : Math.abs(got - want) / bound;

describe(`heat released to the bath (SEED=${seed})`, () => {
  /**
   * On a Gaussian U is quadratic, and for a quadratic the midpoint rule is exact:
   * -(g(a) + g(b)) . (b - a) / 2 = U(a) - U(b). So the Stratonovich heat of ULA and of accepted
   * MALA moves is exactly -(U_end - U_start) / T per particle. From snapshots of every step: each
   * step's heat against the kernel's float32 bound on the exact gradients (x0_hat's error from
   * denoiseF), and the run's total against the energies the GPU holds, within the sum of those.
   */
  for (const kind of ['ula', 'mala'] as const) {
    test(`${kind} on a Gaussian: Q = -(U_end - U_start) / T per particle`, async () => {
      const n = 512;
      const steps = 100;
      const T = 0.7;
      const level: Level = { t: 0.05, alpha: 0.9, sigma: 0.3 };
      await start({
        mixture: ONE,
        n,
        kind,
        temperature: T,
        h: 0.02,
        levels: repeat(level, steps),
        seed: nextSeed(),
      });
      const hist = await record(steps, ['x', 'energy', 'heat']);
      const alpha = F32.of(level.alpha);
      const sg = F32.of(level.sigma);
      const s2 = sg.mul(sg);
      const TF = F32.of(T);
      // ULA's energy after step k is U at x_{k-1} (evaluated before the move), MALA's at x_k.
      const lag = kind === 'ula' ? 1 : 0;
      let worstStep = 0;
      let worstRun = 0;
      let meanU = 0;
      for (let i = 0; i < n; i++) {
        const pos = Array.from({ length: steps + 1 }, (_, s) => vec(hist.x[s]!, i));
        const den = pos.map((x) => denoiseF(x, ONE, level.alpha, level.sigma));
        let bound = 0;
        for (let k = 1; k <= steps; k++) {
          // The move whose heat step k adds: ULA closes x_{k-2} -> x_{k-1}, MALA its own move.
          const [from, to] = [k - 1 - lag, k - lag];
          let q = new F32(hist.heat[k - 1]![i]!);
          const [a, b] = [pos[from], pos[to]];
          if (a && b && (a[0]!.v !== b[0]!.v || a[1]!.v !== b[1]!.v)) {
            const ga = gradF(a, den[from]!.x0, alpha, s2);
            const gb = gradF(b, den[to]!.x0, alpha, s2);
            const work = dot2(
              ga.map((c, j) => c.add(gb[j]!)),
              b.map((c, j) => c.sub(a[j]!)),
            );
            q = q.sub(work.mul(0.5).div(TF));
          }
          worstStep = Math.max(worstStep, ratioOf(hist.heat[k]![i]!, q.v, q.e));
          if (k >= 2) bound += q.e;
        }
        const [s, e] = [1 - lag, steps - lag];
        const du = (hist.energy[steps]![i]! - hist.energy[1]![i]!) / T;
        const want = -(den[e]!.u.v - den[s]!.u.v) / T;
        const heat = hist.heat[steps]![i]! - hist.heat[1]![i]!;
        const slack = bound + (den[s]!.u.e + den[e]!.u.e) / T + 1e-12 * (1 + Math.abs(want));
        worstRun = Math.max(worstRun, Math.abs(heat + du) / slack);
        meanU += want / n;
      }
      console.log(
        `${kind}: mean heat ${meanU.toFixed(4)}; worst step ${worstStep.toFixed(3)}, run ${worstRun.toFixed(3)} of their bounds`,
      );
      within(worstStep, REASSOCIATION_SLACK, `each step's heat: ${MODEL}`);
      within(worstRun, REASSOCIATION_SLACK, `heat against the energies: ${MODEL}, summed`);
      // Started from N(0, I), wider than the target: the cloud settles and releases heat, about
      // 6 per particle on average (standard error about 0.2).
      expect(meanU).toBeGreaterThan(0);
    });
  }
});

describe(`underdamped heat: the first law (SEED=${seed})`, () => {
  /**
   * B and A are Hamiltonian and O exchanges heat with the bath. On a quadratic U (precision A)
   * one BAOAB step from (x, v) with v1 = v - (h/2) g(x) (after B) and v2 (after O) changes
   * U + |v|^2 / 2 by -T dQ + (h^2 / 8)(|g(x')|^2 - |g(x)|^2 + v1.A v1 - v2.A v2) exactly. From
   * snapshots of every step: x' and the heat against the kernels' float32 bounds (v1 and v2
   * rebuilt from the snapshots), and the run's E_end - E_start + T Q against the sum of those
   * terms, within what those bounds allow.
   */
  test('gamma 1, h 0.01: E_end - E_start + T Q is the integrator energy error', async () => {
    const n = 512;
    const steps = 150;
    const T = 0.8;
    const h = 0.01;
    const level: Level = { t: 0.05, alpha: 1, sigma: 0.1 };
    await start({
      mixture: ONE,
      n,
      kind: 'underdamped',
      gamma: 1,
      temperature: T,
      h,
      levels: repeat(level, steps),
      seed: nextSeed(),
    });
    const hist = await record(steps, ['x', 'v', 'heat']);
    const C = smoothed(ONE, level).components[0]!;
    const { top } = inverseOf(C.cov);
    const det = C.cov[0] * C.cov[2] - C.cov[1] ** 2;
    const A = [C.cov[2] / det, -C.cov[1] / det, C.cov[0] / det];
    const quad = (p: number[], q: number[]): number =>
      A[0]! * p[0]! * q[0]! + A[1]! * (p[0]! * q[1]! + p[1]! * q[0]!) + A[2]! * p[1]! * q[1]!;
    const g = (x: number[]): number[] => {
      const r = [x[0]! - C.mean[0], x[1]! - C.mean[1]];
      return [A[0]! * r[0]! + A[1]! * r[1]!, A[1]! * r[0]! + A[2]! * r[1]!];
    };
    const energy = (x: number[], v: number[]): number => {
      const r = [x[0]! - C.mean[0], x[1]! - C.mean[1]];
      return 0.5 * quad(r, r) + 0.5 * (v[0]! ** 2 + v[1]! ** 2);
    };
    const norm = (p: number[]): number => Math.hypot(p[0]!, p[1]!);
    const alpha = F32.of(level.alpha);
    const sg = F32.of(level.sigma);
    const s2 = sg.mul(sg);
    const TF = F32.of(T);
    const half = F32.of(h).mul(0.5);
    const hf = Math.fround(h);
    let worstX = 0;
    let worstQ = 0;
    let worstLaw = 0;
    let miss = 0;
    let heat = 0;
    for (let i = 0; i < n; i++) {
      const xs = hist.x.map((a) => [a[2 * i]!, a[2 * i + 1]!]);
      const vs = hist.v.map((a) => [a[2 * i]!, a[2 * i + 1]!]);
      const grads = xs.map((x) => {
        const f = [new F32(x[0]!), new F32(x[1]!)];
        return gradF(f, denoiseF(f, ONE, level.alpha, level.sigma).x0, alpha, s2);
      });
      let model = 0;
      let slack = 0;
      for (let k = 1; k <= steps; k++) {
        const [x0, x1, v0, v1] = [xs[k - 1]!, xs[k]!, vs[k - 1]!, vs[k]!];
        const [gA, gB] = [grads[k - 1]!, grads[k]!];
        const vb = v0.map((c, j) => new F32(c).sub(half.mul(gA[j]!)));
        const xa = x0.map((c, j) => new F32(c).add(half.mul(vb[j]!)));
        // baoab_b wrote v' = vo - (h/2) g(x'): vo is v' + (h/2) g(x'), up to that subtraction.
        const vo = v1.map((c, j) => {
          const kick = half.mul(gB[j]!);
          return new F32(c + kick.v, kick.e + EPS32 * Math.abs(c));
        });
        const xF = xa.map((c, j) => c.add(half.mul(vo[j]!)));
        const qF = new F32(hist.heat[k - 1]![i]!).add(
          dot2(vb, vb).sub(dot2(vo, vo)).mul(0.5).div(TF),
        );
        worstX = Math.max(worstX, ...[0, 1].map((j) => ratioOf(x1[j]!, xF[j]!.v, xF[j]!.e)));
        worstQ = Math.max(worstQ, ratioOf(hist.heat[k]![i]!, qF.v, qF.e));
        // The step in exact arithmetic with the GPU's float32 h, rebuilt from the snapshots.
        const w1 = [0, 1].map((j) => v0[j]! - (hf / 2) * g(x0)[j]!);
        const w2 = [0, 1].map((j) => v1[j]! + (hf / 2) * g(x1)[j]!);
        const xStar = [0, 1].map((j) => x0[j]! + (hf / 2) * (w1[j]! + w2[j]!));
        const dQ = (w1[0]! ** 2 + w1[1]! ** 2 - w2[0]! ** 2 - w2[1]! ** 2) / (2 * T);
        model +=
          (hf ** 2 / 8) * (norm(g(x1)) ** 2 - norm(g(x0)) ** 2 + quad(w1, w1) - quad(w2, w2));
        // x' = x* + eps and the heat off by eta move the law by T eta + g(x*).eps
        // - (h/2) v*.A eps - (h^2/4) g(x*).A eps + eps.A eps / 2.
        const eps = Math.hypot(...[0, 1].map((j) => xF[j]!.e + Math.abs(xF[j]!.v - xStar[j]!)));
        const vStar = [0, 1].map((j) => w2[j]! - (hf / 2) * g(xStar)[j]!);
        const eta = qF.e + Math.abs(qF.v - hist.heat[k - 1]![i]! - dQ);
        slack +=
          T * eta +
          eps * (norm(g(xStar)) * (1 + (top * hf ** 2) / 4) + (top * hf * norm(vStar)) / 2) +
          (top * eps ** 2) / 2;
      }
      const law =
        energy(xs[steps]!, vs[steps]!) -
        energy(xs[0]!, vs[0]!) +
        T * (hist.heat[steps]![i]! - hist.heat[0]![i]!);
      worstLaw = Math.max(worstLaw, Math.abs(law - model) / (slack + 1e-12 * Math.abs(law)));
      miss += Math.abs(law) / n;
      heat += Math.abs(T * hist.heat[steps]![i]!) / n;
    }
    console.log(
      `underdamped: mean |dE + T Q| ${miss.toExponential(2)}, mean |T Q| ${heat.toFixed(3)}; worst x ${worstX.toFixed(3)}, heat ${worstQ.toFixed(3)}, law ${worstLaw.toFixed(3)} of their bounds`,
    );
    within(worstX, REASSOCIATION_SLACK, `positions: ${MODEL}`);
    within(worstQ, REASSOCIATION_SLACK, `heat: ${MODEL}`);
    within(worstLaw, REASSOCIATION_SLACK, `first law: BAOAB's exact energy error, ${MODEL}`);
  });
});

describe(`status and unstable step sizes (SEED=${seed})`, () => {
  test('t is the energy level; step, steps and NFE count the plan', async () => {
    const level = LEVEL;
    const base = { mixture: TWO, n: 256, h: 0.01, levels: repeat(level, 10), seed };
    for (const [kind, nfe] of [
      ['ula', 4],
      ['mala', 5],
      ['underdamped', 5],
    ] as const) {
      await start({ ...base, kind });
      await advance(4);
      expect(sim.status()).toEqual({ t: level.t, step: 4, steps: 10, nfe });
    }
  });

  test('a huge step gives non-finite particles, never a GPU error or an exception', async () => {
    const levels = [
      { t: 1, alpha: 1, sigma: 3 },
      { t: 0.5, alpha: 1, sigma: 0.1 },
      { t: 0, alpha: 1, sigma: 0 },
    ];
    for (const kind of ['ula', 'mala', 'underdamped', 'annealed', 'pc'] as const) {
      await start({
        mixture: TWO,
        n: 256,
        kind,
        h: 10,
        snr: 10,
        gamma: 0,
        levels: kind === 'pc' ? levels : repeat(LEVEL, 20),
        seed,
      });
      await advance(20);
      expect(sim.done).toBe(true);
      const x = await sim.positions();
      const blown = x.some((v) => !Number.isFinite(v) || Math.abs(v) > 1e6);
      console.log(`${kind} at h 10: ${blown ? 'blown up' : 'finite'}`);
      // MALA rejects such moves; pc's last step returns the denoiser's finite estimate.
      if (kind === 'ula' || kind === 'underdamped' || kind === 'annealed') expect(blown).toBe(true);
    }
  });
});
