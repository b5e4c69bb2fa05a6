/**
 * The U-Net's layers that are not convolutions (issue 14) on the GPU: small objects that record
 * the kernels of shaders/learn/ into a compute pass, as ./layers.ts does for the MLP's.
 *
 *   const kernels = await compileImageKernels(device, shaderSources);
 *   const norm = createGroupNorm(device, kernels, { batch, channels, height, width, groups,
 *                                                   offset, eps: GROUP_NORM_EPS });
 *   norm.forward(pass, { x, params, y, stats });                        // stats: statsFloats
 *   norm.backward(pass, { x, dy, params, stats, sums, grads, dx });     // sums: sumsFloats
 *
 * Also createAvgPoolDown and createUpsampleNearest (2x, and their backwards), createConcatChannels
 * (the skip connection; backward = split) and createAddPerChannel (the time embedding, added per
 * channel; backward to t only: the backward to x is dy itself).
 *
 * Layout: NCHW row-major float32 activations; GroupNorm's gamma[C] then beta[C] at `offset` of the
 * flat `params`, their gradients at the same place of `grads`, overwritten by the backward (one
 * batch per step) and nothing else of grads written. Float64 references:
 * src/maths/learn/imageLayers.ts; tests: tests/gpu/imageLayers.test.ts.
 */
import { compileKernel } from '../../gpu/compile';
import { workgroups, type Kernel, type ShaderSources } from '../../gpu/kernel';
import {
  checkEven,
  checkGroupNorm,
  type ConcatShape,
  type GroupNormShape,
  type ImageShape,
} from '../../maths/learn/imageLayers';
import { bindOp, ELEMENTWISE_SIZE, flat, positive, record, uniform, type Op } from './ops';

/**
 * The lanes of a workgroup that sums one (sample, channel) plane: 64 keeps a 28 x 28 plane at 13
 * values a lane, and an 8 x 8 one at 1, without idling a 256-lane tree.
 */
export const PLANE_SIZE = 64;
/**
 * Lanes of GroupNorm's forward, one workgroup per (sample, group): 64 rather than REDUCE_SIZE's
 * 256, as its tree's barriers cost SwiftShader per lane (a forward of a small U-Net spent half
 * its time here at 256).
 */
export const GROUP_SIZE = 64;
/** Floats per (sample, group) in GroupNorm's statistics (STATS of shaders/lib/group_norm.wgsl). */
export const GROUP_NORM_STATS = 3;

export interface ImageKernels {
  groupNormForward: Kernel;
  groupNormSums: Kernel;
  groupNormBackward: Kernel;
  groupNormAffineGrads: Kernel;
  avgPoolDown: Kernel;
  avgPoolDownBackward: Kernel;
  upsampleNearest: Kernel;
  upsampleNearestBackward: Kernel;
  concatChannels: Kernel;
  splitChannels: Kernel;
  addPerChannel: Kernel;
  addPerChannelBackward: Kernel;
}

export async function compileImageKernels(
  device: GPUDevice,
  sources: ShaderSources,
): Promise<ImageKernels> {
  const k = (name: string, workgroupSize: number): Promise<Kernel> =>
    compileKernel(device, sources, `learn/${name}`, { workgroupSize });
  const [
    groupNormForward,
    groupNormSums,
    groupNormBackward,
    groupNormAffineGrads,
    avgPoolDown,
    avgPoolDownBackward,
    upsampleNearest,
    upsampleNearestBackward,
    concatChannels,
    splitChannels,
    addPerChannel,
    addPerChannelBackward,
  ] = await Promise.all([
    k('group_norm_forward', GROUP_SIZE),
    k('group_norm_sums', PLANE_SIZE),
    k('group_norm_backward', ELEMENTWISE_SIZE),
    k('group_norm_affine_grads', ELEMENTWISE_SIZE),
    k('avg_pool_down', ELEMENTWISE_SIZE),
    k('avg_pool_down_backward', ELEMENTWISE_SIZE),
    k('upsample_nearest', ELEMENTWISE_SIZE),
    k('upsample_nearest_backward', ELEMENTWISE_SIZE),
    k('concat_channels', ELEMENTWISE_SIZE),
    k('split_channels', ELEMENTWISE_SIZE),
    k('add_per_channel', ELEMENTWISE_SIZE),
    k('add_per_channel_backward', PLANE_SIZE),
  ]);
  return {
    groupNormForward,
    groupNormSums,
    groupNormBackward,
    groupNormAffineGrads,
    avgPoolDown,
    avgPoolDownBackward,
    upsampleNearest,
    upsampleNearestBackward,
    concatChannels,
    splitChannels,
    addPerChannel,
    addPerChannelBackward,
  };
}

/** One workgroup per item (a group, a plane), folded into 2D past the per-dimension limit. */
const perWorkgroup = (device: GPUDevice, count: number): [number, number] =>
  workgroups(count, 1, device.limits.maxComputeWorkgroupsPerDimension);

type Buffers<K extends string> = Record<K, GPUBuffer>;

/** A layer of one forward op and a list of backward ops, each recorded in turn. */
export interface ImageLayer<F extends string, B extends string> {
  forwardOp(b: Buffers<F>): Op;
  backwardOps(b: Buffers<B>): Op[];
  forward(pass: GPUComputePassEncoder, b: Buffers<F>): void;
  backward(pass: GPUComputePassEncoder, b: Buffers<B>): void;
  destroy(): void;
}

function layer<F extends string, B extends string>(
  forwardOp: (b: Buffers<F>) => Op,
  backwardOps: (b: Buffers<B>) => Op[],
  destroy: () => void,
): ImageLayer<F, B> {
  return {
    forwardOp,
    backwardOps,
    forward: (pass, b) => record(pass, forwardOp(b)),
    backward: (pass, b) => backwardOps(b).forEach((op) => record(pass, op)),
    destroy,
  };
}

export interface GroupNormLayer extends ImageLayer<
  'x' | 'params' | 'y' | 'stats',
  'x' | 'dy' | 'params' | 'stats' | 'sums' | 'grads' | 'dx'
> {
  readonly shape: GroupNormShape;
  /** Floats of `stats`: (pivot, shift, 1 / std) per (sample, group), written by the forward. */
  readonly statsFloats: number;
  /** Floats of the backward's scratch `sums`: (sum dy, sum dy xhat) per (sample, channel). */
  readonly sumsFloats: number;
}

/**
 * GroupNorm: forward one workgroup per (sample, group); backward in three dispatches, per-plane
 * sums (a workgroup per (sample, channel)), dx (one lane per value), then dgamma and dbeta (one
 * lane per channel, over the batch).
 */
export function createGroupNorm(
  device: GPUDevice,
  kernels: ImageKernels,
  shape: GroupNormShape,
): GroupNormLayer {
  checkGroupNorm(shape);
  const { batch, channels, groups, height, width, offset, eps } = shape;
  const pixels = height * width;
  const norm = uniform(device, kernels.groupNormForward, 'norm', {
    batch,
    channels,
    groups,
    pixels,
    offset,
    eps,
  });
  const count = batch * channels * pixels;
  const forwardOp: GroupNormLayer['forwardOp'] = (b) =>
    bindOp(device, kernels.groupNormForward, { norm, ...b }, perWorkgroup(device, batch * groups));
  const backwardOps: GroupNormLayer['backwardOps'] = ({
    x,
    dy,
    params,
    stats,
    sums,
    grads,
    dx,
  }) => [
    bindOp(
      device,
      kernels.groupNormSums,
      { norm, x, dy, stats, sums },
      perWorkgroup(device, batch * channels),
    ),
    bindOp(
      device,
      kernels.groupNormBackward,
      { norm, x, dy, params, stats, sums, dx },
      flat(device, count),
    ),
    bindOp(device, kernels.groupNormAffineGrads, { norm, sums, grads }, flat(device, channels)),
  ];
  return {
    shape,
    statsFloats: GROUP_NORM_STATS * batch * groups,
    sumsFloats: 2 * batch * channels,
    ...layer(forwardOp, backwardOps, () => norm.destroy()),
  };
}

/** 2x average-pool down-sampling of an image of `shape` (even height and width). */
export function createAvgPoolDown(
  device: GPUDevice,
  kernels: ImageKernels,
  shape: ImageShape,
): ImageLayer<'x' | 'y', 'dy' | 'dx'> {
  checkEven('avgPoolDown', shape);
  const planes = shape.batch * shape.channels;
  const { height, width } = shape;
  const size = uniform(device, kernels.avgPoolDown, 'size', { planes, height, width });
  const fine = planes * height * width;
  return layer(
    (b) => bindOp(device, kernels.avgPoolDown, { size, ...b }, flat(device, fine / 4)),
    (b) => [bindOp(device, kernels.avgPoolDownBackward, { size, ...b }, flat(device, fine))],
    () => size.destroy(),
  );
}

/** 2x nearest up-sampling of an image of `shape` (to 2 height x 2 width). */
export function createUpsampleNearest(
  device: GPUDevice,
  kernels: ImageKernels,
  shape: ImageShape,
): ImageLayer<'x' | 'y', 'dy' | 'dx'> {
  positive('upsampleNearest', { ...shape });
  const planes = shape.batch * shape.channels;
  const [height, width] = [2 * shape.height, 2 * shape.width];
  const size = uniform(device, kernels.upsampleNearest, 'size', { planes, height, width });
  const fine = planes * height * width;
  return layer(
    (b) => bindOp(device, kernels.upsampleNearest, { size, ...b }, flat(device, fine)),
    (b) => [
      bindOp(device, kernels.upsampleNearestBackward, { size, ...b }, flat(device, fine / 4)),
    ],
    () => size.destroy(),
  );
}

/** The skip concatenation y = [a ; b] along channels; backward: dy split into da and db. */
export function createConcatChannels(
  device: GPUDevice,
  kernels: ImageKernels,
  shape: ConcatShape,
): ImageLayer<'a' | 'b' | 'y', 'dy' | 'da' | 'db'> {
  positive('concatChannels', { ...shape });
  const { batch, pixels, channelsA, channelsB } = shape;
  const size = uniform(device, kernels.concatChannels, 'size', {
    batch,
    pixels,
    channels_a: channelsA,
    channels_b: channelsB,
  });
  const count = batch * (channelsA + channelsB) * pixels;
  return layer(
    (b) => bindOp(device, kernels.concatChannels, { size, ...b }, flat(device, count)),
    (b) => [bindOp(device, kernels.splitChannels, { size, ...b }, flat(device, count))],
    () => size.destroy(),
  );
}

/**
 * The time embedding added per channel, y = x + t[n, c]; backward to t only (dt, a workgroup per
 * plane): the gradient to x is dy itself.
 */
export function createAddPerChannel(
  device: GPUDevice,
  kernels: ImageKernels,
  shape: ImageShape,
): ImageLayer<'x' | 't' | 'y', 'dy' | 'dt'> {
  positive('addPerChannel', { ...shape });
  const planes = shape.batch * shape.channels;
  const pixels = shape.height * shape.width;
  const size = uniform(device, kernels.addPerChannel, 'size', { planes, pixels });
  return layer(
    (b) => bindOp(device, kernels.addPerChannel, { size, ...b }, flat(device, planes * pixels)),
    (b) => [
      bindOp(device, kernels.addPerChannelBackward, { size, ...b }, perWorkgroup(device, planes)),
    ],
    () => size.destroy(),
  );
}
