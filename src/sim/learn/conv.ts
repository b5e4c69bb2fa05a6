/**
 * The U-Net's 3x3 convolution on the GPU (issue 14, first layer): stride 1, zero padding 1,
 * PyTorch's Conv2d layout (NCHW activations; W[o][i][ky][kx] then b[o] in the flat parameter
 * buffer from `offset`, its gradient at the same place of `grads`). Float64 reference:
 * src/maths/learn/conv.ts; tests: tests/gpu/learnConv.test.ts.
 *
 *   const kernels = await compileConvKernels(device, shaderSources);
 *   const conv = createConv3x3(device, kernels, { batch, channelsIn, channelsOut, height, width, offset });
 *   conv.forward(pass, { x, params, y });                 // Y = W * X + b
 *   conv.backward(pass, { x, dy, params, grads, dx });    // dW, db; dX = W^T * dY (flipped)
 *
 * The weights' gradient sums batch x H x W terms per weight: a long sum is split into chunks of
 * image rows summed side by side (grid z) and added in order by learn/grad_reduce, as the linear
 * layer's batch is (./ops.ts splitBatch), so a GPU is not left running one long serial chain.
 */
import { compileKernel } from '../../gpu/compile';
import type { Kernel, ShaderSources } from '../../gpu/kernel';
import { convParameters, type ConvShape } from '../../maths/learn/conv';
import { createGradReduce, type WeightSplit } from './layers';
import {
  bindOp,
  ELEMENTWISE_SIZE,
  MAX_SPLIT_FLOATS,
  MAX_WEIGHT_SPLITS,
  positive,
  record,
  uniform,
  type Op,
} from './ops';

/** CONV_TILE and CONV_OUT of shaders/lib/conv_tile.wgsl: a workgroup's pixels and channels. */
export const CONV_TILE = 8;
export const CONV_OUT = 4;
/** GRAD_IN and GRAD_OUT of learn/conv3x3_backward_weight: a workgroup's (o, i) pairs. */
export const GRAD_IN = 8;
export const GRAD_OUT = 8;
/**
 * Pixels of the batch one lane of the weights' gradient sums, at most (a chunk is whole rows):
 * past that the sum is split into chunks along z. Like WEIGHT_CHUNK rows of the linear layer, a
 * sum short enough that the chunks fill a GPU and long enough that their partials stay few.
 */
export const CONV_CHUNK_PIXELS = 512;

export interface ConvKernels {
  forward: Kernel;
  backwardInput: Kernel;
  backwardWeight: Kernel;
  gradReduce: Kernel;
}

export async function compileConvKernels(
  device: GPUDevice,
  sources: ShaderSources,
): Promise<ConvKernels> {
  const k = (name: string, workgroupSize: number): Promise<Kernel> =>
    compileKernel(device, sources, `learn/${name}`, { workgroupSize });
  const [forward, backwardInput, backwardWeight, gradReduce] = await Promise.all([
    k('conv3x3_forward', CONV_TILE * CONV_TILE),
    k('conv3x3_backward_input', CONV_TILE * CONV_TILE),
    k('conv3x3_backward_weight', GRAD_IN * GRAD_OUT),
    k('grad_reduce', ELEMENTWISE_SIZE),
  ]);
  return { forward, backwardInput, backwardWeight, gradReduce };
}

/**
 * How the weights' gradient splits the batch's `rows` image rows of `width` pixels for a model of
 * `count` parameters: `splits` chunks of `chunk` rows (the last one shorter), each non-empty; a
 * chunk holds CONV_CHUNK_PIXELS pixels at most (one row at least) unless the caps on the chunks
 * (MAX_WEIGHT_SPLITS, and MAX_SPLIT_FLOATS of partials) make it longer.
 */
export function splitRows(
  rows: number,
  width: number,
  count: number,
): { splits: number; chunk: number } {
  const rowsPerChunk = Math.max(1, Math.floor(CONV_CHUNK_PIXELS / width));
  const wanted = Math.ceil(rows / rowsPerChunk);
  const most = Math.min(wanted, MAX_WEIGHT_SPLITS, Math.floor(MAX_SPLIT_FLOATS / count));
  const chunk = Math.ceil(rows / Math.max(1, most));
  return { splits: Math.ceil(rows / chunk), chunk };
}

interface ConvBuffers {
  x: GPUBuffer;
  params: GPUBuffer;
  y: GPUBuffer;
}
interface ConvBackwardBuffers {
  x: GPUBuffer;
  dy: GPUBuffer;
  params: GPUBuffer;
  grads: GPUBuffer;
  dx?: GPUBuffer;
}

export interface Conv3x3Layer {
  readonly shape: ConvShape;
  /** Y = W * X + b. */
  forward(pass: GPUComputePassEncoder, b: ConvBuffers): void;
  forwardOp(b: ConvBuffers): Op;
  /** [dW | db] into grads (then their chunks added, when split); dX too when `dx` is given. */
  backwardOps(b: ConvBackwardBuffers): Op[];
  backward(pass: GPUComputePassEncoder, b: ConvBackwardBuffers): void;
  destroy(): void;
}

/**
 * `split`: the weights' gradient in chunks of image rows (splitRows), into `partials` at z *
 * slice, added into `grads` by learn/grad_reduce (by the layer itself when `reduce`, else by the
 * caller once for the whole model). The batch's rows are (n, y), batch x height of them.
 */
export function createConv3x3(
  device: GPUDevice,
  kernels: ConvKernels,
  shape: ConvShape,
  split?: WeightSplit,
): Conv3x3Layer {
  const { batch, channelsIn, channelsOut, height, width, offset } = shape;
  positive('conv3x3', { batch, channelsIn, channelsOut, height, width });
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`conv3x3: offset = ${offset}`);
  const rows = batch * height;
  if (split) {
    positive('conv3x3 split', { splits: split.splits, chunk: split.chunk, slice: split.slice });
    if (Math.ceil(rows / split.chunk) !== split.splits)
      throw new Error(`conv3x3: ${split.splits} chunks of ${split.chunk} rows for ${rows} rows`);
  }
  const conv = uniform(device, kernels.forward, 'conv', {
    batch,
    channels_in: channelsIn,
    channels_out: channelsOut,
    height,
    width,
    offset,
    chunk: split?.chunk ?? rows,
    slice: split ? split.slice : 0,
  });
  const reduce =
    split?.reduce === true
      ? createGradReduce(device, kernels, {
          first: offset,
          count: convParameters(channelsIn, channelsOut),
          splits: split.splits,
          slice: split.slice,
        })
      : null;
  const pixels = (channels: number): [number, number, number] => [
    Math.ceil(width / CONV_TILE),
    Math.ceil(height / CONV_TILE),
    batch * Math.ceil(channels / CONV_OUT),
  ];
  const forwardOp: Conv3x3Layer['forwardOp'] = (b) =>
    bindOp(device, kernels.forward, { conv, ...b }, pixels(channelsOut));
  const backwardOps: Conv3x3Layer['backwardOps'] = ({ x, dy, params, grads, dx }) => [
    bindOp(device, kernels.backwardWeight, { conv, x, dy, grads: split ? split.partials : grads }, [
      Math.ceil((channelsIn + 1) / GRAD_IN),
      Math.ceil(channelsOut / GRAD_OUT),
      split?.splits ?? 1,
    ]),
    ...(reduce && split ? [reduce.op({ partials: split.partials, grads })] : []),
    ...(dx
      ? [bindOp(device, kernels.backwardInput, { conv, dy, params, dx }, pixels(channelsIn))]
      : []),
  ];
  return {
    shape,
    forwardOp,
    backwardOps,
    forward: (pass, b) => record(pass, forwardOp(b)),
    backward: (pass, b) => backwardOps(b).forEach((op) => record(pass, op)),
    destroy: () => {
      conv.destroy();
      reduce?.destroy();
    },
  };
}
