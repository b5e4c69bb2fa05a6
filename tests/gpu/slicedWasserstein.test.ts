/**
 * The sliced Wasserstein distance on the GPU (src/sim/slicedWasserstein.ts) against the float64
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
} from '../../src/sim/slicedWasserstein';
import { gpuErrors, kernel, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 77);
const TOL = 1e-4;

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

/** Each direction's projections of the first P points, sorted, in float64. */
function cpuSorted(points: Float32Array, sw: SlicedWasserstein): Float64Array {
  const dirs = sliceDirections(sw.projections, sw.seed);
  const p = sw.points;
  const out = new Float64Array(p * sw.projections);
  for (let k = 0; k < sw.projections; k++) {
    const row = out.subarray(k * p, (k + 1) * p);
    for (let i = 0; i < p; i++)
      row[i] = dirs[2 * k]! * points[2 * i]! + dirs[2 * k + 1]! * points[2 * i + 1]!;
    row.sort();
  }
  return out;
}

describe(`sliced Wasserstein-2 on the GPU (SEED=${seed})`, () => {
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
      const cpu = slicedWasserstein2(
        particles.subarray(0, 2 * p),
        referenceSample(data, p, sw.seed),
        k,
        sw.seed,
      );
      expect(Math.abs(gpu - cpu) / cpu).toBeLessThan(TOL);
    });
  }

  test('is zero from a cloud to itself', async () => {
    const sw = await instance(4096, 64);
    const cloud = gaussian(4096);
    sw.setReference(cloud);
    expect(await sw.measure(positions(cloud))).toBeLessThanOrEqual(1e-6);
  });

  test('is |v| for a shift by v', async () => {
    const sw = await instance(4096, 64);
    const cloud = gaussian(4096);
    const v = [rng.normal(), rng.normal()] as const;
    const shifted = cloud.map((x, i) => x + v[i % 2]!);
    sw.setReference(cloud);
    const length = Math.hypot(...v);
    expect(Math.abs((await sw.measure(positions(shifted))) - length) / length).toBeLessThan(1e-5);
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
        let ascending = true;
        let diff = 0;
        let scale = 0;
        for (let i = 0; i < gpu.length; i++) {
          if (i % p !== 0 && gpu[i]! < gpu[i - 1]!) ascending = false;
          diff = Math.max(diff, Math.abs(gpu[i]! - cpu[i]!));
          scale = Math.max(scale, Math.abs(cpu[i]!));
        }
        expect(ascending).toBe(true);
        expect(diff / scale).toBeLessThan(1e-6);
      }
    });
  }

  test('the three kernels declare the same Slicing layout', async () => {
    const layouts = await Promise.all(
      ['sw_project', 'sw_sort', 'sw_reduce'].map(async (name) =>
        JSON.stringify((await kernel(name)).definitions.structs.Slicing),
      ),
    );
    expect(layouts[0]).toBeDefined();
    expect(new Set(layouts).size).toBe(1);
  });
});
