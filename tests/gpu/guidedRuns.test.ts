/**
 * Whole guided runs on real WebGPU (gaussians8, exact mixture denoiser, DDIM eta 0, cosine, 20
 * steps), against float64.
 *
 * - Class 0 at w = 1 (the conditional denoiser alone) lands in mode 0: the run samples
 *   N(mu_0, 0.08^2 I) (DDIM's discretisation narrows it a little, never widens it), and a point of
 *   it is nearer another mode's mean only beyond half the neighbours' distance, 1.2 sin(pi / 8) =
 *   0.459 = 5.7 sd: probability 2 Phi(-5.7) < 2e-8 per sample, < 1e-4 over the run's 4,096. So
 *   every sample must land.
 * - w = 0 is the unconditional run bit for bit (guide.wgsl's w c + (1 - w) u is exact at w = 0).
 * - w = 3: what theory predicts. Near an isolated mode p(x | c)^w p(x)^(1-w) = N_k, so guidance
 *   would change nothing in the limit of separated modes; but the guided ODE is not the flow of
 *   that density, and at the noise levels where the 8 modes overlap (sigma ~ their distance) the
 *   unconditional x0_hat is pulled to the mixture's mean, so u + w (c - u) pushes particles out
 *   along the radius and away from the neighbours. Integrating the same guided DDIM in float64
 *   (20,000 particles) gives mode 0 moved out from 1.20 to 1.30, its radial sd from 0.053 to 0.033
 *   and its tangential sd from 0.053 to 0.014 (w = 1: 0.053 both; the data's 0.08 narrowed by
 *   DDIM's 20 steps). The GPU's mean and sds are checked against that float64 prediction from
 *   independent noise: the difference of the two estimates within zFor(3) standard errors, the
 *   variance of a sample sd s taken as (m4 - s^4) / (4 s^2 N), of a mean s^2 / N, each sample's
 *   moments from itself.
 */
import { describe, expect, test } from 'vitest';
import { generateDataset, type Mixture } from '../../src/maths/datasets';
import { denoiseMixture } from '../../src/maths/denoisers';
import { classMixture, guide, type Condition } from '../../src/maths/guidance';
import { Rng } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import type { Simulation } from '../../src/sim/run/simulation';
import { useSimulation } from './fileSimulation';
import { setRun } from './harness';
import { SEED, within, zFor } from '../random';

const N = 4096;
const STEPS = 20;
const data = generateDataset('gaussians8', 512, SEED);
const mixture = data.mixture as Mixture;
const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, STEPS);

let sim: Simulation;
let device: GPUDevice;
useSimulation((s, d) => {
  [sim, device] = [s, d];
  sim.setParticles(N);
  sim.setData(data);
});

/** The samples of a whole DDIM run (eta 0) with this condition (none: unconditional). */
async function samples(condition?: Condition): Promise<Float32Array> {
  const spec = { mode: 'reverse', sampler: 'ddim', denoiser: 'exact', levels, eta: 0 } as const;
  await setRun(sim, { ...spec, seed: SEED, ...(condition ? { condition } : {}) });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  sim.encodeSteps(encoder, STEPS);
  device.queue.submit([encoder.finish()]);
  return sim.positions();
}

/** The same guided DDIM in float64 from fresh N(0, sigma_T^2 I) noise. */
function float64Samples(n: number, label: number, w: number): Float64Array {
  const rng = new Rng(SEED, 152);
  const own = classMixture(mixture, label);
  let x = Float64Array.from({ length: 2 * n }, () => rng.normal() * levels[0]!.sigma);
  for (let i = 0; i < STEPS; i++) {
    const [a, b] = [levels[i]!, levels[i + 1]!];
    const c = denoiseMixture(x, own, a.alpha, a.sigma).x0hat;
    const x0 = guide(c, denoiseMixture(x, mixture, a.alpha, a.sigma).x0hat, w);
    x = x.map((xi, j) => b.alpha * x0[j]! + (b.sigma * (xi - a.alpha * x0[j]!)) / a.sigma);
  }
  return x;
}

/** Mean, sd and the standard errors of both, of coordinate `c` of interleaved points. */
function moments(x: ArrayLike<number>, c: 0 | 1) {
  const n = x.length / 2;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[2 * i + c]! / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[2 * i + c]! - mean;
    m2 += (d * d) / n;
    m4 += (d * d * d * d) / n;
  }
  const sd = Math.sqrt(m2);
  return { mean, sd, meanVar: m2 / n, sdVar: (m4 - m2 * m2) / (4 * m2 * n) };
}

describe(`guided runs (SEED=${SEED})`, () => {
  const condition = (guidance: number): Condition => ({ label: 0, guidance, interval: [0, 1] });

  test('class 0 alone (w = 1): every sample lands nearest mode 0', async () => {
    const x = await samples(condition(1));
    let away = 0;
    for (let i = 0; i < N; i++) {
      const d = mixture.components.map((k) =>
        Math.hypot(x[2 * i]! - k.mean[0], x[2 * i + 1]! - k.mean[1]),
      );
      if (d.indexOf(Math.min(...d)) !== 0) away++;
    }
    expect(away).toBe(0);
  });

  test('w = 0 is the unconditional run, bit for bit', async () => {
    const guided = await samples(condition(0));
    expect(guided).toEqual(await samples());
  });

  test('w = 3 moves and narrows mode 0 as the float64 guided ODE does', async () => {
    const gpu = await samples(condition(3));
    const cpu = float64Samples(20_000, 0, 3);
    const z = zFor(3);
    const [gx, gy] = [moments(gpu, 0), moments(gpu, 1)];
    const [cx, cy] = [moments(cpu, 0), moments(cpu, 1)];
    const model = 'two independent estimates, their standard errors from their own moments';
    within(Math.abs(gx.mean - cx.mean), z * Math.sqrt(gx.meanVar + cx.meanVar), `mean x: ${model}`);
    within(Math.abs(gx.sd - cx.sd), z * Math.sqrt(gx.sdVar + cx.sdVar), `radial sd: ${model}`);
    within(Math.abs(gy.sd - cy.sd), z * Math.sqrt(gy.sdVar + cy.sdVar), `tangential sd: ${model}`);
    // The prediction is not w = 1's: guidance moved the mode out and narrowed it.
    expect(cx.mean).toBeGreaterThan(1.25);
    expect(cy.sd).toBeLessThan(0.03);
  });
});
