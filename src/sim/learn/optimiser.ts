/**
 * The training engine's loss and optimiser: the weighted MSE loss reduced on the GPU, the
 * gradient's norm and clipping factor, AdamW on the step table, and the EMA of the weights, each
 * over the flat parameter layout of ./layers.ts.
 */
import type { AdamHyper } from '../../maths/learn/optim';
import type { LearnKernels } from './kernels';
import {
  bindOp,
  flat,
  MAX_REDUCE_GROUPS,
  positive,
  record,
  REDUCE_SIZE,
  uniform,
  type Op,
} from './ops';

interface MseBuffers {
  pred: GPUBuffer;
  goal: GPUBuffer;
  weight: GPUBuffer;
  grad: GPUBuffer;
  partials: GPUBuffer;
  losses: GPUBuffer;
}

export interface MseLoss {
  /** Bytes of the `partials` scratch buffer this loss needs. */
  readonly partialBytes: number;
  /** grad = dL/dpred; losses[slot] = L, by two dispatches. */
  encode(pass: GPUComputePassEncoder, b: MseBuffers): void;
  ops(b: MseBuffers): Op[];
  destroy(): void;
}

/** L = (1 / batch) sum_b w_b |pred_b - target_b|^2 over rows of `width` values. */
export function createMseLoss(
  device: GPUDevice,
  kernels: LearnKernels,
  spec: { batch: number; width: number; slot?: number; scale?: number },
): MseLoss {
  positive('mse loss', { batch: spec.batch, width: spec.width });
  const groups = Math.min(MAX_REDUCE_GROUPS, Math.ceil((spec.batch * spec.width) / REDUCE_SIZE));
  const loss = uniform(device, kernels.mseLoss, 'loss', {
    batch: spec.batch,
    width: spec.width,
    groups,
    slot: spec.slot ?? 0,
    // The mean over the batch by default (the 2D network's loss sums x and y); an image's loss
    // is also averaged over its values: scale 1 / (batch P).
    scale: spec.scale ?? 1 / spec.batch,
  });
  const ops: MseLoss['ops'] = ({ pred, goal, weight, grad, partials, losses }) => [
    bindOp(device, kernels.mseLoss, { loss, pred, goal, weight, grad, partials }, [groups, 1]),
    bindOp(device, kernels.lossSum, { loss, partials, losses }, [1, 1]),
  ];
  return {
    partialBytes: 4 * groups,
    ops,
    encode: (pass, b) => ops(b).forEach((op) => record(pass, op)),
    destroy: () => loss.destroy(),
  };
}

export interface GradNorm {
  /** Bytes of the `partials` scratch buffer this norm needs. */
  readonly partialBytes: number;
  /** clip = [scale, |g|] (2 floats) from `grads`, by two dispatches. */
  encode(pass: GPUComputePassEncoder, b: GradNormBuffers): void;
  ops(b: GradNormBuffers): Op[];
  destroy(): void;
}

interface GradNormBuffers {
  grads: GPUBuffer;
  partials: GPUBuffer;
  clip: GPUBuffer;
}

/**
 * The norm |g| of `count` flat gradients and clip_grad_norm_'s factor min(1, maxNorm / (|g| +
 * 1e-6)); a maxNorm that is not a finite positive number turns clipping off (factor 1).
 */
export function createGradNorm(
  device: GPUDevice,
  kernels: LearnKernels,
  spec: { count: number; maxNorm: number },
): GradNorm {
  positive('gradient norm', { count: spec.count });
  const groups = Math.min(MAX_REDUCE_GROUPS, Math.ceil(spec.count / REDUCE_SIZE));
  const norm = uniform(device, kernels.gradNorm, 'norm', {
    count: spec.count,
    groups,
    max_norm: spec.maxNorm,
  });
  const ops: GradNorm['ops'] = ({ grads, partials, clip }) => [
    bindOp(device, kernels.gradNorm, { norm, grads, partials }, [groups, 1]),
    bindOp(device, kernels.gradClip, { norm, partials, clip }, [1, 1]),
  ];
  return {
    partialBytes: 4 * groups,
    ops,
    encode: (pass, b) => ops(b).forEach((op) => record(pass, op)),
    destroy: () => norm.destroy(),
  };
}

/**
 * AdamW and the EMA of the weights in one dispatch (learn/adamw_ema: the same floats as
 * createAdamW's op then createEma's), over `count` parameters.
 */
export function createAdamWEma(
  device: GPUDevice,
  kernels: LearnKernels,
  count: number,
  h: AdamHyper,
  decay: number,
): { op(b: AdamBuffers & { average: GPUBuffer }): Op; destroy(): void } {
  positive('AdamW', { count });
  const adam = uniform(device, kernels.adamwEma, 'adam', {
    count,
    beta1: h.beta1,
    beta2: h.beta2,
    one_minus_beta1: 1 - h.beta1,
    one_minus_beta2: 1 - h.beta2,
    eps: h.eps,
    rate: 1 - decay,
  });
  return {
    op: (b) => bindOp(device, kernels.adamwEma, { adam, ...b }, flat(device, count)),
    destroy: () => adam.destroy(),
  };
}

export interface AdamW {
  /** One step, its lr, decay and corrections read from the step table at `offset`. */
  encode(pass: GPUComputePassEncoder, b: AdamBuffers, offset: Uint32Array): void;
  op(b: AdamBuffers): Op;
  destroy(): void;
}

interface AdamBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** clip[0]: the gradient's scale (learn/grad_clip; 1 for none). */
  clip: GPUBuffer;
  /** The trainer's step table (./trainTable.ts). */
  train: GPUBufferBinding;
}

export function createAdamW(
  device: GPUDevice,
  kernels: LearnKernels,
  count: number,
  h: AdamHyper,
): AdamW {
  positive('AdamW', { count });
  const adam = uniform(device, kernels.adamw, 'adam', {
    count,
    beta1: h.beta1,
    beta2: h.beta2,
    one_minus_beta1: 1 - h.beta1,
    one_minus_beta2: 1 - h.beta2,
    eps: h.eps,
  });
  const op: AdamW['op'] = (b) => bindOp(device, kernels.adamw, { adam, ...b }, flat(device, count));
  return {
    op,
    encode: (pass, b, offset) => record(pass, op(b), offset),
    destroy: () => adam.destroy(),
  };
}

export interface Ema {
  encode(pass: GPUComputePassEncoder, b: { params: GPUBuffer; average: GPUBuffer }): void;
  op(b: { params: GPUBuffer; average: GPUBuffer }): Op;
  destroy(): void;
}

/** average += (1 - decay) (params - average) over `count` values. */
export function createEma(
  device: GPUDevice,
  kernels: LearnKernels,
  count: number,
  decay: number,
): Ema {
  positive('EMA', { count });
  const ema = uniform(device, kernels.ema, 'ema', { count, rate: 1 - decay });
  const op: Ema['op'] = (b) => bindOp(device, kernels.ema, { ema, ...b }, flat(device, count));
  return {
    op,
    encode: (pass, b) => record(pass, op(b)),
    destroy: () => ema.destroy(),
  };
}
