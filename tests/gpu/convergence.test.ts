/**
 * Orders of convergence of the deterministic samplers on the exact mixture denoiser (gaussians8):
 * the distance of each particle's end point to that of a 1000-step Heun run from the same initial
 * noise falls as steps^-1 for Euler and DDIM with eta 0 (Karras et al. 2022, section 3: first
 * order) and as steps^-2 for Heun (Karras et al. 2022, Algorithm 1) and DPM-Solver++(2M) (Lu et
 * al. 2022, section 4: second order). The slope of log(error) against log(steps) is fitted by
 * least squares over 16, 32, 64 and 128 steps on the Karras grid (sigma 10 to 0.002, rho 7).
 *
 * The error is the median over particles of |x - x_ref|, the typical particle's error. Measured
 * (8 seeds, 2000 particles): the root mean square instead is dominated by the few particles that
 * still sit between two modes late in the run, where the reverse flow is unstable; they reach
 * the asymptotic regime only past about 256 steps (their errors fall 2.5 to 3.2 times per halving
 * of the step up to 512 steps for both second-order samplers), so the RMS slope over 16-128 steps
 * is -1.75 for DPM-Solver++(2M) and -2.0 for Heun while the median's is -2.3 and -2.2. Below 16
 * steps every sampler is pre-asymptotic (Heun's error falls 19 times from 4 to 8 steps and 7 times
 * from 8 to 16): a fit over 8-64 steps gives median slopes of -2.5 (Heun) and -2.65 (DPM). Euler's
 * slope is -1.05 either way. The reference's own error (Heun 1000 against 500 steps) is checked to
 * be far below the smallest error measured.
 *
 * The seed only chooses which particles are run: each slope is checked against its range widened
 * by zFor(1) of its bootstrap standard error over particles, so a sampler whose infinite-particle
 * slope lies in the range fails with probability at most FALSE_FAILURE_RATE.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateDataset, type Dataset } from '../../src/maths/datasets';
import { Rng } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import type { SamplerId } from '../../src/settings/settings';
import { Simulation } from '../../src/sim/run/simulation';
import { gpuErrors, testGpu, setRun } from './harness';
import { SEED, within, zFor } from '../random';

const seed = SEED;
const N = 2000;
const STEPS = [16, 32, 64, 128];
const REFERENCE_STEPS = 1000;

let sim: Simulation;
let device: GPUDevice;
let data: Dataset;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
  sim.setParticles(N);
  data = generateDataset('gaussians8', 64, seed);
  sim.setData(data);
});

afterAll(() => {
  sim.destroy();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

/** End points of a whole reverse run on the Karras grid; the initial noise depends on the seed only. */
async function endPoints(sampler: SamplerId, steps: number): Promise<Float32Array> {
  await setRun(sim, {
    mode: 'reverse',
    sampler,
    denoiser: 'exact',
    levels: reverseLevels('karras', DEFAULT_SCHEDULE_PARAMS, steps),
    eta: 0,
    seed,
  });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  sim.encodeSteps(encoder, sim.steps);
  device.queue.submit([encoder.finish()]);
  return sim.positions();
}

/** Per-particle distances |a - b|. */
function distances(a: Float32Array, b: Float32Array): Float64Array {
  return Float64Array.from({ length: a.length / 2 }, (_, i) =>
    Math.hypot(a[2 * i]! - b[2 * i]!, a[2 * i + 1]! - b[2 * i + 1]!),
  );
}

/** Median of d over the particles `pick` (all of them by default). */
function median(d: Float64Array, pick?: Uint32Array): number {
  const v = pick ? Float64Array.from(pick, (i) => d[i]!) : Float64Array.from(d);
  v.sort();
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2]! : 0.5 * (v[n / 2 - 1]! + v[n / 2]!);
}

const rms = (d: Float64Array): number => Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);

/** Least-squares slope of y against x. */
function slope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

/** The fitted slope of log median error against log steps. */
const fittedSlope = (errors: readonly Float64Array[], pick?: Uint32Array): number =>
  slope(
    STEPS.map(Math.log),
    errors.map((d) => Math.log(median(d, pick))),
  );

/**
 * Bootstrap standard error of fittedSlope over particles (Efron and Tibshirani 1993): the
 * particles are drawn with replacement, the same draw for every step count since the runs share
 * their initial noise. 200 resamples pin the standard error to about 5%.
 */
function slopeError(errors: readonly Float64Array[]): number {
  const rng = new Rng(seed, 4321);
  const resamples = 200;
  const slopes: number[] = [];
  const pick = new Uint32Array(N);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < N; i++) pick[i] = Math.min(N - 1, Math.floor(rng.uniform() * N));
    slopes.push(fittedSlope(errors, pick));
  }
  const mean = slopes.reduce((a, v) => a + v, 0) / resamples;
  return Math.sqrt(slopes.reduce((a, v) => a + (v - mean) ** 2, 0) / (resamples - 1));
}

/**
 * The order of each sampler and the range of its slope over 16-128 steps: the order, widened for
 * the pre-asymptotic terms measured above (Euler -1.05; Heun -2.2 and DPM-Solver++(2M) -2.3).
 */
const CASES: { sampler: SamplerId; label: string; range: [number, number] }[] = [
  { sampler: 'euler', label: 'euler', range: [-1.3, -0.7] },
  { sampler: 'ddim', label: 'ddim eta 0', range: [-1.3, -0.7] },
  { sampler: 'heun', label: 'heun', range: [-2.6, -1.6] },
  { sampler: 'dpmpp2m', label: 'dpmpp2m', range: [-2.6, -1.6] },
];

describe(`orders of convergence on the exact gaussians8 denoiser (SEED=${seed})`, () => {
  let reference: Float32Array;

  beforeAll(async () => {
    reference = await endPoints('heun', REFERENCE_STEPS);
  });

  for (const c of CASES) {
    test(`${c.label}: error slope in [${c.range.join(', ')}] over ${STEPS.join(', ')} steps`, async () => {
      const errors: Float64Array[] = [];
      for (const steps of STEPS)
        errors.push(distances(await endPoints(c.sampler, steps), reference));
      const fitted = fittedSlope(errors);
      const se = slopeError(errors);
      const rmsSlope = slope(
        STEPS.map(Math.log),
        errors.map((d) => Math.log(rms(d))),
      );
      console.log(
        `${c.label}: median |x - x_ref| ${errors.map((d) => median(d).toExponential(2)).join(', ')} ` +
          `(slope ${fitted.toFixed(2)} +- ${se.toFixed(3)}); RMS ${errors.map((d) => rms(d).toExponential(2)).join(', ')} ` +
          `(slope ${rmsSlope.toFixed(2)})`,
      );
      const [lo, hi] = c.range;
      within(
        Math.abs(fitted - (lo + hi) / 2),
        (hi - lo) / 2 + zFor(1) * se,
        `slope in [${lo}, ${hi}], widened by zFor(1) bootstrap standard errors`,
      );
    });
  }

  test('the reference is converged: Heun at 500 steps is within a tenth of the smallest error', async () => {
    // The smallest error above: Heun's at the most steps (DPM-Solver++(2M)'s is larger). At second
    // order Heun 500 is (128 / 500)^2 = 0.07 of it away from the exact flow, so about half the
    // tenth; the medians' sampling errors (a few % at 2000 particles) cannot double that.
    const last = STEPS[STEPS.length - 1]!;
    const smallest = median(distances(await endPoints('heun', last), reference));
    const half = distances(await endPoints('heun', REFERENCE_STEPS / 2), reference);
    console.log(
      `heun ${REFERENCE_STEPS / 2} vs ${REFERENCE_STEPS} steps: median ${median(half).toExponential(2)}, ` +
        `RMS ${rms(half).toExponential(2)}; heun ${last} steps: ${smallest.toExponential(2)}`,
    );
    within(
      median(half),
      0.1 * smallest,
      'a reference error under a tenth of the smallest bends each log error by under 0.1',
    );
  });
});
