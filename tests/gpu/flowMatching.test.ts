/**
 * Flow matching's sampler is DDIM with eta 0 on the rectified path (src/maths/flow.ts): on real
 * WebGPU, the euler and ddim kernels of whole rectified runs (exact mixture denoiser, gaussians8)
 * against the float64 Euler step in t, x_s = x_t + (s - t) v_hat, and against each other.
 *
 * Error model. Each run is read back after every step (x_i, and x0_hat_i, the evaluation its step
 * used). A sampler kernel's output is its float64 step on its own float32 inputs plus l_i, the
 * kernel's rounding, bounded element by element by 2x the running float32 bound of its WGSL
 * replayed on those inputs (samplerBounds, tests/gpu/samplerBounds.ts). Then:
 * - against the float64 flow-matching Euler run y that starts from the run's own noise and takes
 *   the run's own x0_hat_i (so the denoiser's rounding is shared, not an error): both steps are
 *   r x + c x0_hat with r = s / t in exact arithmetic, so x_{i+1} - y_{i+1} = r (x_i - y_i) + l_i,
 *   bounded by B_{i+1} = r B_i + |l_i| (plus float64's own roundings, 16 u of the magnitudes);
 * - euler against ddim, from the same noise: their difference d_i moves through the step's
 *   Jacobian, d_{i+1} = (r I + c J_i) d_i + l^E_i - l^D_i + c (e^E_i - e^D_i), J_i the float64
 *   mixture denoiser's Jacobian (central differences) and e_i the GPU denoiser's measured error
 *   against the float64 one at that run's own x_i. Summed componentwise with absolute values,
 *   times 2 for the first-order terms it drops and the Jacobian taken at one end of d_i.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { generateDataset, type Mixture } from '../../src/maths/datasets';
import { denoiseMixture } from '../../src/maths/denoisers';
import { flowEuler } from '../../src/maths/flow';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels, type Level } from '../../src/maths/schedules';
import { cpuState, type StepParams } from '../../src/maths/steps';
import type { Simulation } from '../../src/sim/run/simulation';
import { stepParams, type RunConstants } from '../../src/sim/run/stepTable';
import { useSimulation } from './fileSimulation';
import { setRun } from './harness';
import { samplerBounds } from './samplerBounds';
import { SEED, within } from '../random';

const N = 1024;
const STEPS = 16;
const U64 = 2 ** -53;
const data = generateDataset('gaussians8', 256, SEED);
const mixture = data.mixture as Mixture;
const levels = reverseLevels('rectified', DEFAULT_SCHEDULE_PARAMS, STEPS);

let sim: Simulation;
let device: GPUDevice;
useSimulation((s, d) => {
  [sim, device] = [s, d];
  sim.setParticles(N);
  sim.setData(data);
});

interface Trajectory {
  /** x_0 .. x_STEPS. */
  x: Float32Array[];
  /** x0_hat_i: the evaluation step i used, at level i. */
  x0hat: Float32Array[];
}

/** A whole rectified run of `sampler`, read back after every step. */
async function trajectory(sampler: 'euler' | 'ddim'): Promise<Trajectory> {
  await setRun(sim, { mode: 'reverse', sampler, denoiser: 'exact', levels, eta: 0, seed: SEED });
  let encoder = device.createCommandEncoder();
  sim.reset(encoder);
  device.queue.submit([encoder.finish()]);
  const out: Trajectory = { x: [await sim.positions()], x0hat: [] };
  for (let i = 0; i < STEPS; i++) {
    encoder = device.createCommandEncoder();
    sim.encodeSteps(encoder, 1);
    device.queue.submit([encoder.finish()]);
    out.x.push(await sim.positions());
    out.x0hat.push((await sim.readBuffer('x0hat')).slice(0, 2 * N));
  }
  return out;
}

const constants: RunConstants = { eta: 0, n: N, m: 256, k: 8, seed: SEED };
const stepOf = (i: number): StepParams =>
  stepParams(levels[i]!, levels[i + 1]!, levels[i]!, i, constants);

/** 2x the kernel's float32 bound on step i from the run's own (float32) x_i and x0_hat_i. */
function kernelBound(name: 'euler' | 'ddim', run: Trajectory, i: number): Float64Array {
  const st = cpuState(N);
  st.x.set(run.x[i]!);
  st.x0hat.set(run.x0hat[i]!);
  return samplerBounds(name, stepOf(i), st, { uploaded: true }).x!.map((b) => 2 * b);
}

let euler: Trajectory;
let ddim: Trajectory;

describe(`rectified runs: euler = ddim eta 0 = flow matching's Euler step in t (SEED=${SEED})`, () => {
  beforeAll(async () => {
    euler = await trajectory('euler');
    ddim = await trajectory('ddim');
  }, 120_000);

  test.each(['euler', 'ddim'] as const)(
    '%s against the float64 flow-matching Euler run on its own x0_hat',
    (name) => {
      const run = name === 'euler' ? euler : ddim;
      const y = cpuState(N);
      y.x.set(run.x[0]!);
      const bound = new Float64Array(2 * N);
      let worst = { error: 0, tolerance: 1 };
      for (let i = 0; i < STEPS; i++) {
        const p = stepOf(i);
        const r = levels[i + 1]!.t / levels[i]!.t;
        const l = kernelBound(name, run, i);
        y.x0hat.set(run.x0hat[i]!);
        flowEuler(y, p);
        const x = run.x[i + 1]!;
        for (let k = 0; k < 2 * N; k++) {
          const own = 16 * U64 * (Math.abs(y.x[k]!) + Math.abs(y.x0hat[k]!));
          bound[k] = r * bound[k]! + l[k]! + own;
          const error = Math.abs(x[k]! - y.x[k]!);
          if (error / bound[k]! > worst.error / worst.tolerance)
            worst = { error, tolerance: bound[k]! };
        }
      }
      within(worst.error, worst.tolerance, `${name}: B_{i+1} = (s / t) B_i + 2x its float32 bound`);
      // Not vacuous: the run did move from noise to the data's scale.
      expect(Math.hypot(...run.x[STEPS]!.slice(0, 2))).toBeGreaterThan(0.5);
    },
  );

  test('euler and ddim from the same noise agree to their propagated float32 error', () => {
    expect(euler.x[0]).toEqual(ddim.x[0]);
    expect(euler.x0hat[0]).toEqual(ddim.x0hat[0]);
    const bound = new Float64Array(2 * N);
    const h = 1e-5;
    let worst = { error: 0, tolerance: 1 };
    let differing = 0;
    for (let i = 0; i < STEPS; i++) {
      const { alpha, sigma }: Level = levels[i]!;
      const to = levels[i + 1]!;
      const r = to.sigma / sigma;
      const c = to.alpha - alpha * r;
      const lE = kernelBound('euler', euler, i);
      const lD = kernelBound('ddim', ddim, i);
      const xE = euler.x[i]!;
      const eE = denoiseMixture(xE, mixture, alpha, sigma).x0hat;
      const eD = denoiseMixture(ddim.x[i]!, mixture, alpha, sigma).x0hat;
      // Central differences of the float64 denoiser at x^E: J[c][c'] = d x0_hat_c / d x_c'.
      const shifted = (dc: number, sign: number): Float64Array => {
        const x = Float64Array.from(xE);
        for (let p = 0; p < N; p++) x[2 * p + dc]! += sign * h;
        return denoiseMixture(x, mixture, alpha, sigma).x0hat;
      };
      const jx = [shifted(0, 1), shifted(0, -1)];
      const jy = [shifted(1, 1), shifted(1, -1)];
      const next = new Float64Array(2 * N);
      for (let p = 0; p < N; p++) {
        for (let q = 0; q < 2; q++) {
          const k = 2 * p + q;
          const dx = (jx[0]![k]! - jx[1]![k]!) / (2 * h);
          const dy = (jy[0]![k]! - jy[1]![k]!) / (2 * h);
          // Row q of r I + c J, applied to the bounds of both coordinates.
          const moved =
            Math.abs((q === 0 ? r : 0) + c * dx) * bound[2 * p]! +
            Math.abs((q === 1 ? r : 0) + c * dy) * bound[2 * p + 1]!;
          const denoiser =
            Math.abs(euler.x0hat[i]![k]! - eE[k]!) + Math.abs(ddim.x0hat[i]![k]! - eD[k]!);
          next[k] = moved + lE[k]! + lD[k]! + Math.abs(c) * denoiser;
        }
      }
      bound.set(next);
      const xe = euler.x[i + 1]!;
      const xd = ddim.x[i + 1]!;
      for (let k = 0; k < 2 * N; k++) {
        const error = Math.abs(xe[k]! - xd[k]!);
        if (error > 0) differing++;
        if (error / (2 * bound[k]!) > worst.error / worst.tolerance)
          worst = { error, tolerance: 2 * bound[k]! };
      }
    }
    within(worst.error, worst.tolerance, 'euler vs ddim: 2x the Jacobian-propagated bound');
    // The kernels do round differently (else this compares nothing beyond bit equality).
    expect(differing).toBeGreaterThan(0);
  });
});
