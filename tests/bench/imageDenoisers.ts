/**
 * Benchmark cases of the image kernels (src/sim/run/imageKernels.ts): the empirical denoiser, plain
 * and smoothed, against M training images of d = 784; the Gaussian-model denoiser of rank 32; the
 * nearest training images. Rows count images per second (particle-steps) and image x training
 * image pairs per second (pairs; the smoothed denoiser's draws each count). Random images in
 * [-1, 1], seeded; their float64 references (src/maths/imageDenoisers.ts) on the CPU.
 */
import { createBuffer } from '../../src/gpu/buffers';
import { bindKernel, createKernel, kernelSource, type Kernel } from '../../src/gpu/kernel';
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
  imageWorkgroups,
  type ImageKernelId,
} from '../../src/sim/run/imageKernels';
import { StepWriter, stepParams } from '../../src/sim/run/stepTable';
import type { BenchCase, GpuContext } from './cases';
import type { Workload } from './timer';
import { NEAREST_RECORD_BYTES } from '../../src/maths/memorisation';

const SEED = 1;
const D = 784;
const RANK = 32;
/** Batches of images: the app's default (64) to its maximum (1024). */
export const IMAGE_SIZES = [64, 256, 1024] as const;
/** A level where the softmax over training images is neither flat nor one-hot. */
const LEVEL = { t: 0.5, alpha: 0.7, sigma: 0.7 };
const SMOOTHING = 0.1;

const kernels = new Map<string, Promise<Kernel>>();

function imageKernel(ctx: GpuContext, id: ImageKernelId): Promise<Kernel> {
  let k = kernels.get(id);
  if (!k) {
    k = createKernel(ctx.device, {
      label: IMAGE_KERNELS[id],
      code: kernelSource(ctx.sources, IMAGE_KERNELS[id]),
      workgroupSize: IMAGE_WORKGROUP_SIZE,
      dynamic: ['step'],
    });
    kernels.set(id, k);
  }
  return k;
}

function images(count: number, stream: number): Float32Array<ArrayBuffer> {
  const rng = new Rng(SEED, stream);
  return Float32Array.from({ length: count * D }, () => 2 * rng.uniform() - 1);
}

/** Training images and their Gaussian model, made on first use (--only may skip them). */
class Training {
  private images: Float32Array<ArrayBuffer> | null = null;
  private fitted: GaussianModel | null = null;
  constructor(readonly m: number) {}
  get data(): Float32Array<ArrayBuffer> {
    this.images ??= images(this.m, 201);
    return this.images;
  }
  get model(): GaussianModel {
    this.fitted ??= fitGaussianModel(this.data, D, RANK, SEED);
    return this.fitted;
  }
}

async function imageWorkload(
  ctx: GpuContext,
  id: ImageKernelId,
  n: number,
  training: Training,
  draws: number,
): Promise<Workload> {
  const { device } = ctx;
  const kernel = await imageKernel(ctx, id);
  const struct = kernel.definitions.structs.Step;
  if (!struct) throw new Error(`${id}: no Step struct`);
  const c = { eta: 0, n, m: training.m, k: 0, seed: SEED, dim: D, draws, rank: RANK };
  const p = stepParams(LEVEL, LEVEL, LEVEL, 0, { ...c, smoothing: draws > 1 ? SMOOTHING : 0 });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const queries = images(n, 202);
  const buffers = {
    step: createBuffer(device, {
      label: 'step',
      size: 0,
      usage: GPUBufferUsage.UNIFORM,
      data: new Uint8Array(new StepWriter(struct, struct.size).pack([p])),
    }),
    x: createBuffer(device, { label: 'x', size: 0, usage, data: queries }),
    x0hat: createBuffer(device, { label: 'x0hat', size: 0, usage, data: queries }),
    energy: createBuffer(device, { label: 'energy', size: 4 * n, usage }),
    data: createBuffer(device, { label: 'data', size: 0, usage, data: training.data }),
    nearest: createBuffer(device, { label: 'nearest', size: NEAREST_RECORD_BYTES * n, usage }),
    // The empirical denoiser's class labels (every class kept: ALL_LABELS in the step).
    labels: createBuffer(device, { label: 'labels', size: 4 * training.m, usage }),
    gaussianModel: createBuffer(device, {
      label: 'gaussianModel',
      size: 0,
      usage,
      data: id === 'gaussian' ? packGaussianModel(training.model) : new Float32Array(4),
    }),
  };
  const group = bindKernel(device, kernel, {
    ...buffers,
    step: { buffer: buffers.step, size: struct.size },
  });
  const groups = imageWorkgroups(id, n, draws);
  return {
    prepare: () => undefined,
    encode(encoder, steps) {
      const pass = encoder.beginComputePass({ label: id });
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, group, [0]);
      for (let s = 0; s < steps; s++) pass.dispatchWorkgroups(groups);
      pass.end();
    },
    destroy() {
      for (const b of Object.values(buffers)) b.destroy();
    },
  };
}

function imageCase(
  name: string,
  id: ImageKernelId,
  training: Training,
  draws: number,
  sizes: readonly number[],
): BenchCase {
  const perImage = id === 'gaussian' ? { m: null, k: RANK } : { m: training.m, k: null };
  return {
    name,
    ...perImage,
    // The smoothed denoiser compares each of its draws with every training image.
    denoises: id === 'nearest' ? 1 : draws,
    sizes,
    // One image pair costs d / 2 of the point-cloud pairs the CPU work budget counts.
    pairCost: D / 2,
    gpu: (ctx, n) => imageWorkload(ctx, id, n, training, draws),
    cpu(n) {
      const x = images(n, 203);
      const { alpha, sigma } = LEVEL;
      if (id === 'gaussian')
        return () => void denoiseImagesGaussian(x, n, training.model, D, alpha, sigma);
      if (id === 'nearest') return () => void nearestImages(x, n, training.data, training.m, D);
      const opts = { smoothing: draws > 1 ? SMOOTHING : 0, draws, seed: SEED, evaluation: 0 };
      return () =>
        void denoiseImagesEmpirical(x, n, training.data, training.m, D, alpha, sigma, opts);
    },
  };
}

/** The image cases over m training images (10,000 as in the app; fewer for --quick). */
export function imageBenchCases(m: number, sizes: readonly number[] = IMAGE_SIZES): BenchCase[] {
  const training = new Training(m);
  return [
    imageCase('denoise_image_empirical', 'empirical', training, 1, sizes),
    imageCase('denoise_image_empirical x4 draws', 'empirical', training, 4, sizes),
    imageCase(`denoise_image_gaussian r${RANK}`, 'gaussian', training, 1, sizes),
    imageCase('image_nearest', 'nearest', training, 1, sizes),
  ];
}
