/**
 * Draws a training batch of images on the GPU (shaders/learn/sample_image_batch.wgsl; Ho et al.
 * 2020, algorithm 1) into the U-Net's input, level, target and weight buffers: `rows` rows from
 * the stored images and the training grid's levels, for the step the trainer's table names. The
 * image twin of ./batchSampler.ts: one lane per pair of values of a row, so the dispatch is
 * rows x ceil(dim / 2) lanes, folded into 2D past the per-dimension limit (ops.ts flat()).
 *
 * The stored images are the image simulation's `data` buffer as it holds it (src/sim/run/
 * runBuffers.ts): image after image, channels interleaved; the batch comes out NCHW.
 */
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import type { Kernel, ShaderSources } from '../../gpu/kernel';
import { TARGETS, WEIGHTINGS, type Target, type Weighting } from '../../maths/learn/network';
import { bindOp, ELEMENTWISE_SIZE, flat, positive, type Op } from './ops';

export interface ImageBatchSpec {
  rows: number;
  /** Values per image, D = channels x height x width. */
  dim: number;
  /** Channels per pixel of the stored images (interleaved there, planes in the batch); 1 unless given. */
  channels?: number;
  seed: number;
  target: Target;
  weighting: Weighting;
  /** A class-conditional network's classes (0 or none: none) and its label dropout. */
  classes?: number;
  drop?: number;
}

/**
 * The batch's buffers: x and goal rows x dim floats, tau and weight rows floats, and the class
 * one-hot, rows x classes floats (any buffer when the network has no class).
 */
export interface ImageBatchOutputs {
  x: GPUBuffer;
  tau: GPUBuffer;
  goal: GPUBuffer;
  weight: GPUBuffer;
  label: GPUBuffer;
}

export const IMAGE_BATCH_KERNEL = 'learn/sample_image_batch';

export class ImageBatchSampler {
  /** The draw, once bind() has given it images and levels. */
  op: Op | null = null;
  private readonly config: GPUBuffer;

  /** The kernel as this sampler needs it: `train` bound at a dynamic offset. */
  static compile(device: GPUDevice, sources: ShaderSources): Promise<Kernel> {
    return compileKernel(device, sources, IMAGE_BATCH_KERNEL, {
      workgroupSize: ELEMENTWISE_SIZE,
      dynamic: ['train'],
    });
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    spec: ImageBatchSpec,
    outputs: ImageBatchOutputs,
    train: GPUBufferBinding,
  ): Promise<ImageBatchSampler> {
    const kernel = await ImageBatchSampler.compile(device, sources);
    return new ImageBatchSampler(device, kernel, spec, outputs, train);
  }

  constructor(
    private readonly device: GPUDevice,
    /** learn/sample_image_batch compiled with dynamic: ['train'] (ImageBatchSampler.compile). */
    private readonly kernel: Kernel,
    private readonly spec: ImageBatchSpec,
    private readonly outputs: ImageBatchOutputs,
    private readonly train: GPUBufferBinding,
  ) {
    const channels = spec.channels ?? 1;
    positive('image batch', { rows: spec.rows, dim: spec.dim, channels });
    if (spec.dim % channels !== 0)
      throw new Error(`image batch: dim ${spec.dim} is not a multiple of ${channels} channels`);
    const need = 4 * spec.rows * spec.dim;
    for (const name of ['x', 'goal'] as const)
      if (outputs[name].size < need)
        throw new Error(`image batch: ${name} holds ${outputs[name].size} bytes, needs ${need}`);
    for (const name of ['tau', 'weight'] as const)
      if (outputs[name].size < 4 * spec.rows)
        throw new Error(
          `image batch: ${name} holds ${outputs[name].size} bytes, needs ${4 * spec.rows}`,
        );
    this.config = createBuffer(device, {
      label: 'image batch config',
      size: kernel.definitions.uniforms.config!.size,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /** Lanes of the dispatch: one per pair of values of each row. */
  get lanes(): number {
    return this.spec.rows * Math.ceil(this.spec.dim / 2);
  }

  /**
   * Draws from the `m` images of `data` (m x dim f32, as the image simulation stores them) and
   * `levels` (levelCount (alpha, sigma) pairs of vec2f).
   */
  bind(data: GPUBuffer, m: number, levels: GPUBuffer, levelCount: number, labels: GPUBuffer): void {
    positive('image batch', { m, levelCount });
    if (data.size < 4 * m * this.spec.dim)
      throw new Error(
        `image batch: data holds ${data.size} bytes, not ${m} images of ${this.spec.dim}`,
      );
    if (levels.size < 8 * levelCount)
      throw new Error(`image batch: levels holds ${levels.size} bytes, not ${levelCount} levels`);
    const view = makeStructuredView(this.kernel.definitions.uniforms.config!);
    view.set({
      batch: this.spec.rows,
      m,
      levels: levelCount,
      seed: this.spec.seed,
      prediction: TARGETS.indexOf(this.spec.target),
      weighting: WEIGHTINGS.indexOf(this.spec.weighting),
      dim: this.spec.dim,
      channels: this.spec.channels ?? 1,
      classes: this.spec.classes ?? 0,
      drop: this.spec.drop ?? 0,
    });
    this.device.queue.writeBuffer(this.config, 0, view.arrayBuffer);
    this.op = bindOp(
      this.device,
      this.kernel,
      { config: this.config, train: this.train, data, levels, labels, ...this.outputs },
      flat(this.device, this.lanes),
    );
  }

  destroy(): void {
    this.config.destroy();
    this.op = null;
  }
}
