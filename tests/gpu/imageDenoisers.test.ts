/**
 * The image kernels on real WebGPU against their float64 references (src/maths/imageDenoisers.ts),
 * fresh random inputs each run (seed in the names): the empirical denoiser (plain and smoothed)
 * with n not a multiple of the rows per workgroup and M not a multiple of the training tile, at
 * levels from a broad softmax to a peaked one; the Gaussian-model denoiser and its packed layout;
 * nearest training images. d = 784 and 3072.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createBuffer, readback } from '../../src/gpu/buffers';
import { bindKernel, createKernel, kernelSource, type Kernel } from '../../src/gpu/kernel';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  fitGaussianModel,
  packGaussianModel,
  type GaussianModel,
} from '../../src/maths/gaussianModel';
import {
  denoiseImagesEmpirical,
  denoiseImagesGaussian,
  nearestImages,
} from '../../src/maths/imageDenoisers';
import { Rng } from '../../src/maths/rng';
import {
  IMAGE_KERNELS,
  IMAGE_WORKGROUP_SIZE,
  NEAREST_BYTES,
  imageWorkgroups,
  type ImageKernelId,
} from '../../src/sim/imageKernels';
import { StepWriter, stepParams } from '../../src/sim/stepTable';
import { gpuErrors, relativeError, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 78);
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

const kernels = new Map<ImageKernelId, Promise<Kernel>>();

function imageKernel(id: ImageKernelId): Promise<Kernel> {
  let k = kernels.get(id);
  if (!k) {
    k = testGpu().then(({ device }) =>
      createKernel(device, {
        label: IMAGE_KERNELS[id],
        code: kernelSource(shaderSources, IMAGE_KERNELS[id]),
        workgroupSize: IMAGE_WORKGROUP_SIZE,
        dynamic: ['step'],
      }),
    );
    kernels.set(id, k);
  }
  return k;
}

interface Run {
  n: number;
  m: number;
  d: number;
  alpha: number;
  sigma: number;
  smoothing?: number;
  draws?: number;
  rank?: number;
  evaluation?: number;
}

/** One dispatch of an image kernel; returns every buffer it was given, read back. */
async function run(
  id: ImageKernelId,
  r: Run,
  inputs: Record<string, Float32Array<ArrayBuffer>>,
): Promise<Record<string, ArrayBuffer>> {
  const { device } = await testGpu();
  const k = await imageKernel(id);
  const struct = k.definitions.structs.Step!;
  const level = { t: 0.5, alpha: r.alpha, sigma: r.sigma };
  const constants = {
    eta: 0,
    n: r.n,
    m: r.m,
    k: 0,
    seed,
    dim: r.d,
    smoothing: r.smoothing ?? 0,
    draws: r.draws ?? 1,
    rank: r.rank ?? 0,
  };
  const p = stepParams(level, level, level, 0, constants, null, r.evaluation ?? 0);
  const step = createBuffer(device, {
    label: 'step',
    size: 0,
    usage: GPUBufferUsage.UNIFORM,
    data: new Uint8Array(new StepWriter(struct, struct.size).pack([p])),
  });
  const buffers = Object.fromEntries(
    Object.entries(inputs).map(([name, data]) => [
      name,
      createBuffer(device, { label: name, size: 0, usage: USAGE, data }),
    ]),
  );
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, bindKernel(device, k, { ...buffers, step }), [0]);
  pass.dispatchWorkgroups(imageWorkgroups(id, r.n, r.draws ?? 1));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const out: Record<string, ArrayBuffer> = {};
  for (const [name, b] of Object.entries(buffers)) out[name] = await readback(device, b);
  for (const b of [step, ...Object.values(buffers)]) b.destroy();
  return out;
}

/** Random images with coordinates in [-1, 1]. */
function images(count: number, d: number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: count * d }, () => 2 * rng.uniform() - 1);
}

/** Queries x = alpha y + sigma eps: even ones from training images, odd ones from fresh images. */
function queries(
  n: number,
  data: Float32Array,
  m: number,
  d: number,
  alpha: number,
  sigma: number,
): Float32Array<ArrayBuffer> {
  const fresh = images(n, d);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const j = rng.int(m);
    for (let c = 0; c < d; c++) {
      const y = i % 2 ? fresh[i * d + c]! : data[j * d + c]!;
      x[i * d + c] = alpha * y + sigma * rng.normal();
    }
  }
  return x;
}

function f32(a: ArrayBuffer): Float32Array {
  return new Float32Array(a);
}

// (d, n, m): n not a multiple of 8 rows, m not a multiple of the 128-image tile.
const SHAPES = [
  { d: 784, n: 13, m: 301 },
  { d: 3072, n: 9, m: 203 },
] as const;
// From a broad softmax (sigma comparable to the distances between images) to a peaked one.
const LEVELS = [
  { alpha: 0.9, sigma: 12 },
  { alpha: 0.6, sigma: 3 },
  { alpha: 1, sigma: 0.3 },
  { alpha: 0.8, sigma: 0.02 },
] as const;

describe(`denoise_image_empirical (SEED=${seed})`, () => {
  for (const { d, n, m } of SHAPES)
    for (const { alpha, sigma } of LEVELS)
      test(`d ${d}, n ${n}, M ${m}, alpha ${alpha}, sigma ${sigma}`, async () => {
        const data = images(m, d);
        const x = queries(n, data, m, d, alpha, sigma);
        const out = await run(
          'empirical',
          { n, m, d, alpha, sigma },
          {
            x,
            data,
            x0hat: new Float32Array(n * d),
            energy: new Float32Array(n),
          },
        );
        const cpu = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma);
        expect(relativeError(f32(out.x0hat!), cpu.x0hat)).toBeLessThan(1e-4);
        expect(relativeError(f32(out.energy!), cpu.energy)).toBeLessThan(1e-5);
      });

  for (const { d, n, m } of SHAPES)
    for (const draws of [1, 2, 4])
      test(`smoothed: d ${d}, draws ${draws}`, async () => {
        const data = images(m, d);
        const alpha = 0.7;
        const sigma = 2 + 4 * rng.uniform();
        const smoothing = 0.2 + 0.5 * rng.uniform();
        const evaluation = rng.int(1000);
        const x = queries(n, data, m, d, alpha, sigma);
        const out = await run(
          'empirical',
          { n, m, d, alpha, sigma, smoothing, draws, evaluation },
          { x, data, x0hat: new Float32Array(n * d), energy: new Float32Array(n) },
        );
        const opts = { smoothing, draws, seed, evaluation };
        const cpu = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma, opts);
        expect(relativeError(f32(out.x0hat!), cpu.x0hat)).toBeLessThan(1e-4);
        expect(relativeError(f32(out.energy!), cpu.energy)).toBeLessThan(1e-5);
        // The noise matters: the plain denoiser is measurably elsewhere.
        const plain = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma);
        expect(relativeError(plain.x0hat, cpu.x0hat)).toBeGreaterThan(1e-3);
      });
});

/** The model as float32 holds it, so that the reference sees the kernel's very numbers. */
function rounded(model: GaussianModel): GaussianModel {
  const r = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
  return {
    mean: r(model.mean),
    lambda: r(model.lambda),
    lambda0: Math.fround(model.lambda0),
    basis: r(model.basis),
  };
}

describe(`denoise_image_gaussian (SEED=${seed})`, () => {
  // Ranks with and without padding after lambda0 (d + r + 1 a multiple of 4 or not), and 0.
  const CASES = [
    { d: 784, rank: 0 },
    { d: 784, rank: 3 },
    { d: 784, rank: 5 },
    { d: 3072, rank: 12 },
  ] as const;
  for (const { d, rank } of CASES)
    test(`d ${d}, rank ${rank}`, async () => {
      const m = 200;
      const n = 5;
      const data = images(m, d);
      // Planted structure so that lambda differs from lambda0: a few strong directions.
      for (let i = 0; i < m; i++)
        for (let q = 0; q < 4; q++) {
          const a = 2 * rng.normal();
          for (let c = 0; c < d; c++) data[i * d + c]! += (a * Math.cos((q + 1) * c * 0.01)) / 2;
        }
      const model = rounded(fitGaussianModel(data, d, rank, seed));
      for (const { alpha, sigma } of [
        { alpha: 0.9, sigma: 0.3 },
        { alpha: 0.4, sigma: 1.5 },
        { alpha: 1, sigma: 0.02 },
      ]) {
        const x = queries(n, data, m, d, alpha, sigma);
        const out = await run(
          'gaussian',
          { n, m, d, alpha, sigma, rank },
          {
            x,
            gauss: packGaussianModel(model),
            x0hat: new Float32Array(n * d),
            energy: new Float32Array(n),
          },
        );
        const cpu = denoiseImagesGaussian(x, n, model, d, alpha, sigma);
        expect(relativeError(f32(out.x0hat!), cpu.x0hat)).toBeLessThan(1e-5);
        expect(relativeError(f32(out.energy!), cpu.energy)).toBeLessThan(1e-5);
      }
    });
});

describe(`image_nearest (SEED=${seed})`, () => {
  for (const { d, n, m } of SHAPES)
    test(`d ${d}, n ${n}, M ${m}`, async () => {
      const data = images(m, d);
      // Near copies (small and larger perturbations) and fresh images.
      const q = queries(n, data, m, d, 1, 0.05);
      for (let i = 0; i < n; i += 4) for (let c = 0; c < d; c++) q[i * d + c]! *= 1.3;
      const out = await run(
        'nearest',
        { n, m, d, alpha: 1, sigma: 1 },
        {
          x0hat: q,
          data,
          nearest: new Float32Array((n * NEAREST_BYTES) / 4),
        },
      );
      const gpu = f32(out.nearest!);
      const index = new Uint32Array(out.nearest!);
      const cpu = nearestImages(q, n, data, m, d);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(gpu[4 * i]! - cpu.d1[i]!)).toBeLessThan(1e-5 * cpu.d1[i]!);
        expect(Math.abs(gpu[4 * i + 1]! - cpu.d2[i]!)).toBeLessThan(1e-5 * cpu.d2[i]!);
        if (cpu.d2[i]! - cpu.d1[i]! > 1e-4 * cpu.d1[i]!)
          expect(index[4 * i + 2]).toBe(cpu.index[i]);
      }
    });
});
