/**
 * Image metrics (src/sim/observe/imageMetrics.ts: shaders/observe/obs_image_summary.wgsl,
 * obs_image_knn.wgsl, then the point reductions) and the model error on images (perturb.wgsl with
 * a bias along a unit vector of R^d) on real WebGPU, against float64 on fresh random batches.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  imageKlEntropy,
  imageKnnLogDistances,
  imageSummary,
} from '../../src/maths/imageObservables';
import { particleObservables } from '../../src/maths/observables';
import { Rng } from '../../src/maths/rng';
import * as ref from '../../src/maths/steps';
import { ImageMetrics } from '../../src/sim/observe/imageMetrics';
import type { MetricsSample } from '../../src/sim/observe/metrics';
import { stepParams } from '../../src/sim/run/stepTable';
import { gpuErrors, runKernel, testGpu, worstElement, uploadInput } from './harness';
import { observablesTolerance } from './reductionErrors';
import { SAMPLER_MODEL, samplerBounds } from './samplerBounds';
import { EPS32, SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 83);
const u = EPS32;
const RADIUS = 60;
const K = 4;

let device: GPUDevice;
let metrics: ImageMetrics;
const buffers: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  metrics = await ImageMetrics.create(device, shaderSources, { k: K, radius: RADIUS });
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

afterAll(() => {
  metrics.destroy();
  for (const b of buffers) b.destroy();
});

const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => uploadInput(device, data, buffers);

/** WGSL's log in float32: absolute 2^-21 for arguments in [0.5, 2], else 3 ulp of the result. */
function logError(logArgument: number): number {
  if (Math.abs(logArgument) <= Math.LN2) return 2 ** -21;
  return 3 * 2 ** (Math.floor(Math.log2(Math.abs(logArgument))) - 23);
}

/**
 * A batch of n images of d coordinates around a few random centres (so neighbours are near and
 * far), energies, velocities, accept flags and per-pair heat; image 1 has a NaN, image 2 is
 * beyond the radius (|x| ~ 10 x 28 > 60, the others ~ 28 well within).
 */
function batch(n: number, d: number) {
  const centres = Array.from({ length: 4 }, () =>
    Float64Array.from({ length: d }, () => rng.normal()),
  );
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(4)]!;
    const s = 0.2 + rng.uniform();
    for (let j = 0; j < d; j++) x[i * d + j] = (c[j]! + s * rng.normal()) / Math.SQRT2;
  }
  x[1 * d + rng.int(d)] = NaN;
  for (let j = 0; j < d; j++) x[2 * d + j] = 10 * x[2 * d + j]!;
  const f = (count: number, draw: () => number) => Float32Array.from({ length: count }, draw);
  const energy = f(n, () => 900 + 30 * rng.normal());
  const v = f(n * d, () => 0.7 * rng.normal());
  const accept = f(n, () => (rng.uniform() < 0.4 ? 1 : 0));
  const heat = f((n * d) / 2, () => 0.01 * rng.normal() + 0.002);
  return { x, energy, v, accept, heat };
}

describe(`image metrics (SEED=${seed})`, () => {
  test('every value against float64 in d = 784: summary, reductions and k-NN entropy in R^d', async () => {
    const n = 48 + rng.int(32);
    const d = 784;
    const b = batch(n, d);
    const encoder = device.createCommandEncoder();
    metrics.encode(encoder, {
      x: upload(b.x),
      energy: upload(b.energy),
      v: upload(b.v),
      accept: upload(b.accept),
      heat: upload(b.heat),
      n,
      dim: d,
      temperature: 0.8,
    });
    device.queue.submit([encoder.finish()]);
    const got = (await metrics.read())!;
    const s = imageSummary(b.x, n, d, b.v, b.heat);
    const p = { x: s.x, energy: b.energy, v: s.v, accept: b.accept, heat: s.heat };
    const o = particleObservables(p, RADIUS);
    const t = observablesTolerance(p, RADIUS);
    expect([got.count, got.nonFinite, got.escaped]).toEqual([o.count, o.nonFinite, o.escaped]);
    expect([got.nonFinite, got.escaped]).toEqual([1, 1]);
    // The summary's own float32 sums, per counted image: |v|^2 (2 / d) is d fma roundings, the
    // scale's, the sqrt's and obs_reduce's square (d + 6 u relative); the heat is d / 2 - 1 adds.
    let v2Extra = 0;
    let heatExtra = 0;
    for (let i = 0; i < n; i++) {
      if (i === 1 || i === 2) continue;
      v2Extra += (d + 6) * u * s.v![2 * i]! ** 2;
      let abs = 0;
      for (let l = 0; l < d / 2; l++) abs += Math.abs(b.heat[(i * d) / 2 + l]!);
      heatExtra += (d / 2) * u * abs;
    }
    const ks = imageKnnLogDistances(b.x, n, d, K, RADIUS);
    const logs = Array.from(ks).filter((l) => !Number.isNaN(l));
    const sumAbs = logs.reduce((a, l) => a + Math.abs(l), 0);
    // log r_i: r^2 is d fma roundings of float32 differences ((d + 2) u relative), halved by the
    // log, plus log's own error; the sum pass's error at most (N - 1) u sum |log r_i|; all x d / N.
    const perTerm = logs.reduce((a, l) => a + 0.5 * (d + 2) * u * 1.01 + logError(2 * l) / 2, 0);
    const entropyTol = (d / logs.length) * (perTerm + logs.length * u * sumAbs);
    const want: Partial<Record<keyof MetricsSample, [number, number]>> = {
      energy: [o.meanEnergy, t.meanEnergy],
      energyVariance: [o.energyVariance, t.energyVariance],
      heatCapacity: [o.energyVariance / 0.64, t.energyVariance / 0.64],
      kineticTemperature: [o.kineticTemperature, t.kineticTemperature + v2Extra / (2 * o.count)],
      acceptance: [o.acceptance, 0],
      heat: [o.heat, t.heat + heatExtra / o.count],
      entropy: [imageKlEntropy(b.x, n, d, K, RADIUS), entropyTol],
    };
    for (const [key, [value, tol]] of Object.entries(want) as [keyof MetricsSample, number[]][])
      within(Math.abs(got[key] - value!), tol!, `${key}: float32 sums (error model above)`);
    expect(got.temperature).toBe(0.8);
  });

  test('colour size d = 3072 without the optional inputs: entropy against float64, their means NaN', async () => {
    const n = 16 + rng.int(16);
    const d = 3072;
    const b = batch(n, d);
    const encoder = device.createCommandEncoder();
    metrics.encode(encoder, { x: upload(b.x), n, dim: d });
    device.queue.submit([encoder.finish()]);
    const got = (await metrics.read())!;
    for (const key of ['energy', 'kineticTemperature', 'acceptance', 'heat'] as const)
      expect(got[key], key).toBeNaN();
    const logs = Array.from(imageKnnLogDistances(b.x, n, d, K, RADIUS)).filter(
      (l) => !Number.isNaN(l),
    );
    const sumAbs = logs.reduce((a, l) => a + Math.abs(l), 0);
    const perTerm = logs.reduce((a, l) => a + 0.5 * (d + 2) * u * 1.01 + logError(2 * l) / 2, 0);
    const tol = (d / logs.length) * (perTerm + logs.length * u * sumAbs);
    within(Math.abs(got.entropy - imageKlEntropy(b.x, n, d, K, RADIUS)), tol, 'entropy in R^3072');
  });
});

describe(`model error on images (SEED=${seed})`, () => {
  test('perturb in d = 784: (1 + scale) x0_hat + bias u + noise, u a unit vector of R^d', async () => {
    const n = 8;
    const d = 784;
    const level = { t: 0.5, alpha: 0.8, sigma: 0.6 };
    const error = { scale: 0.3 * rng.normal(), bias: 1 + rng.uniform(), noise: 0 };
    const p = stepParams(level, level, level, 3, {
      eta: 0,
      n,
      m: 1,
      k: 0,
      seed: rng.int(2 ** 32),
      error,
      dim: d,
    });
    const st = ref.cpuState(n, d);
    st.x0hat.set(Float64Array.from({ length: n * d }, () => rng.normal()));
    const gpu = await runKernel('perturb', p, { x0hat: st.x0hat });
    // The bias direction the table's scaled bias makes: unit length in R^d.
    const direction = Float64Array.from(
      { length: d },
      (_, k) => (p.error_bias / error.bias) * ref.BIAS_DIRECTION[k % 2]!,
    );
    expect(Math.hypot(...direction)).toBeCloseTo(1, 12);
    const want = st.x0hat.map((v, k) => (1 + error.scale) * v + error.bias * direction[k % d]!);
    const bounds = samplerBounds('perturb', p, st);
    const { error: worst, tolerance } = worstElement(gpu.x0hat, want, bounds.x0hat!);
    within(worst, tolerance, SAMPLER_MODEL);
  });
});
