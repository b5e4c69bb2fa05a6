/**
 * The sliced Wasserstein distance on the GPU (src/sim/distance/slicedWasserstein.ts) against the float64
 * slicedWasserstein2 of src/maths/stats.ts with the same directions, its exact properties (zero
 * to itself, |v| for a shift by v), and the sort kernel against a CPU sort, on fresh random
 * clouds each run (the seed is in the test names, to replay a failure).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { shaderSources } from '../../src/gpu/shaderSources';
import { Rng } from '../../src/maths/rng';
import { slicedWasserstein2 } from '../../src/maths/stats';
import {
  referenceSample,
  sliceDirections,
  SlicedWasserstein,
} from '../../src/sim/distance/slicedWasserstein';
import { gpuErrors, testGpu } from './harness';
import { cpuSorted, keyErrors, swTolerance } from './swErrors';
import { EPS32, SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 77);

let device: GPUDevice;
const buffers: GPUBuffer[] = [];
const instances = new Map<string, Promise<SlicedWasserstein>>();

beforeAll(async () => {
  device = (await testGpu()).device;
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

afterAll(async () => {
  for (const b of buffers) b.destroy();
  for (const sw of instances.values()) (await sw).destroy();
});

/** One instance per (P, K), seeded from the run's seed. */
function instance(points: number, projections: number): Promise<SlicedWasserstein> {
  const key = `${points} ${projections}`;
  let sw = instances.get(key);
  if (!sw) {
    sw = SlicedWasserstein.create(device, shaderSources, {
      points,
      projections,
      seed: (seed + points + projections) >>> 0,
    });
    instances.set(key, sw);
  }
  return sw;
}

/** n points of an anisotropic, correlated Gaussian about a random centre. */
function gaussian(n: number): Float32Array<ArrayBuffer> {
  const [cx, cy] = [rng.normal(), rng.normal()];
  const [sx, sy, r] = [0.2 + rng.uniform(), 0.2 + rng.uniform(), rng.uniform() - 0.5];
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const u = rng.normal();
    const v = rng.normal();
    out[2 * i] = cx + sx * u;
    out[2 * i + 1] = cy + sy * (r * u + Math.sqrt(1 - r * r) * v);
  }
  return out;
}

/** n points of two well separated blobs: far from any Gaussian. */
function blobs(n: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const side = rng.uniform() < 0.3 ? -1 : 1;
    out[2 * i] = side * 1.5 + 0.1 * rng.normal();
    out[2 * i + 1] = 0.4 * rng.normal();
  }
  return out;
}

function positions(points: Float32Array<ArrayBuffer>): GPUBuffer {
  const b = createBuffer(device, {
    label: 'positions',
    size: 0,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    data: points,
  });
  buffers.push(b);
  return b;
}

describe(`sliced Wasserstein-2 on the GPU (SEED=${seed})`, () => {
  // At P = 1000 the Slicing fields (points, padded, projections) all differ: a layout that
  // differs between the three kernels shows here and in sw_sort's P = 1000.
  for (const [p, k, extra] of [
    [256, 64, 0],
    [1000, 16, 321],
    [4096, 64, 1500],
  ] as const) {
    test(`matches the float64 slicedWasserstein2, P = ${p}, K = ${k}, ${p + extra} data points`, async () => {
      const sw = await instance(p, k);
      const data = blobs(p + extra);
      const particles = gaussian(p + 37);
      sw.setReference(data);
      const gpu = await sw.measure(positions(particles));
      const reference = referenceSample(data, p, sw.seed);
      const cpu = slicedWasserstein2(particles.subarray(0, 2 * p), reference, k, sw.seed);
      const [a, b] = [cpuSorted(particles, sw), cpuSorted(reference, sw)];
      const d = a.map((x, i) => x - b[i]!);
      const dirs = sliceDirections(k, sw.seed);
      const ea = keyErrors(particles, p, dirs);
      // What the float32 directions change (SW32: with them, in float64), and the GPU's roundings.
      const sw32 = Math.sqrt((2 * d.reduce((s, x) => s + x * x, 0)) / (p * k));
      const tol =
        Math.abs(sw32 - cpu) + sw32 * swTolerance(d, p, ea, keyErrors(reference, p, dirs));
      within(Math.abs(gpu - cpu), tol, 'float32 projections and tree sums, Hoeffding');
    });
  }

  test('is zero from a cloud to itself', async () => {
    const sw = await instance(4096, 64);
    const cloud = gaussian(4096);
    sw.setReference(cloud);
    // The same kernels on the same points: equal projections, equal sorted rows, d = 0 exactly.
    expect(await sw.measure(positions(cloud))).toBe(0);
  });

  test('is |v| for a shift by v', async () => {
    const sw = await instance(4096, 64);
    const cloud = gaussian(4096);
    const v = [rng.normal(), rng.normal()] as const;
    const shifted = cloud.map((x, i) => x + v[i % 2]!);
    sw.setReference(cloud);
    const length = Math.hypot(...v);
    const gpu = await sw.measure(positions(shifted));
    // Exactly, each direction's sorted pairs differ by <v, theta_k>, and sum_k cos^2 = K / 2 (to
    // u with float32 directions, whose norms are 1 +- u); the shift rounds each key once more.
    const dirs = sliceDirections(64, sw.seed);
    const d = Float64Array.from({ length: 64 * 4096 }, (_, i) => {
      const k = Math.floor(i / 4096);
      return dirs[2 * k]! * v[0] + dirs[2 * k + 1]! * v[1];
    });
    const [ea, eb] = [keyErrors(shifted, 4096, dirs, 3), keyErrors(cloud, 4096, dirs)];
    const tol = length * (swTolerance(d, 4096, ea, eb) + EPS32);
    within(Math.abs(gpu - length), tol, 'float32 shift, projections and tree sums, Hoeffding');
  });

  test('reads may overlap, and each positions buffer keeps its own bindings', async () => {
    const sw = await instance(256, 64);
    sw.setReference(blobs(256));
    const near = positions(blobs(300));
    const far = positions(gaussian(300));
    const encoder = device.createCommandEncoder();
    sw.encode(encoder, near);
    device.queue.submit([encoder.finish()]);
    const first = await Promise.all([sw.read(), sw.read(), sw.read()]);
    expect(new Set(first).size).toBe(1);
    const [a, b, c] = await Promise.all([sw.measure(far), sw.measure(near), sw.measure(far)]);
    expect(b).toBe(first[0]);
    expect(a).toBe(c);
    expect(a).not.toBe(b);
  });

  test('rejects what it cannot measure', async () => {
    await expect(
      SlicedWasserstein.create(device, shaderSources, { points: 4097 }),
    ).rejects.toThrow();
    await expect(
      SlicedWasserstein.create(device, shaderSources, { points: 256, projections: 1 }),
    ).rejects.toThrow();
    const sw = await instance(256, 64);
    expect(() => sw.setReference(new Float32Array(2 * 255))).toThrow(/at least 256/);
    expect(() => sw.measure(positions(new Float32Array(2 * 255)))).toThrow(/fewer than 256/);
  });
});

describe(`sw_sort (SEED=${seed})`, () => {
  for (const p of [64, 256, 1000, 4096]) {
    test(`sorts every direction's projections, P = ${p}`, async () => {
      const sw = await instance(p, 64);
      const data = gaussian(p);
      const particles = blobs(p);
      sw.setReference(data);
      await sw.measure(positions(particles));
      for (const [which, cloud] of [
        ['particles', particles],
        ['reference', data],
      ] as const) {
        const gpu = await sw.sortedProjections(which);
        const cpu = cpuSorted(cloud, sw);
        const bound = keyErrors(cloud, p, sliceDirections(sw.projections, sw.seed));
        let ascending = true;
        for (let k = 0; k < sw.projections; k++) {
          let diff = 0;
          for (let i = k * p; i < (k + 1) * p; i++) {
            if (i > k * p && gpu[i]! < gpu[i - 1]!) ascending = false;
            diff = Math.max(diff, Math.abs(gpu[i]! - cpu[i]!));
          }
          // Sorted keys are off by no more than the keys (sorting is 1-Lipschitz in max norm).
          within(diff, bound[k]!, `${which}, direction ${k}: float32 dot product, 2 roundings`);
        }
        expect(ascending).toBe(true);
      }
    });
  }
});
