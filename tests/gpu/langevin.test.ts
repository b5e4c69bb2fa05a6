/**
 * Langevin dynamics on real WebGPU (../shared/docs/maths.md section 4): every Langevin kernel
 * against its float64 reference (src/maths/langevin.ts) on fresh random inputs with the same
 * noise, then whole runs through the Simulation class: the stationary law of ula, mala and
 * underdamped on a Gaussian mixture (and its scaling with T), MALA exact where ULA is biased,
 * energy conservation of Hamiltonian BAOAB at O(h^2), annealed Langevin and predictor-corrector
 * from noise to the mixture, and the heat against the first law.
 *
 * Tolerances come from sample sizes (Z standard errors) or float32 rounding, never from earlier
 * outputs; seeds are fresh each run and printed in the test names.
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
import { Rng } from '../../src/maths/rng';
import type { Level } from '../../src/maths/schedules';
import * as ref from '../../src/maths/steps';
import {
  assignToModes,
  momentErrors,
  moments,
  slicedWasserstein2,
  mixtureMoments,
  type Moments,
} from '../../src/maths/stats';
import type { LangevinId, SamplerId } from '../../src/settings';
import { Simulation } from '../../src/sim/simulation';
import { stepParams } from '../../src/sim/stepTable';
import { gpuErrors, relativeError, runKernel, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 77);
const nextSeed = (): number => rng.int(2 ** 32);
/** Bound on |estimate - expected| in standard errors, for each single check. */
const Z = 5;
const TOL = 1e-5;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

function normals(count: number, scale = 1): Float64Array {
  return Float64Array.from({ length: count }, () => scale * rng.normal());
}

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
    const h = lv.held;
    h.x.set(st.x.map((v) => v + 0.1 * rng.normal()));
    h.x0hat.set(normals(2 * n));
    // U' - U of a few units: MALA both accepts and rejects.
    h.energy.set(st.energy.map((v) => v + 3 * rng.normal()));
    h.logQ.set(Float64Array.from({ length: n }, () => rng.uniform() * 2));
    h.moves.set(Uint32Array.from({ length: n }, () => rng.int(2 ** 31)));
    h.pending.set(Uint32Array.from({ length: n }, () => rng.int(2)));
    return { st, lv };
  }

  /** The float32 inputs of a state, and the float64 state rounded to them. */
  function inputs(st: ref.CpuState, lv: lang.LangevinCpu) {
    const r = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
    for (const a of [st.x, st.x0hat, st.energy, lv.v, lv.heat]) a.set(r(a));
    const h = lv.held;
    for (const a of [h.x, h.x0hat, h.energy, h.logQ]) a.set(r(a));
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

  function expectHeld(gpu: ArrayBuffer, cpu: lang.LangevinCpu['held']): void {
    const g = lang.unpackHeld(gpu, n);
    expect(relativeError(g.x, cpu.x)).toBeLessThan(TOL);
    expect(relativeError(g.x0hat, cpu.x0hat)).toBeLessThan(TOL);
    expect(relativeError(g.energy, cpu.energy)).toBeLessThan(TOL);
    expect(relativeError(g.logQ, cpu.logQ)).toBeLessThan(TOL);
    expect(Array.from(g.moves)).toEqual(Array.from(cpu.moves));
    expect(Array.from(g.pending)).toEqual(Array.from(cpu.pending));
  }

  test('langevin_init', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('langevin_init', p, inputs(st, lv));
    lang.langevinInit(lv, p);
    expect(relativeError(gpu.v, lv.v)).toBeLessThan(TOL);
    expect(gpu.heat.every((q) => q === 0)).toBe(true);
    expect(gpu.accept.every((a) => a === 0)).toBe(true);
    expect(new Uint32Array(gpu.held).every((w) => w === 0)).toBe(true);
  });

  for (const close of [0, 1]) {
    test(`ula, close ${close}: the move, the held start and the heat`, async () => {
      const p = params(close);
      const { st, lv } = state();
      const gpu = await runKernel('ula', p, inputs(st, lv));
      lang.ula(st, lv, p);
      expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
      // The heat adds terms of size |g| |dx| / T to values of size 1: compared on that scale.
      expect(relativeError(gpu.heat, lv.heat)).toBeLessThan(10 * TOL);
      expectHeld(gpu.held, lv.held);
    });
  }

  test('mala_propose', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('mala_propose', p, inputs(st, lv));
    lang.malaPropose(st, lv, p);
    expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
    expectHeld(gpu.held, lv.held);
  });

  test('mala_accept: decisions, restored state, heat of accepted moves', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('mala_accept', p, inputs(st, lv));
    // A float32 acceptance ratio may fall on the other side of log u within its rounding: those
    // particles (|log u - log ratio| below 1e-4) take the GPU's decision.
    let ties = 0;
    lang.malaAccept(st, lv, p, (i, accepted) => {
      const { logRatio, logU } = lang.malaDecision(st, lv, p, i);
      if (Math.abs(logU - logRatio) > 1e-4 * (1 + Math.abs(logRatio))) return accepted;
      ties++;
      return gpu.accept[i] === 1;
    });
    const rate = lv.accept.reduce((a, b) => a + b, 0) / n;
    expect(ties).toBeLessThan(5);
    expect(rate).toBeGreaterThan(0.05);
    expect(rate).toBeLessThan(0.95);
    expect(Array.from(gpu.accept)).toEqual(Array.from(lv.accept));
    expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
    expect(relativeError(gpu.x0hat, st.x0hat)).toBeLessThan(TOL);
    expect(relativeError(gpu.energy, st.energy)).toBeLessThan(TOL);
    expect(relativeError(gpu.heat, lv.heat)).toBeLessThan(10 * TOL);
    expectHeld(gpu.held, lv.held);
  });

  for (const gamma of [0, 1e-4, 2]) {
    test(`baoab_baoa, gamma ${gamma}`, async () => {
      const p = params(0, gamma);
      const { st, lv } = state();
      const input = inputs(st, lv);
      const heat0 = Float32Array.from(input.heat);
      const gpu = await runKernel('baoab_baoa', p, input);
      lang.baoabBaoa(st, lv, p);
      expect(relativeError(gpu.x, st.x)).toBeLessThan(TOL);
      expect(relativeError(gpu.v, lv.v)).toBeLessThan(TOL);
      expect(relativeError(gpu.heat, lv.heat)).toBeLessThan(10 * TOL);
      expectHeld(gpu.held, lv.held);
      // Hamiltonian: no heat at all.
      if (gamma === 0) expect(gpu.heat).toEqual(heat0);
    });
  }

  test('baoab_b', async () => {
    const p = params(0);
    const { st, lv } = state();
    const gpu = await runKernel('baoab_b', p, inputs(st, lv));
    lang.baoabB(st, lv, p);
    expect(relativeError(gpu.v, lv.v)).toBeLessThan(TOL);
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
  sim.setRun({
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

/** Every moment of the samples more than Z standard errors from `want`; empty when they match. */
function momentProblems(samples: Float32Array, want: Pick<Moments, 'mean' | 'cov'>): string[] {
  const got = moments(samples);
  const se = momentErrors(samples);
  const problems: string[] = [];
  const check = (what: string, g: number, w: number, s: number): void => {
    if (!(Math.abs(g - w) <= Z * s))
      problems.push(`${what}: ${g.toFixed(4)} vs ${w.toFixed(4)} (se ${s.toFixed(4)})`);
  };
  check('mean x', got.mean[0], want.mean[0], se.mean[0]);
  check('mean y', got.mean[1], want.mean[1], se.mean[1]);
  ['xx', 'xy', 'yy'].forEach((k, j) => check(`cov ${k}`, got.cov[j]!, want.cov[j]!, se.cov[j]!));
  return problems;
}

const PROJECTIONS = 64;

/**
 * SW2 from the samples to a fresh sample of the target, and the floor: the RMS of SW2 between two
 * fresh samples of the same size over 10 pairs. An exact sampler stays below 2.5 floors (the
 * bound of tests/gpu/samplers.test.ts, where it is derived).
 */
function distance(target: Mixture, samples: Float32Array): { sw: number; floor: number } {
  const n = samples.length / 2;
  const fresh = (): Float32Array => sampleMixture(target, n, new Rng(nextSeed(), 8));
  let sum = 0;
  for (let k = 0; k < 10; k++)
    sum += slicedWasserstein2(fresh(), fresh(), PROJECTIONS, nextSeed()) ** 2;
  return {
    sw: slicedWasserstein2(samples, fresh(), PROJECTIONS, nextSeed()),
    floor: Math.sqrt(sum / 10),
  };
}

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

/**
 * The runs' step sizes keep the discretisation bias below a standard error: ULA's stationary
 * variance on a Gaussian of variance v is v / (1 - h / (2 v)), 0.6% at h = 0.002 and v = 0.17;
 * MALA is exact at any h; BAOAB's positions are exact on a Gaussian at any h (Leimkuhler &
 * Matthews 2013) and O(h^2) otherwise. The lengths are several times the slowest relaxation
 * time measured on these targets (v / h steps for ULA, between-mode hops included).
 */
const STATIONARY = [
  { kind: 'ula', h: 0.002, steps: 2000 },
  { kind: 'mala', h: 0.05, steps: 600 },
  { kind: 'underdamped', h: 0.05, gamma: 2, steps: 600 },
] as const;

describe(`ula, mala and underdamped sample exp(-U / T) (SEED=${seed})`, () => {
  const n = 4096;
  for (const c of STATIONARY) {
    test(`${c.kind}: a two-component mixture at alpha ${LEVEL.alpha}, sigma ${LEVEL.sigma}`, async () => {
      const t0 = performance.now();
      const end = await run({ ...c, mixture: TWO, n, levels: repeat(LEVEL, c.steps), seed });
      const target = smoothed(TWO, LEVEL);
      const { sw, floor } = distance(target, end);
      console.log(
        `${c.kind}: SW2 ${sw.toFixed(4)}, floor ${floor.toFixed(4)}; ${(performance.now() - t0).toFixed(0)} ms`,
      );
      expect(end.every(Number.isFinite)).toBe(true);
      expect(momentProblems(end, mixtureMoments(target))).toEqual([]);
      expect(sw).toBeLessThan(2.5 * floor);
      // energy holds U at the positions (mala, underdamped) or one step behind (ula).
      const energy = await sim.readBuffer('energy');
      if (c.kind !== 'ula') {
        const want = denoiseMixture(end, TWO, LEVEL.alpha, LEVEL.sigma).energy;
        expect(relativeError(energy.subarray(0, n), want)).toBeLessThan(1e-5);
      }
      if (c.kind === 'underdamped') {
        // Kinetic temperature <|v|^2> / d = T; v^2 per coordinate has variance 2 T^2.
        const v = await sim.velocities();
        const kinetic = v.reduce((a, b) => a + b * b, 0) / v.length;
        expect(Math.abs(kinetic - 1)).toBeLessThan(Z * Math.sqrt(2 / v.length));
      }
      if (c.kind === 'mala') {
        const accept = (await sim.readBuffer('accept')).subarray(0, n);
        const rate = accept.reduce((a, b) => a + b, 0) / n;
        console.log(`mala h ${c.h}: acceptance ${rate.toFixed(3)}`);
        expect(rate).toBeGreaterThan(0.5);
        expect(rate).toBeLessThan(1);
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
      const target = mixtureMoments(smoothed(ONE, level));
      const scaled = { mean: target.mean, cov: target.cov.map((v) => T * v) as typeof target.cov };
      expect(momentProblems(end, scaled)).toEqual([]);
      expect(momentProblems(end, target)).not.toEqual([]);
    });
  }
});

describe(`MALA is exact at a step where ULA is biased (SEED=${seed})`, () => {
  test('h = 0.2 on a Gaussian of variance 0.2: ULA doubles the variance, MALA does not', async () => {
    const n = 4096;
    const iso: Mixture = { components: [{ weight: 1, mean: [0.2, 0.1], cov: [0.19, 0, 0.19] }] };
    const level: Level = { t: 0.01, alpha: 1, sigma: 0.1 };
    const target = mixtureMoments(smoothed(iso, level));
    const base = { mixture: iso, n, h: 0.2, levels: repeat(level, 300) };
    const ula = await run({ ...base, kind: 'ula', seed: nextSeed() });
    const mala = await run({ ...base, kind: 'mala', seed: nextSeed() });
    const rate = (await sim.readBuffer('accept')).subarray(0, n).reduce((a, b) => a + b, 0) / n;
    const vU = moments(ula).cov;
    const vM = moments(mala).cov;
    console.log(
      `h 0.2: variance ${target.cov[0].toFixed(3)}; ula ${vU[0].toFixed(3)}, mala ${vM[0].toFixed(3)} (acceptance ${rate.toFixed(3)})`,
    );
    expect(momentProblems(mala, target)).toEqual([]);
    // ULA's stationary variance v / (1 - h / (2 v)) = 2 v: far outside the standard errors.
    const se = momentErrors(ula).cov;
    expect(vU[0] - target.cov[0]).toBeGreaterThan(Z * se[0]);
    expect(vU[2] - target.cov[2]).toBeGreaterThan(Z * se[2]);
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.95);
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
    expect(coarse / fine).toBeGreaterThan(3);
    expect(coarse / fine).toBeLessThan(5.3);
  });
});

const GAUSSIANS8 = datasetMixture('gaussians8')!;

/** Per-mode weight, mean and std within Z standard errors (as tests/gpu/samplers.test.ts). */
function modeProblems(mixture: Mixture, samples: Float32Array): string[] {
  const n = samples.length / 2;
  const problems: string[] = [];
  const { modes } = assignToModes(samples, mixture);
  mixture.components.forEach((c, k) => {
    const m = modes[k]!;
    const check = (what: string, got: number, want: number, se: number): void => {
      if (!(Math.abs(got - want) <= Z * se))
        problems.push(`mode ${k} ${what}: ${got.toFixed(4)} vs ${want.toFixed(4)}`);
    };
    check('weight', m.weight, c.weight, Math.sqrt((c.weight * (1 - c.weight)) / n));
    if (m.count < 10) return void problems.push(`mode ${k}: only ${m.count} samples`);
    for (const a of [0, 1] as const) {
      const v = c.cov[2 * a]!;
      check(`mean ${a}`, m.mean[a], c.mean[a], Math.sqrt(v / m.count));
      check(`std ${a}`, Math.sqrt(m.cov[2 * a]!), Math.sqrt(v), Math.sqrt(v / (2 * (m.count - 1))));
    }
  });
  return problems;
}

describe(`annealed Langevin and predictor-corrector reach the mixture from noise (SEED=${seed})`, () => {
  const n = 4096;

  /**
   * e_i = h sigma_i^2 / sigma_L^2 with h = 5e-4: ULA's bias at the last level is e / (2 v) = 2.8% of
   * a mode's variance v = 0.0089 (1.4% of its width, half a standard error), and 20 moves per
   * level relax the excess variance left by the level before (a factor 1.15 in sigma) by
   * (1 - e / v)^40 = 0.1 at the last level, faster above.
   */
  test('annealed: 30 geometric levels from 3 to 0.05, 20 moves each', async () => {
    const L = 30;
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
      h: 5e-4,
      correctorSteps: 20,
      levels,
      seed: nextSeed(),
    });
    expect(sim.status()).toMatchObject({ t: levels[L - 1]!.t, step: L, nfe: 20 * L });
    expect(end.every(Number.isFinite)).toBe(true);
    // The last level's p_t: the modes widened by sigma_L = 0.05.
    expect(modeProblems(smoothed(GAUSSIANS8, levels[L - 1]!), end)).toEqual([]);
  });

  test('pc: euler predictor on 100 Karras levels, one corrector move per level', async () => {
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
      snr: 0.16,
      levels,
      seed: nextSeed(),
    });
    expect(sim.status()).toMatchObject({ t: 0, step: 100, nfe: 100 + 99 });
    expect(end.every(Number.isFinite)).toBe(true);
    expect(modeProblems(GAUSSIANS8, end)).toEqual([]);
  });
});

describe(`heat released to the bath (SEED=${seed})`, () => {
  /**
   * On a Gaussian U is quadratic, and for a quadratic the midpoint rule is exact:
   * -(g(a) + g(b)) . (b - a) / 2 = U(a) - U(b). So the Stratonovich heat of ULA and of accepted
   * MALA moves is exactly -(U_end - U_start) / T per particle, up to float32 rounding.
   */
  for (const kind of ['ula', 'mala'] as const) {
    test(`${kind} on a Gaussian: Q = -(U_end - U_start) / T per particle`, async () => {
      const n = 2048;
      const T = 0.7;
      const level: Level = { t: 0.05, alpha: 0.9, sigma: 0.3 };
      await start({
        mixture: ONE,
        n,
        kind,
        temperature: T,
        h: 0.02,
        levels: repeat(level, 200),
        seed: nextSeed(),
      });
      await advance(1);
      const u0 = Float64Array.from((await sim.readBuffer('energy')).subarray(0, n));
      const q0 = Float64Array.from((await sim.readBuffer('heat')).subarray(0, n));
      if (kind === 'ula') expect(q0.every((q) => q === 0)).toBe(true);
      await advance(199);
      const u1 = (await sim.readBuffer('energy')).subarray(0, n);
      const q1 = (await sim.readBuffer('heat')).subarray(0, n);
      let worst = 0;
      let mean = 0;
      let meanU = 0;
      for (let i = 0; i < n; i++) {
        const want = -(u1[i]! - u0[i]!) / T;
        worst = Math.max(worst, Math.abs(q1[i]! - q0[i]! - want) / (1 + Math.abs(want)));
        mean += (q1[i]! - q0[i]!) / n;
        meanU += want / n;
      }
      console.log(
        `${kind}: mean heat ${mean.toFixed(4)} vs ${meanU.toFixed(4)}, worst ${worst.toExponential(2)}`,
      );
      // Rounding: 200 float32 additions of terms of order 1.
      expect(worst).toBeLessThan(1e-4);
      // Started from N(0, I), wider than the target: the cloud settles and releases heat.
      expect(meanU).toBeGreaterThan(0);
    });
  }
});

describe(`underdamped heat: the first law (SEED=${seed})`, () => {
  /**
   * B and A are Hamiltonian (energy kept to O(h^2)), so the only exchange with the bath is O's:
   * U + |v|^2 / 2 changes by -T Q per particle, up to the integrator's O(h^2) error.
   */
  test('gamma 1, h 0.01: E_end - E_start = -T Q per particle', async () => {
    const n = 1024;
    const T = 0.8;
    const level: Level = { t: 0.05, alpha: 1, sigma: 0.1 };
    await start({
      mixture: ONE,
      n,
      kind: 'underdamped',
      gamma: 1,
      temperature: T,
      h: 0.01,
      levels: repeat(level, 300),
      seed: nextSeed(),
    });
    const total = (x: Float32Array, v: Float32Array): Float64Array => {
      const u = denoiseMixture(x, ONE, level.alpha, level.sigma).energy;
      return u.map((ui, i) => ui + 0.5 * (v[2 * i]! ** 2 + v[2 * i + 1]! ** 2));
    };
    const e0 = total(await sim.positions(), await sim.velocities());
    await advance(300);
    const e1 = total(await sim.positions(), await sim.velocities());
    const q = (await sim.readBuffer('heat')).subarray(0, n);
    let miss = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      miss += Math.abs(e1[i]! - e0[i]! + T * q[i]!) / n;
      scale += Math.abs(T * q[i]!) / n;
    }
    console.log(
      `underdamped: mean |dE + T Q| ${miss.toExponential(2)}, mean |T Q| ${scale.toFixed(3)}`,
    );
    expect(miss).toBeLessThan(0.01 * scale);
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
