/**
 * What every trainer of the engine shares, whatever its network (the 2D MLP's Trainer, the image
 * U-Net's): the flat weights, their gradient, Adam's moments and the EMA in storage buffers; the
 * gradient's norm and clip, AdamW with the EMA (the ops after a backward pass); the step table
 * (step numbers and Adam's float64 bias corrections read at dynamic offsets, ./trainTable.ts); the
 * step's loss copied into a ring read a few times a second, never per step; and the loop that
 * records k steps, one compute pass each, into one submission.
 *
 *   const state = new TrainState(device, kernels, pool, { init, hyper, maxGradNorm, emaDecay });
 *   state.encode(encoder, k, sampleOp, [...forward, ...loss, ...backward]);
 */
import { readback } from '../../gpu/readback';
import { MAX_STEPS } from '../../maths/learn/network';
import type { AdamHyper } from '../../maths/learn/optim';
import { createAdamWEma, createGradNorm, record, type LearnKernels, type Op } from './layers';
import type { Pool } from './networkPasses';
import { TrainTable } from './trainTable';

/** Per-step losses kept on the GPU between reads. */
export const LOSS_RING = 4096;
const ONE_STEP = { label: 'train step' } as const;

/** AdamW's settings of a run: PyTorch's betas and eps, the run's rate and decay. */
export const adamHyper = (s: { lr: number; weightDecay: number }): AdamHyper => ({
  lr: s.lr,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: s.weightDecay,
});

export interface TrainStateSpec {
  /** The initial weights, in the network's flat layout. */
  init: Float32Array<ArrayBuffer>;
  hyper: AdamHyper;
  /** clip_grad_norm_'s threshold (no clipping where it is not a finite positive number). */
  maxGradNorm: number;
  emaDecay: number;
}

export class TrainState {
  /** Raw weights, their gradient, Adam's moments, and the EMA the denoiser samples with. */
  readonly params: GPUBuffer;
  readonly ema: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly m: GPUBuffer;
  readonly v: GPUBuffer;
  /** The step's loss (written by the network's loss op), and the ring of past ones. */
  readonly losses: GPUBuffer;
  private readonly ring: GPUBuffer;
  /** clip = [scale, |g|], from the gradient norm, read by AdamW. */
  readonly clip: GPUBuffer;
  readonly table: TrainTable;
  /** The gradient norm and clip, then AdamW with the EMA: the ops after a backward pass. */
  readonly updateOps: Op[];
  readonly count: number;
  private hyper: AdamHyper;
  private readonly offset = new Uint32Array(1);
  /** Optimiser steps recorded so far, and the last step whose loss readLosses() returned. */
  private steps = 0;
  private lossesRead = 0;

  constructor(
    private readonly device: GPUDevice,
    kernels: LearnKernels,
    pool: Pool,
    spec: TrainStateSpec,
  ) {
    const { floats, own } = pool;
    const count = spec.init.length;
    this.count = count;
    this.params = floats('params', count, spec.init);
    this.ema = floats('ema', count, spec.init.slice());
    this.grads = floats('grads', count);
    this.m = floats('adam m', count);
    this.v = floats('adam v', count);
    this.losses = floats('loss', 1);
    this.ring = floats('losses', LOSS_RING);
    this.clip = floats('clip', 2, Float32Array.of(1, 0));
    this.hyper = spec.hyper;
    this.table = own(new TrainTable(device, kernels.adamw, MAX_STEPS));
    const norm = own(createGradNorm(device, kernels, { count, maxNorm: spec.maxGradNorm }));
    const gradPartials = floats('grad partials', norm.partialBytes / 4);
    const adam = own(createAdamWEma(device, kernels, count, this.hyper, spec.emaDecay));
    const { params, grads, m, v, clip, ema } = this;
    this.updateOps = [
      ...norm.ops({ grads, partials: gradPartials, clip }),
      adam.op({ params, grads, m, v, clip, train: this.table.binding, average: ema }),
    ];
  }

  /** Optimiser steps taken (recorded) since the weights were set. */
  get step(): number {
    return this.steps;
  }

  /** The learning rate and weight decay of the next steps. */
  setRate(lr: number, weightDecay: number): void {
    this.hyper = { ...this.hyper, lr, weightDecay };
  }

  /**
   * Records k steps (at most MAX_STEPS) into `encoder`, one pass each: the batch draw, the
   * network's `body` (forward, loss into `losses`, backward into `grads`), then updateOps; each
   * step's loss copied into the ring. Returns how many.
   */
  encode(encoder: GPUCommandEncoder, k: number, sample: Op, body: readonly Op[]): number {
    if (k <= 0) return 0;
    const n = Math.min(k, MAX_STEPS);
    for (let i = 0; i < n; i++) this.table.set(i, this.steps + i + 1, this.hyper);
    this.table.flush(n);
    for (let i = 0; i < n; i++) {
      const offset = this.table.offset(i, this.offset);
      const pass = encoder.beginComputePass(ONE_STEP);
      record(pass, sample, offset);
      for (const op of body) record(pass, op, offset);
      for (const op of this.updateOps) record(pass, op, offset);
      pass.end();
      this.steps++;
      encoder.copyBufferToBuffer(this.losses, 0, this.ring, 4 * (this.steps % LOSS_RING), 4);
    }
    return n;
  }

  /**
   * The losses of the steps since the last read, in order (the last LOSS_RING of them when more
   * were taken meanwhile). A readback: a few times a second, not per frame.
   */
  async readLosses(): Promise<{ first: number; losses: Float32Array }> {
    const upTo = this.steps;
    const from = Math.max(this.lossesRead, upTo - LOSS_RING);
    const ring = new Float32Array(await readback(this.device, this.ring, 4 * LOSS_RING));
    const losses = new Float32Array(upTo - from);
    for (let s = from + 1; s <= upTo; s++) losses[s - from - 1] = ring[s % LOSS_RING]!;
    this.lossesRead = Math.max(this.lossesRead, upTo);
    return { first: from + 1, losses };
  }

  /** The weights, EMA or raw, as floats in the flat layout. A readback. */
  async readWeights(which: 'ema' | 'params' = 'ema'): Promise<Float32Array<ArrayBuffer>> {
    const b = which === 'ema' ? this.ema : this.params;
    return new Float32Array(await readback(this.device, b, 4 * this.count));
  }

  /** Sets the weights (raw and EMA), clears Adam's moments; `step`: the count to resume from. */
  setWeights(weights: Float32Array<ArrayBuffer>, step = 0): void {
    if (weights.length !== this.count)
      throw new Error(`weights: ${weights.length} values for ${this.count} parameters`);
    const q = this.device.queue;
    q.writeBuffer(this.params, 0, weights);
    q.writeBuffer(this.ema, 0, weights);
    const zeros = new Float32Array(this.count);
    q.writeBuffer(this.m, 0, zeros);
    q.writeBuffer(this.v, 0, zeros);
    this.steps = step;
    this.lossesRead = step;
  }
}
