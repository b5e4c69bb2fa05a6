/**
 * The learned denoiser's layers on the GPU (issue 13's training engine, first part): small
 * objects that record the kernels of shaders/learn/ into a compute pass. No training loop yet.
 *
 *   const kernels = await compileLearnKernels(device, shaderSources);
 *   const lin = createLinear(device, kernels, { batch, inputs, outputs, offset });
 *   const pass = encoder.beginComputePass();
 *   lin.forward(pass, { x, params, y });                     // Y = X W^T + b
 *   lin.backward(pass, { x, dy, params, grads, dx });        // dX = dY W; [dW | db] = dY^T [X | 1]
 *
 * Also createSilu (forward, backward), createAdd (a residual: x + f(x) forward, dy + the block's
 * dx backward), createEmbedding (sinusoidal, of one input column; no backward: inputs are data),
 * createMseLoss (weighted, with its gradient), createAdamW and createEma (flat buffers).
 *
 * Layout: activations are row-major batch x width arrays of f32; every layer's parameters sit in
 * one flat `params` buffer (W outputs x inputs from `offset`, then b) and its gradient at the
 * same place of `grads`, so that AdamW and the EMA run over the whole model in one dispatch each.
 * Backward passes overwrite their gradients (one batch per step). Each dispatch of a compute pass
 * is its own synchronisation scope, so a whole step can be one pass. The shapes and the
 * hyperparameters are fixed at creation (each object owns its uniform), except AdamW's step,
 * written by `setStep` through the queue: one optimiser step per submission until the trainer
 * keeps a table of steps. The loss is reduced on the GPU into `losses[slot]`, never read per step.
 * Float64 references: src/maths/learn/; tests: tests/gpu/learnLayers.test.ts, learnStep.test.ts.
 */
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, workgroups, type Kernel, type ShaderSources } from '../../gpu/kernel';
import type { LinearShape } from '../../maths/learn/linear';
import type { EmbedShape } from '../../maths/learn/embedding';
import type { AdamHyper } from '../../maths/learn/optim';

/** The tile edge of shaders/lib/matmul.wgsl: the linear kernels run TILE * TILE lanes. */
export const TILE = 16;
const ELEMENTWISE_SIZE = 256;
const REDUCE_SIZE = 256;
/** The kernels that read the trainer's step table (lib/train_step.wgsl) at a dynamic offset. */
const STEP_TABLE_KERNELS = new Set(['adamw', 'sample_batch']);
/** Most workgroups of the loss's first pass. */
const MAX_LOSS_GROUPS = 256;

export interface LearnKernels {
  linearForward: Kernel;
  linearBackwardInput: Kernel;
  linearBackwardWeight: Kernel;
  silu: Kernel;
  siluBackward: Kernel;
  add: Kernel;
  embed: Kernel;
  mseLoss: Kernel;
  lossSum: Kernel;
  adamw: Kernel;
  ema: Kernel;
  sampleBatch: Kernel;
}

export async function compileLearnKernels(
  device: GPUDevice,
  sources: ShaderSources,
): Promise<LearnKernels> {
  const k = (name: string, workgroupSize: number): Promise<Kernel> =>
    compileKernel(device, sources, `learn/${name}`, {
      workgroupSize,
      ...(STEP_TABLE_KERNELS.has(name) ? { dynamic: ['train'] } : {}),
    });
  const [linearForward, linearBackwardInput, linearBackwardWeight] = await Promise.all([
    k('linear_forward', TILE * TILE),
    k('linear_backward_input', TILE * TILE),
    k('linear_backward_weight', TILE * TILE),
  ]);
  const [silu, siluBackward, add, embed, mseLoss, lossSum, adamw, ema, sampleBatch] =
    await Promise.all([
      k('silu', ELEMENTWISE_SIZE),
      k('silu_backward', ELEMENTWISE_SIZE),
      k('add', ELEMENTWISE_SIZE),
      k('embed', ELEMENTWISE_SIZE),
      k('mse_loss', REDUCE_SIZE),
      k('loss_sum', REDUCE_SIZE),
      k('adamw', ELEMENTWISE_SIZE),
      k('ema', ELEMENTWISE_SIZE),
      k('sample_batch', ELEMENTWISE_SIZE),
    ]);
  return {
    linearForward,
    linearBackwardInput,
    linearBackwardWeight,
    silu,
    siluBackward,
    add,
    embed,
    mseLoss,
    lossSum,
    adamw,
    ema,
    sampleBatch,
  };
}

type UniformValues = Record<string, number>;

/**
 * A uniform buffer holding `variable` of the kernel's WGSL, laid out by reflection, from values
 * naming every field of its struct and no other (a misspelt name would otherwise leave a 0).
 */
function uniform(
  device: GPUDevice,
  kernel: Kernel,
  variable: string,
  values: UniformValues,
  usage: GPUBufferUsageFlags = GPUBufferUsage.UNIFORM,
): GPUBuffer {
  const definition = kernel.definitions.uniforms[variable];
  if (!definition) throw new Error(`${kernel.label}.wgsl: no uniform ${variable}`);
  const view = makeStructuredView(definition);
  const fields = Object.keys(view.views as object).sort();
  const given = Object.keys(values).sort();
  if (fields.join() !== given.join())
    throw new Error(
      `${kernel.label}.wgsl: ${variable} has fields ${fields.join(', ')}, not ${given.join(', ')}`,
    );
  view.set(values);
  return createBuffer(device, {
    label: `${kernel.label} ${variable}`,
    size: 0,
    usage,
    data: new Uint8Array(view.arrayBuffer),
  });
}

/**
 * One dispatch bound once: a training step replays a list of these, so the frame path creates no
 * bind group. `dynamic`: the kernel reads the trainer's step table (`train`) at a dynamic offset.
 */
export interface Op {
  readonly kernel: Kernel;
  readonly group: GPUBindGroup;
  readonly groups: readonly [number, number];
  readonly dynamic: boolean;
}

export function bindOp(
  device: GPUDevice,
  kernel: Kernel,
  buffers: Readonly<Record<string, GPUBuffer | GPUBufferBinding>>,
  groups: readonly [number, number],
): Op {
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups[0] > limit || groups[1] > limit)
    throw new Error(`${kernel.label}: ${groups.join(' x ')} workgroups exceed ${limit}`);
  const dynamic = kernel.bindings.some((b) => b.name === 'train');
  return { kernel, group: bindKernel(device, kernel, buffers), groups, dynamic };
}

const NO_OFFSET = new Uint32Array(1);

/** Records an op; `offset`: the step table's byte offset, for the ops that read it. */
export function record(pass: GPUComputePassEncoder, op: Op, offset?: Uint32Array): void {
  pass.setPipeline(op.kernel.pipeline);
  if (op.dynamic) pass.setBindGroup(0, op.group, offset ?? NO_OFFSET, 0, 1);
  else pass.setBindGroup(0, op.group);
  pass.dispatchWorkgroups(op.groups[0], op.groups[1]);
}

/** Element-wise dispatch over `count` values (2D past the per-dimension limit). */
const flat = (device: GPUDevice, count: number): [number, number] =>
  workgroups(count, ELEMENTWISE_SIZE, device.limits.maxComputeWorkgroupsPerDimension);

const tiles = (n: number, m: number): [number, number] => [
  Math.ceil(n / TILE),
  Math.ceil(m / TILE),
];

function positive(what: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values))
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} = ${v}`);
}

export interface LinearLayer {
  readonly shape: LinearShape;
  /** Y = X W^T + b. */
  forward(pass: GPUComputePassEncoder, b: { x: GPUBuffer; params: GPUBuffer; y: GPUBuffer }): void;
  forwardOp(b: { x: GPUBuffer; params: GPUBuffer; y: GPUBuffer }): Op;
  backwardOps(b: {
    x: GPUBuffer;
    dy: GPUBuffer;
    params: GPUBuffer;
    grads: GPUBuffer;
    dx?: GPUBuffer;
  }): Op[];
  /** [dW | db] into grads; dX too when `dx` is given (not for the first layer). */
  backward(
    pass: GPUComputePassEncoder,
    b: { x: GPUBuffer; dy: GPUBuffer; params: GPUBuffer; grads: GPUBuffer; dx?: GPUBuffer },
  ): void;
  destroy(): void;
}

export function createLinear(
  device: GPUDevice,
  kernels: LearnKernels,
  shape: LinearShape,
): LinearLayer {
  const { batch, inputs, outputs, offset } = shape;
  positive('linear', { batch, inputs, outputs });
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`linear: offset = ${offset}`);
  const layer = uniform(device, kernels.linearForward, 'layer', { batch, inputs, outputs, offset });
  const forwardOp: LinearLayer['forwardOp'] = (b) =>
    bindOp(device, kernels.linearForward, { layer, ...b }, tiles(outputs, batch));
  const backwardOps: LinearLayer['backwardOps'] = ({ x, dy, params, grads, dx }) => [
    bindOp(
      device,
      kernels.linearBackwardWeight,
      { layer, x, dy, grads },
      tiles(inputs + 1, outputs),
    ),
    ...(dx
      ? [
          bindOp(
            device,
            kernels.linearBackwardInput,
            { layer, dy, params, dx },
            tiles(inputs, batch),
          ),
        ]
      : []),
  ];
  return {
    shape,
    forwardOp,
    backwardOps,
    forward: (pass, b) => record(pass, forwardOp(b)),
    backward: (pass, b) => backwardOps(b).forEach((op) => record(pass, op)),
    destroy: () => layer.destroy(),
  };
}

export interface SiluLayer {
  forward(pass: GPUComputePassEncoder, b: { x: GPUBuffer; y: GPUBuffer }): void;
  backward(pass: GPUComputePassEncoder, b: { x: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }): void;
  forwardOp(b: { x: GPUBuffer; y: GPUBuffer }): Op;
  backwardOp(b: { x: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }): Op;
  destroy(): void;
}

/** SiLU over `count` values (batch x width). */
export function createSilu(device: GPUDevice, kernels: LearnKernels, count: number): SiluLayer {
  positive('silu', { count });
  const size = uniform(device, kernels.silu, 'size', { count });
  const forwardOp: SiluLayer['forwardOp'] = (b) =>
    bindOp(device, kernels.silu, { size, ...b }, flat(device, count));
  const backwardOp: SiluLayer['backwardOp'] = (b) =>
    bindOp(device, kernels.siluBackward, { size, ...b }, flat(device, count));
  return {
    forwardOp,
    backwardOp,
    forward: (pass, b) => record(pass, forwardOp(b)),
    backward: (pass, b) => record(pass, backwardOp(b)),
    destroy: () => size.destroy(),
  };
}

export interface Add {
  /** y = a + b: a residual's forward (x + f(x)) and backward (dy + the block's dx). */
  encode(pass: GPUComputePassEncoder, b: { a: GPUBuffer; b: GPUBuffer; y: GPUBuffer }): void;
  op(b: { a: GPUBuffer; b: GPUBuffer; y: GPUBuffer }): Op;
  destroy(): void;
}

export function createAdd(device: GPUDevice, kernels: LearnKernels, count: number): Add {
  positive('add', { count });
  const size = uniform(device, kernels.add, 'size', { count });
  const op: Add['op'] = (b) => bindOp(device, kernels.add, { size, ...b }, flat(device, count));
  return {
    op,
    encode: (pass, b) => record(pass, op(b)),
    destroy: () => size.destroy(),
  };
}

export interface EmbeddingLayer {
  readonly shape: EmbedShape;
  /** Writes 2 K values per row of `out` at the shape's outOffset; `turns` holds the K frequencies. */
  forward(pass: GPUComputePassEncoder, b: { s: GPUBuffer; turns: GPUBuffer; out: GPUBuffer }): void;
  forwardOp(b: { s: GPUBuffer; turns: GPUBuffer | GPUBufferBinding; out: GPUBuffer }): Op;
  destroy(): void;
}

export function createEmbedding(
  device: GPUDevice,
  kernels: LearnKernels,
  shape: EmbedShape,
  frequencies: number,
): EmbeddingLayer {
  positive('embedding', { batch: shape.batch, frequencies });
  const embed = uniform(device, kernels.embed, 'embed', {
    batch: shape.batch,
    frequencies,
    in_stride: shape.inStride,
    column: shape.column,
    out_stride: shape.outStride,
    out_offset: shape.outOffset,
  });
  const count = shape.batch * frequencies;
  const forwardOp: EmbeddingLayer['forwardOp'] = (b) =>
    bindOp(device, kernels.embed, { embed, ...b }, flat(device, count));
  return {
    shape,
    forwardOp,
    forward: (pass, b) => record(pass, forwardOp(b)),
    destroy: () => embed.destroy(),
  };
}

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
  spec: { batch: number; width: number; slot?: number },
): MseLoss {
  positive('mse loss', { batch: spec.batch, width: spec.width });
  const groups = Math.min(MAX_LOSS_GROUPS, Math.ceil((spec.batch * spec.width) / REDUCE_SIZE));
  const loss = uniform(device, kernels.mseLoss, 'loss', {
    batch: spec.batch,
    width: spec.width,
    groups,
    slot: spec.slot ?? 0,
    scale: 1 / spec.batch,
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
