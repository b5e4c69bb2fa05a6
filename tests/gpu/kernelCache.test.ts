/**
 * The device's kernel cache (src/gpu/compile.ts) and the readback pool (src/gpu/readback.ts) on
 * real WebGPU: one compilation per kernel and device, shared by every asker (a second device
 * compiles its own); a Simulation compiles only the kernels its run dispatches; readbacks return
 * fresh random bytes exactly, and reads in flight at once each get their own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { createBuffer } from '../../src/gpu/buffers';
import { compileKernel, kernelCompiles } from '../../src/gpu/compile';
import { shaderSources } from '../../src/gpu/shaderSources';
import { readback, StagingPool } from '../../src/gpu/readback';
import { generateDataset } from '../../src/maths/datasets';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import { Rng } from '../../src/maths/rng';
import { Metrics } from '../../src/sim/observe/metrics';
import { runKernels } from '../../src/sim/run/kernels';
import { planOf } from '../../src/sim/run/cursor';
import { type RunSpec } from '../../src/settings/runSpec';
import { Simulation } from '../../src/sim/run/simulation';
import { gpuErrors, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 91);

let device: GPUDevice;
/** Devices of this file's own, so that no other test's compilations are counted. */
const own: Gpu[] = [];

async function freshDevice(): Promise<GPUDevice> {
  const gpu = await acquireGpu();
  own.push(gpu);
  return gpu.device;
}

beforeAll(async () => {
  device = (await testGpu()).device;
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

afterAll(() => {
  for (const gpu of own) gpu.release();
});

describe(`the kernel cache (SEED=${seed})`, () => {
  test('the same kernel on the same device compiles once; another device compiles its own', async () => {
    const a = await freshDevice();
    const b = await freshDevice();
    expect(kernelCompiles(a)).toBe(0);
    // Asked for concurrently and after: one compilation, one pipeline.
    const [k1, k2] = await Promise.all([
      compileKernel(a, shaderSources, 'run/ddim', { dynamic: ['step'] }),
      compileKernel(a, shaderSources, 'run/ddim', { dynamic: ['step'] }),
    ]);
    const k3 = await compileKernel(a, shaderSources, 'run/ddim', { dynamic: ['step'] });
    expect(k1).toBe(k2);
    expect(k3.pipeline).toBe(k1.pipeline);
    expect(kernelCompiles(a)).toBe(1);
    // Other options are another kernel.
    const wide = await compileKernel(a, shaderSources, 'run/ddim', {
      dynamic: ['step'],
      workgroupSize: 128,
    });
    expect(wide.pipeline).not.toBe(k1.pipeline);
    expect(wide.workgroupSize).toBe(128);
    expect(kernelCompiles(a)).toBe(2);
    // Another device: compiled anew, its own pipeline.
    const kb = await compileKernel(b, shaderSources, 'run/ddim', { dynamic: ['step'] });
    expect(kb.pipeline).not.toBe(k1.pipeline);
    expect(kernelCompiles(b)).toBe(1);
    expect(kernelCompiles(a)).toBe(2);
  });

  test('a Simulation compiles only what its run dispatches, and a second one on the device nothing', async () => {
    const d = await freshDevice();
    const dataset = generateDataset('gaussians8', 512, seed);
    const spec: RunSpec = {
      mode: 'reverse',
      sampler: 'ddim',
      denoiser: 'exact',
      levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, 10),
      eta: 0,
      seed,
    };
    const sims = await Promise.all([
      Simulation.create(d, shaderSources),
      Simulation.create(d, shaderSources),
    ]);
    expect(kernelCompiles(d)).toBe(0);
    const [first, second] = sims;
    for (const sim of sims) {
      sim.setData(dataset);
      sim.setParticles(256);
    }
    expect(() => first.setRun(spec)).toThrow(/prepare/);
    await first.prepare(spec);
    // ddim with the exact denoiser of a mixture: the prior, the denoiser and the sampler, and
    // the path kernels every run has (its straightness).
    const ids = runKernels(spec, planOf(spec), { dim: 2, mixture: true });
    expect(ids.sort()).toEqual(['ddim', 'denoise_mixture', 'path_start', 'path_step', 'prior']);
    expect(kernelCompiles(d)).toBe(5);
    first.setRun(spec);
    await second.prepare(spec);
    second.setRun(spec);
    expect(kernelCompiles(d)).toBe(5);
    // Another sampler adds its own kernels only.
    const heun = { ...spec, sampler: 'heun' as const };
    await second.prepare(heun);
    const added = runKernels(heun, planOf(heun), { dim: 2, mixture: true }).filter(
      (id) => !ids.includes(id),
    );
    expect(added).toContain('heun_predict');
    expect(added).toContain('heun_correct');
    expect(kernelCompiles(d)).toBe(5 + added.length);
    // Both runs step on the shared pipelines: the same seed, the same end points.
    const encoder = d.createCommandEncoder();
    for (const sim of sims) {
      sim.reset(encoder);
      sim.encodeSteps(encoder, 10);
    }
    d.queue.submit([encoder.finish()]);
    const [x1, x2] = await Promise.all(sims.map((s) => s.positions()));
    expect(Array.from(x2!)).toEqual(Array.from(x1!));
    for (const sim of sims) sim.destroy();
  });

  test('metrics compile nothing until prepared, then only what is asked', async () => {
    const d = await freshDevice();
    const metrics = Metrics.create(d, shaderSources, { entropy: { points: 256 }, marginals: {} });
    expect(kernelCompiles(d)).toBe(0);
    await metrics.prepare({ entropy: false, marginals: false });
    expect(kernelCompiles(d)).toBe(2); // obs_reduce, obs_combine
    await metrics.prepare({ entropy: true, marginals: false });
    expect(kernelCompiles(d)).toBe(4); // obs_knn, obs_knn_sum
    await Metrics.create(d, shaderSources, { entropy: { points: 256 } }).prepare();
    expect(kernelCompiles(d)).toBe(4);
    metrics.destroy();
  });
});

describe(`readback (SEED=${seed})`, () => {
  test('round-trips random bytes exactly, whole and in ranges', async () => {
    const words = 1 + rng.int(5000);
    const data = Uint32Array.from({ length: words }, () => rng.int(2 ** 32));
    const buffer = createBuffer(device, {
      label: 'random',
      size: 0,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      data,
    });
    expect(Array.from(new Uint32Array(await readback(device, buffer)))).toEqual(Array.from(data));
    const from = rng.int(words);
    const count = 1 + rng.int(words - from);
    const part = new Uint32Array(await readback(device, buffer, 4 * count, 4 * from));
    expect(Array.from(part)).toEqual(Array.from(data.subarray(from, from + count)));
    buffer.destroy();
  });

  test('reads in flight at once each get the bytes of their own moment', async () => {
    const words = 64 + rng.int(256);
    const source = createBuffer(device, {
      label: 'changing',
      size: 4 * words,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const pool = new StagingPool(device, 'test', 4 * words);
    const reads = 8;
    const written = Array.from({ length: reads }, () =>
      Uint32Array.from({ length: words }, () => rng.int(2 ** 32)),
    );
    // Each read is queued after its write and before the next: all are pending together.
    const pending = written.map((data) => {
      device.queue.writeBuffer(source, 0, data);
      return pool.read(source, (bytes) => new Uint32Array(bytes.slice(0)));
    });
    const got = await Promise.all(pending);
    got.forEach((g, i) => expect(Array.from(g), `read ${i}`).toEqual(Array.from(written[i]!)));
    // Two sources read as one, in order.
    const other = createBuffer(device, {
      label: 'other',
      size: 0,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      data: written[0]!,
    });
    const both = new StagingPool(device, 'both', 8 * words);
    const joined = await both.read([other, source], (bytes) => new Uint32Array(bytes.slice(0)));
    expect(Array.from(joined)).toEqual([...written[0]!, ...written[reads - 1]!]);
    pool.destroy();
    both.destroy();
    await expect(pool.read(source, () => 0)).rejects.toThrow(/after destroy/);
    source.destroy();
    other.destroy();
  });
});
