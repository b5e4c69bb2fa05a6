/**
 * Draws a training batch on the GPU (shaders/learn/sample_batch.wgsl) into the network's input,
 * target and weight buffers: `rows` rows from the stored points and the training grid's levels,
 * for the step the trainer's table names. The Trainer keeps one for training and one for its
 * evaluation batch (stratified over t, the same draws every time).
 */
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import type { Kernel } from '../../gpu/kernel';
import { TARGETS, WEIGHTINGS, type Target, type Weighting } from '../../maths/learn/network';
import { bindOp, ELEMENTWISE_SIZE, type Op } from './ops';

export interface BatchSpec {
  rows: number;
  seed: number;
  target: Target;
  weighting: Weighting;
  /** A class-conditional network's classes (0: none), its label dropout and embedded row length. */
  classes: number;
  drop: number;
  embedStride: number;
}

export class BatchSampler {
  /** The draw, once bind() has given it data and levels. */
  op: Op | null = null;
  private readonly config: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly kernel: Kernel,
    private readonly spec: BatchSpec,
    private readonly outputs: {
      rows: GPUBuffer;
      goal: GPUBuffer;
      weight: GPUBuffer;
      embedded: GPUBuffer;
    },
    private readonly train: GPUBufferBinding,
  ) {
    this.config = createBuffer(device, {
      label: 'batch config',
      size: kernel.definitions.uniforms.config!.size,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /**
   * Draws from `m` points of `data` (array<vec2f>), their classes `labels` (array<u32>) and
   * `levels` (alpha, sigma) pairs.
   */
  bind(data: GPUBuffer, labels: GPUBuffer, m: number, levels: GPUBuffer, levelCount: number): void {
    const view = makeStructuredView(this.kernel.definitions.uniforms.config!);
    view.set({
      batch: this.spec.rows,
      m,
      levels: levelCount,
      seed: this.spec.seed,
      prediction: TARGETS.indexOf(this.spec.target),
      weighting: WEIGHTINGS.indexOf(this.spec.weighting),
      classes: this.spec.classes,
      drop: this.spec.drop,
      embed_stride: this.spec.embedStride,
    });
    this.device.queue.writeBuffer(this.config, 0, view.arrayBuffer);
    this.op = bindOp(
      this.device,
      this.kernel,
      { config: this.config, train: this.train, data, labels, levels, ...this.outputs },
      [Math.ceil(this.spec.rows / ELEMENTWISE_SIZE), 1],
    );
  }

  destroy(): void {
    this.config.destroy();
  }
}
