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
import type { LinearShape } from '../../maths/learn/linear';
import type { EmbedShape } from '../../maths/learn/embedding';
import type { LearnKernels } from './kernels';
import { linearParameters } from '../../maths/learn/linear';
import { bindOp, flat, positive, record, tiles, uniform, type Op } from './ops';

export * from './kernels';
export * from './optimiser';
export { bindOp, record, TILE, type Op } from './ops';

export interface LinearLayer {
  readonly shape: LinearShape;
  /** Y = X W^T + b. */
  forward(pass: GPUComputePassEncoder, b: { x: GPUBuffer; params: GPUBuffer; y: GPUBuffer }): void;
  forwardOp(b: { x: GPUBuffer; params: GPUBuffer; y: GPUBuffer }): Op;
  /**
   * pre = X W^T + b and h = act(pre), or skip + act(pre) when `skip` is given, in one dispatch
   * (learn/linear_act_forward: the same floats as forward, the activation and add in turn).
   */
  forwardActOp(
    b: { x: GPUBuffer; params: GPUBuffer; pre: GPUBuffer; h: GPUBuffer; skip?: GPUBuffer },
    activation: Activation,
  ): Op;
  /**
   * dh = dY W (+ skip, a residual block's dh) and dpre = dh act'(pre) of the layer below, in one
   * dispatch (learn/linear_backward_input_act: the same floats as the input's backward, the add
   * and the activation's backward in turn).
   */
  backwardInputActOp(
    b: {
      dy: GPUBuffer;
      params: GPUBuffer;
      pre: GPUBuffer;
      dh: GPUBuffer;
      dpre: GPUBuffer;
      skip?: GPUBuffer;
    },
    activation: Activation,
  ): Op;
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

/**
 * The weights' gradient over a batch split into `splits` chunks of `chunk` rows (./ops.ts's
 * splitBatch): each chunk's part goes to `partials` at z * slice (slice: the floats of the whole
 * flat gradient), and the chunks are added in order into `grads` by learn/grad_reduce: by the
 * layer itself when `reduce`, else once for the whole model by the caller (createGradReduce).
 */
export interface WeightSplit {
  splits: number;
  chunk: number;
  slice: number;
  partials: GPUBuffer;
  reduce: boolean;
}

export function createLinear(
  device: GPUDevice,
  kernels: LearnKernels,
  shape: LinearShape,
  split?: WeightSplit,
): LinearLayer {
  const { batch, inputs, outputs, offset } = shape;
  positive('linear', { batch, inputs, outputs });
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`linear: offset = ${offset}`);
  if (split) {
    positive('linear split', { splits: split.splits, chunk: split.chunk, slice: split.slice });
    if (Math.ceil(batch / split.chunk) !== split.splits)
      throw new Error(
        `linear: ${split.splits} chunks of ${split.chunk} rows for a batch of ${batch}`,
      );
  }
  const layer = uniform(device, kernels.linearForward, 'layer', {
    batch,
    inputs,
    outputs,
    offset,
    chunk: split?.chunk ?? batch,
    slice: split ? split.slice : 0,
  });
  const reduce =
    split?.reduce === true
      ? createGradReduce(device, kernels, {
          first: offset,
          count: linearParameters(inputs, outputs),
          splits: split.splits,
          slice: split.slice,
        })
      : null;
  const forwardOp: LinearLayer['forwardOp'] = (b) =>
    bindOp(device, kernels.linearForward, { layer, ...b }, tiles(outputs, batch));
  const backwardOps: LinearLayer['backwardOps'] = ({ x, dy, params, grads, dx }) => [
    bindOp(
      device,
      kernels.linearBackwardWeight,
      { layer, x, dy, grads: split ? split.partials : grads },
      [...tiles(inputs + 1, outputs), split?.splits ?? 1],
    ),
    ...(reduce && split ? [reduce.op({ partials: split.partials, grads })] : []),
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
  // One uniform per activation and skip, made when first asked for.
  const fused = new Map<string, GPUBuffer>();
  const fusedUniform = (activation: Activation, skip: boolean): GPUBuffer => {
    const key = `${activation}:${skip ? 1 : 0}`;
    let f = fused.get(key);
    if (!f) {
      f = uniform(device, kernels.linearActForward, 'fused', {
        activation: ACTIVATION_IDS[activation],
        residual: skip ? 1 : 0,
      });
      fused.set(key, f);
    }
    return f;
  };
  const forwardActOp: LinearLayer['forwardActOp'] = ({ skip, ...b }, activation) => {
    // Without a skip, the binding still needs a buffer: x (read-only, as skip is).
    const buffers = { layer, fused: fusedUniform(activation, !!skip), ...b, skip: skip ?? b.x };
    return bindOp(device, kernels.linearActForward, buffers, tiles(outputs, batch));
  };
  const backwardInputActOp: LinearLayer['backwardInputActOp'] = ({ skip, ...b }, activation) => {
    const f = fusedUniform(activation, !!skip);
    const buffers = { layer, fused: f, ...b, dh_skip: skip ?? b.dy };
    return bindOp(device, kernels.linearBackwardInputAct, buffers, tiles(inputs, batch));
  };
  return {
    shape,
    forwardOp,
    forwardActOp,
    backwardInputActOp,
    backwardOps,
    forward: (pass, b) => record(pass, forwardOp(b)),
    backward: (pass, b) => backwardOps(b).forEach((op) => record(pass, op)),
    destroy: () => {
      layer.destroy();
      reduce?.destroy();
      for (const f of fused.values()) f.destroy();
    },
  };
}

export interface GradReduce {
  /** grads[first ..] = the sum of the chunks' partial gradients, in the order of the chunks. */
  op(b: { partials: GPUBuffer; grads: GPUBuffer }): Op;
  destroy(): void;
}

/** Adds `splits` partial gradients (`slice` floats apart) over [first, first + count). */
export function createGradReduce(
  device: GPUDevice,
  kernels: Pick<LearnKernels, 'gradReduce'>,
  spec: { first: number; count: number; splits: number; slice: number },
): GradReduce {
  positive('gradient reduce', { count: spec.count, splits: spec.splits, slice: spec.slice });
  const reduce = uniform(device, kernels.gradReduce, 'reduce', spec);
  return {
    op: (b) => bindOp(device, kernels.gradReduce, { reduce, ...b }, flat(device, spec.count)),
    destroy: () => reduce.destroy(),
  };
}

/** SiLU (Elfwing et al. 2018) or GELU in its tanh form (Hendrycks & Gimpel 2016). */
export type Activation = 'silu' | 'gelu';
/** ACTIVATION_GELU and ACTIVATION_SILU of shaders/lib/network.wgsl. */
const ACTIVATION_IDS: Record<Activation, number> = { gelu: 0, silu: 1 };

export interface SiluLayer {
  /** y = f(x). */
  forward(pass: GPUComputePassEncoder, b: { x: GPUBuffer; y: GPUBuffer }): void;
  /** dx = dy f'(x), x the forward's input. */
  backward(pass: GPUComputePassEncoder, b: { x: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }): void;
  forwardOp(b: { x: GPUBuffer; y: GPUBuffer }): Op;
  backwardOp(b: { x: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }): Op;
  destroy(): void;
}

/** The activation `kind` over `count` values (batch x width). */
export function createActivation(
  device: GPUDevice,
  kernels: LearnKernels,
  count: number,
  kind: Activation,
): SiluLayer {
  positive(kind, { count });
  const [forward, backward] =
    kind === 'gelu' ? [kernels.gelu, kernels.geluBackward] : [kernels.silu, kernels.siluBackward];
  const size = uniform(device, forward, 'size', { count });
  const forwardOp: SiluLayer['forwardOp'] = (b) =>
    bindOp(device, forward, { size, ...b }, flat(device, count));
  const backwardOp: SiluLayer['backwardOp'] = (b) =>
    bindOp(device, backward, { size, ...b }, flat(device, count));
  return {
    forwardOp,
    backwardOp,
    forward: (pass, b) => record(pass, forwardOp(b)),
    backward: (pass, b) => record(pass, backwardOp(b)),
    destroy: () => size.destroy(),
  };
}

/** SiLU over `count` values (batch x width). */
export const createSilu = (device: GPUDevice, kernels: LearnKernels, count: number): SiluLayer =>
  createActivation(device, kernels, count, 'silu');

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
  /**
   * Writes 2 K values per row and column of `out` from the shape's outOffset; `turns` holds K
   * frequencies per column.
   */
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
  const columns = shape.columns ?? 1;
  positive('embedding', { batch: shape.batch, frequencies, columns });
  const embed = uniform(device, kernels.embed, 'embed', {
    columns,
    batch: shape.batch,
    frequencies,
    in_stride: shape.inStride,
    column: shape.column,
    out_stride: shape.outStride,
    out_offset: shape.outOffset,
  });
  const count = shape.batch * columns * frequencies;
  const forwardOp: EmbeddingLayer['forwardOp'] = (b) =>
    bindOp(device, kernels.embed, { embed, ...b }, flat(device, count));
  return {
    shape,
    forwardOp,
    forward: (pass, b) => record(pass, forwardOp(b)),
    destroy: () => embed.destroy(),
  };
}
