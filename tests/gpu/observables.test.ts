/**
 * The observables' kernels on real WebGPU (src/sim/observe/observables.ts, histograms.ts, entropy.ts) against
 * their float64 references in src/maths/observables.ts, on fresh random particles each run (the
 * seed is in the test names, to replay a failure): the tree reductions with non-finite and
 * escaped particles and a large energy offset, the marginal histograms count for count, and the
 * Kozachenko-Leonenko entropy against the CPU k-NN on the same subsample and the Gaussian's own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  gaussianEntropy,
  klEntropy,
  marginalHistograms,
  particleObservables,
  type ObservableValues,
} from '../../src/maths/observables';
import { Rng } from '../../src/maths/rng';
import { compileKernel } from '../../src/gpu/compile';
import { KnnEntropy } from '../../src/sim/observe/entropy';
import { MarginalHistograms } from '../../src/sim/observe/histograms';
import { Observables, requireStruct } from '../../src/sim/observe/observables';
import { gpuErrors, testGpu, uploadInput } from './harness';
import {
  entropyTolerance,
  observablesTolerance,
  type ObservablesTolerance,
} from './reductionErrors';
import { SEED, within, zFor } from '../random';

const seed = SEED;
const rng = new Rng(seed, 78);
const RADIUS = 50;

let device: GPUDevice;
let observables: Observables;
const buffers: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  observables = await Observables.create(device, shaderSources, { radius: RADIUS });
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

afterAll(() => {
  observables.destroy();
  for (const b of buffers) b.destroy();
});

const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => uploadInput(device, data, buffers);

/** Each special (NaN, +-inf, a far but finite value) at least once, at random indices. */
function spoil(a: Float32Array, fraction: number, values: readonly number[]): void {
  const count = Math.max(values.length, Math.round(fraction * a.length));
  for (let i = 0; i < count; i++) a[rng.int(a.length)] = values[i % values.length]!;
}

interface Particles {
  x: Float32Array<ArrayBuffer>;
  energy: Float32Array<ArrayBuffer>;
  v?: Float32Array<ArrayBuffer>;
  accept?: Float32Array<ArrayBuffer>;
  heat?: Float32Array<ArrayBuffer>;
}

/** n particles, energies offset + N(0, s^2), a few non-finite values and escaped particles. */
function particles(n: number, offset: number, optional: boolean): Particles {
  const normals = (count: number, scale: number, shift = 0): Float32Array<ArrayBuffer> =>
    Float32Array.from({ length: count }, () => shift + scale * rng.normal());
  const p: Particles = { x: normals(2 * n, 3), energy: normals(n, 1 + rng.uniform(), offset) };
  if (optional) {
    p.v = normals(2 * n, 0.5 + rng.uniform());
    p.accept = Float32Array.from({ length: n }, () => (rng.uniform() < 0.6 ? 1 : 0));
    p.heat = normals(n, 2, rng.normal());
  }
  // A lone particle stays finite, so that the means have something to average.
  if (n === 1) return p;
  spoil(p.x, 0.003, [NaN, Infinity, -Infinity, 1e6, -3e4, 1e30]);
  spoil(p.energy, 0.001, [NaN, Infinity, -Infinity]);
  if (p.v) spoil(p.v, 0.001, [NaN, Infinity]);
  if (p.accept) spoil(p.accept, 0.001, [NaN]);
  if (p.heat) spoil(p.heat, 0.001, [-Infinity]);
  return p;
}

function expectClose(
  gpu: ObservableValues,
  cpu: ObservableValues,
  tol: ObservablesTolerance,
): void {
  expect(gpu.count).toBe(cpu.count);
  expect(gpu.nonFinite).toBe(cpu.nonFinite);
  expect(gpu.escaped).toBe(cpu.escaped);
  // Float32 sums of 0 and 1 are exact below 2^24, and both sides divide by the same count.
  expect(gpu.acceptance).toBe(cpu.acceptance);
  for (const key of ['meanEnergy', 'energyVariance', 'kineticTemperature', 'heat'] as const) {
    if (Number.isNaN(cpu[key])) expect(gpu[key], key).toBeNaN();
    // One particle: nothing is rounded (its energy is the pivot, its variance 0).
    else if (tol[key] === 0) expect(gpu[key], key).toBe(cpu[key]);
    else within(Math.abs(gpu[key] - cpu[key]), tol[key], `${key}: float32 reduction tree`);
  }
}

describe(`observables on the GPU (SEED=${seed})`, () => {
  test('Partial and Params are laid out alike in obs_reduce and obs_combine', async () => {
    const [reduce, combine] = await Promise.all([
      compileKernel(device, shaderSources, 'observe/obs_reduce', { workgroupSize: 256 }),
      compileKernel(device, shaderSources, 'observe/obs_combine', { workgroupSize: 256 }),
    ]);
    for (const name of ['Partial', 'Params'])
      expect(requireStruct(combine, name)).toEqual(requireStruct(reduce, name));
    const [knn, sum] = await Promise.all([
      compileKernel(device, shaderSources, 'observe/obs_knn', { workgroupSize: 64 }),
      compileKernel(device, shaderSources, 'observe/obs_knn_sum', { workgroupSize: 256 }),
    ]);
    expect(requireStruct(sum, 'Knn')).toEqual(requireStruct(knn, 'Knn'));
  });

  for (const [n, optional] of [
    [1, true],
    [1000, false],
    [300_001, true],
  ] as const) {
    test(`match the float64 reference, n = ${n}, ${optional ? 'with' : 'without'} v, accept, heat`, async () => {
      const p = particles(n, 10 * rng.normal(), optional);
      const gpu = await observables.measure({
        n,
        x: upload(p.x),
        energy: upload(p.energy),
        v: p.v && upload(p.v),
        accept: p.accept && upload(p.accept),
        heat: p.heat && upload(p.heat),
      });
      const cpu = particleObservables(p, RADIUS);
      if (n > 1) {
        expect(cpu.nonFinite).toBeGreaterThan(0);
        expect(cpu.escaped).toBeGreaterThan(0);
      }
      expectClose(gpu, cpu, observablesTolerance(p, RADIUS));
    });
  }

  test('Var(U) suffers no cancellation with <U> = 1e5 and std 1 to 2', async () => {
    const n = 100_000;
    const p = particles(n, 1e5, false);
    // The pivot, U of particle 0, finite: the sums keep 1e-7 of the spread (1e-4 without it).
    p.energy[0] = 1e5;
    const gpu = await observables.measure({ n, x: upload(p.x), energy: upload(p.energy) });
    const cpu = particleObservables(p, RADIUS);
    const tol = observablesTolerance(p, RADIUS);
    expectClose(gpu, cpu, tol);
    // What a one-pass float32 sum of U and U^2 would give: the test can tell the two apart.
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = p.energy[i]!;
      const r2 = p.x[2 * i]! ** 2 + p.x[2 * i + 1]! ** 2;
      if (!Number.isFinite(u) || !(r2 <= RADIUS * RADIUS)) continue;
      s1 = Math.fround(s1 + u);
      s2 = Math.fround(s2 + Math.fround(u * u));
    }
    const c = cpu.count;
    const naive = Math.fround(s2 / c) - Math.fround(s1 / c) ** 2;
    expect(Math.abs(naive - cpu.energyVariance)).toBeGreaterThan(tol.energyVariance);
  });
});

describe(`marginal histograms on the GPU (SEED=${seed})`, () => {
  for (const spec of [
    { bins: 64, x: [-3, 3], y: [-3, 3] },
    { bins: 37, x: [-1.3, 2.9], y: [-0.2, 0.45] },
    { bins: 1024, x: [-4, 4], y: [-2, 6] },
  ] as const) {
    test(`equal the CPU's counts, ${spec.bins} bins over [${spec.x.join(', ')}] x [${spec.y.join(', ')}]`, async () => {
      const h = await MarginalHistograms.create(device, shaderSources, spec);
      const n = 40_000 + rng.int(1000);
      const x = Float32Array.from({ length: 2 * n }, () => 1.5 * rng.normal());
      spoil(x, 0.002, [NaN, Infinity, -Infinity, 1e30]);
      // Some values on the bins' edges exactly as the kernel computes them.
      for (let i = 0; i < 200; i++) {
        const c = rng.int(2);
        const [lo, hi] = c === 0 ? spec.x : spec.y;
        x[2 * rng.int(n) + c] = lo + ((hi - lo) * rng.int(spec.bins + 1)) / spec.bins;
      }
      const gpu = await h.measure(upload(x), n);
      const cpu = marginalHistograms(x, spec);
      expect(Array.from(gpu.x)).toEqual(Array.from(cpu.x));
      expect(Array.from(gpu.y)).toEqual(Array.from(cpu.y));
      // Measured twice: the counts are cleared in between.
      const again = await h.measure(upload(x), n);
      expect(Array.from(again.x)).toEqual(Array.from(cpu.x));
      h.destroy();
    });
  }
});

describe(`Kozachenko-Leonenko entropy on the GPU (SEED=${seed})`, () => {
  test('equals the CPU k-NN on the same subsample and the entropy of N(0, Sigma)', async () => {
    const points = 1024;
    const k = 4;
    const knn = await KnnEntropy.create(device, shaderSources, { points, k, radius: RADIUS });
    const n = points + 500;
    const [sx, sy, r] = [0.2 + rng.uniform(), 0.2 + rng.uniform(), 1.6 * rng.uniform() - 0.8];
    const x = new Float32Array(2 * n);
    // Sum over the subsample of x' Sigma^-1 x = u^2 + v^2, for -log f(x) of N(0, Sigma).
    let q = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.normal();
      const v = rng.normal();
      x[2 * i] = sx * u;
      x[2 * i + 1] = sy * (r * u + Math.sqrt(1 - r * r) * v);
      if (i < points) q += u * u + v * v;
    }
    const gpu = await knn.measure(upload(x), n);
    const sub = x.subarray(0, 2 * points);
    const model = 'float32 distances and log, tree sum (tests/gpu/reductionErrors.ts)';
    within(Math.abs(gpu - klEntropy(sub, k, RADIUS)), entropyTolerance(sub, k, RADIUS), model);
    // Against the points' own -mean log f (f the density of N(0, Sigma)): H - 1 + q / 2P, which
    // takes their sampling noise out. CPU Monte Carlo over this family (300 draws a shape, round
    // to most elongated): the difference's bias is in [-0.031, -0.013] (2 s.e.), its s.d. <= 0.023.
    const own = gaussianEntropy([sx * sx, r * sx * sy, sy * sy]) - 1 + q / (2 * points);
    const spread = 0.009 + zFor(1) * 0.023;
    within(Math.abs(gpu - own + 0.022), spread, 'KL bias and s.d. at P = 1024, k = 4, normal');
    // Non-finite and escaped points, and coincident ones, in the subsample: left out alike.
    for (let i = 0; i < 40; i++) x[2 * rng.int(points) + rng.int(2)] = [NaN, Infinity, 1e4][i % 3]!;
    for (let i = 0; i < 20; i++) x.copyWithin(2 * rng.int(points), 2 * i, 2 * i + 2);
    const spoilt = await knn.measure(upload(x), n);
    within(Math.abs(spoilt - klEntropy(sub, k, RADIUS)), entropyTolerance(sub, k, RADIUS), model);
    // Fewer particles than P: all of them; k or fewer usable: NaN.
    const few = await knn.measure(upload(x.slice(0, 2 * 300)), 300);
    const first = x.subarray(0, 600);
    within(Math.abs(few - klEntropy(first, k, RADIUS)), entropyTolerance(first, k, RADIUS), model);
    expect(await knn.measure(upload(x.slice(0, 2 * k)), k)).toBeNaN();
    knn.destroy();
  });
});
