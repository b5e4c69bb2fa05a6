/**
 * The guidance sweep (src/sim/experiments/guidanceSweep.ts) on real WebGPU: gaussians8 (20,000
 * points, about 2,500 of class 0), the exact mixture denoiser, class 0, DDIM (eta 0), 2,048
 * particles.
 *
 * - Its rows are what they claim: each row's entropy and distance against the float64
 *   klEntropy and slicedWasserstein2 of the particles it returns (the float32 error models of
 *   tests/gpu/reductionErrors.ts and tests/gpu/swErrors.ts), and nearest, offData and overshoot
 *   recomputed here, naively, from the class's points.
 * - Physics, cosine, 20 steps: the entropy falls as w rises from 1 to 3. The float64 guided ODE
 *   (tests/gpu/guidedRuns.test.ts) narrows mode 0 from sds (0.053, 0.053) at w = 1 to (0.033,
 *   0.014) at w = 3: for a Gaussian that is log(0.053^2 / (0.033 * 0.014)) = 1.80 nats less
 *   entropy, against the estimator's s.d. of about 0.03 nats at this P (tests/gpu/observables).
 *   So w = 2 lies below w = 1 and w = 3 below w = 2, and w = 3 at least 1 nat below w = 1 (a
 *   margin of 0.8 nats for the mode's departure from a Gaussian). Mode 0 moves out from 1.20 to
 *   1.30 at w = 3: overshoot above 0.05, and the distance to the class's data above 5 floors.
 * - w = 1 lands near the floor. There the run is linear (the class's denoiser is that of one
 *   Gaussian, N(mu_0, 0.08^2 I)), so its output is exactly N((1 + b) mu_0, s^2 I), s and b
 *   propagated through the steps here. Cosine's 20 steps narrow it to s = 0.053 (a distance of
 *   sqrt(2) 0.027 = 0.038 from the sampler alone, six floors); 1,000 steps give s = 0.0791, b =
 *   -2e-4, 1e-4 over the floor in quadrature. 100 Monte Carlo samples of that output, measured
 *   against the same reference in float64, give the distance's distribution: the GPU's one draw
 *   lies within zFor(2) s.d. of their mean, and their mean is the floor up to the bias and the
 *   spread of the two averages.
 *
 * Measured (SEED=1): at w = 1, 2, 3 the entropy is -3.09, -4.42, -5.06 nats (the class's data:
 * -2.23), the distance 0.040, 0.092, 0.125 (floor 0.0064), the overshoot -0.003, 0.059, 0.098,
 * none off the data (radius 0.021: w = 3 narrows the mode inside the data's spread; the share
 * rises at larger w). Cosine, 1,000 steps, w = 1: distance 0.0067, predicted 0.0070 +- 0.0011.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateDataset, type Mixture } from '../../src/maths/datasets';
import { DEFAULT_RADIUS, klEntropy } from '../../src/maths/observables';
import { Rng } from '../../src/maths/rng';
import { reverseLevels } from '../../src/maths/schedules';
import { slicedWasserstein2 } from '../../src/maths/stats';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import { applyPatch } from '../../src/settings/validate';
import {
  runGuidanceSweep,
  type GuidanceSweepResult,
} from '../../src/sim/experiments/guidanceSweep';
import { gpuErrors, testGpu } from './harness';
import { entropyTolerance } from './reductionErrors';
import { swReference } from './swErrors';
import { SEED, within, zFor } from '../random';

const M = 20_000;
const N = 2048;
const data = generateDataset('gaussians8', M, SEED);
const mixture = data.mixture as Mixture;

let device: GPUDevice;
let sweep: GuidanceSweepResult;

function settings(patch: Partial<Settings>): Settings {
  const base = { dataset: 'gaussians8', m: M, n: N, seed: SEED, class: 0, denoiser: 'exact' };
  const result = applyPatch(DEFAULTS, { ...base, sampler: 'ddim', eta: 0, ...patch });
  if (!result.ok) throw new Error(result.error);
  return result.settings;
}

beforeAll(async () => {
  device = (await testGpu()).device;
  const s = settings({ schedule: 'cosine', steps: 20 });
  sweep = await runGuidanceSweep(device, shaderSources, s, data, {
    ws: [1, 2, 3],
    particles: true,
  });
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

/** Class 0's stored points, as the test reads the labels. */
function ownPoints(): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < M; i++)
    if (data.labels![i] === 0) out.push([data.points[2 * i]!, data.points[2 * i + 1]!]);
  return out;
}

describe(`guidance sweep (SEED=${SEED})`, () => {
  test('each row is what it claims, against float64 from its own particles', () => {
    const own = ownPoints();
    expect(sweep.classPoints).toBe(own.length);
    expect(sweep.points).toBe(N);
    // Off the data: past the 99th percentile of the class's leave-one-out spacing.
    const spacing = own.map(([x, y], i) =>
      Math.min(...own.map(([u, v], j) => (i === j ? Infinity : Math.hypot(x! - u!, y! - v!)))),
    );
    spacing.sort((a, b) => a - b);
    const radius = spacing[Math.floor(0.99 * (spacing.length - 1))]!;
    expect(Math.abs(sweep.offRadius - radius)).toBeLessThanOrEqual(1e-12 * radius);
    const mean = (c: number[][]): number[] =>
      [0, 1].map((d) => c.reduce((s, p) => s + p[d]!, 0) / c.length);
    const all = Array.from({ length: M }, (_, i) => [data.points[2 * i]!, data.points[2 * i + 1]!]);
    const [mc, md] = [mean(own), mean(all)];
    const length = Math.hypot(mc[0]! - md[0]!, mc[1]! - md[1]!);
    const u = [(mc[0]! - md[0]!) / length, (mc[1]! - md[1]!) / length];
    const reference = sweep.reference!;
    for (const row of sweep.rows) {
      const x = row.particles!;
      expect(x.length).toBe(2 * N);
      const model = 'float32 distances and log, tree sum (tests/gpu/reductionErrors.ts)';
      const entropy = klEntropy(x, 4, DEFAULT_RADIUS);
      within(Math.abs(row.entropy - entropy), entropyTolerance(x, 4, DEFAULT_RADIUS), model);
      const { cpu, tolerance } = swReference(x, reference, { points: N, projections: 64, seed: 0 });
      within(Math.abs(row.distance - cpu), tolerance, 'float32 projections and tree sums');
      let near = 0;
      let off = 0;
      let along = 0;
      for (let i = 0; i < N; i++) {
        const [px, py] = [x[2 * i]!, x[2 * i + 1]!];
        const d = Math.min(...own.map(([a, b]) => Math.hypot(px - a!, py - b!)));
        near += d / N;
        if (d > radius) off++;
        along += ((px - mc[0]!) * u[0]! + (py - mc[1]!) * u[1]!) / N;
      }
      // Both in float64 from the same float32 inputs: hypot against sqrt of a sum, a few ulp.
      expect(Math.abs(row.nearest - near)).toBeLessThanOrEqual(1e-12 * near);
      expect(Math.abs(row.overshoot - along)).toBeLessThanOrEqual(1e-12);
      expect(row.offData).toBe(off / N);
    }
  });

  test('the entropy falls as w rises from 1 to 3; the mode moves out, away from the data', () => {
    const [w1, w2, w3] = sweep.rows as [
      (typeof sweep.rows)[0],
      (typeof sweep.rows)[0],
      (typeof sweep.rows)[0],
    ];
    expect([w1.w, w2.w, w3.w]).toEqual([1, 2, 3]);
    expect(w2.entropy).toBeLessThan(w1.entropy);
    expect(w3.entropy).toBeLessThan(w2.entropy);
    expect(w1.entropy - w3.entropy).toBeGreaterThan(1);
    expect(w3.overshoot).toBeGreaterThan(0.05);
    expect(sweep.floor).not.toBeNull();
    expect(w3.distance).toBeGreaterThan(5 * sweep.floor!);
  });

  test('w = 1 lands near the floor: the linear run predicted exactly, sampled', async () => {
    const s = settings({ schedule: 'cosine', steps: 1000 });
    const result = await runGuidanceSweep(device, shaderSources, s, data, {
      ws: [1],
      particles: true,
    });
    const gpu = result.rows[0]!.distance;
    // The run's output for N(mu, v I): each DDIM step maps the deviation e = x - alpha mu by f.
    const { mean: mu, cov } = mixture.components[0]!;
    const v = cov[0];
    const levels = reverseLevels('cosine', s, s.steps);
    let gain = 1;
    for (let i = 0; i + 1 < levels.length; i++) {
      const [a, b] = [levels[i]!, levels[i + 1]!];
      const g = (a.alpha * v) / (a.alpha * a.alpha * v + a.sigma * a.sigma);
      gain *= b.alpha * g + (b.sigma / a.sigma) * (1 - a.alpha * g);
    }
    const sd = levels[0]!.sigma * gain;
    const shift = -levels[0]!.alpha * gain;
    const rng = new Rng(SEED, 191);
    const draws = Array.from({ length: 100 }, () => {
      const x = Float64Array.from({ length: 2 * N }, (_, j) => {
        const m = mu[j % 2]!;
        return m + shift * m + sd * rng.normal();
      });
      return slicedWasserstein2(x, result.reference!, 64, 0);
    });
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const spread = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1));
    within(
      Math.abs(gpu - mean),
      zFor(2) * spread * Math.sqrt(1 + 1 / draws.length),
      'one draw of the predicted output against 100 (normal approximation)',
    );
    // Near the floor: the sampler's bias adds to it in quadrature; the floor (RMS of 8 draws) and
    // the mean of 100 each carry one draw's relative spread over their root counts.
    const floor = result.floor!;
    const bias = Math.hypot(floor, Math.SQRT2 * Math.abs(Math.sqrt(v) - sd), mu[0] * shift) - floor;
    const relative = spread / mean;
    within(
      Math.abs(mean - floor),
      bias + zFor(2) * floor * relative * Math.sqrt(1 / 8 + 1 / draws.length),
      'floor and Monte Carlo mean, each averaged over its draws, plus the bias in quadrature',
    );
  });
});
