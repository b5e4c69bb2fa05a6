/**
 * What the training engine's layers share (./layers.ts, ./optimiser.ts): their workgroup sizes,
 * uniforms laid out from the WGSL, and ops, dispatches bound once and replayed every step.
 */
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { bindKernel, workgroups, type Kernel } from '../../gpu/kernel';

/** The tile edge of shaders/lib/matmul.wgsl: the linear kernels run TILE * TILE lanes. */
export const TILE = 16;
export const ELEMENTWISE_SIZE = 256;
export const REDUCE_SIZE = 256;
/** The kernels that read the trainer's step table (lib/train_step.wgsl) at a dynamic offset. */
export const STEP_TABLE_KERNELS = new Set(['adamw', 'adamw_ema', 'sample_batch']);
/** Most workgroups of a reduction's first pass (the loss, the gradient norm). */
export const MAX_REDUCE_GROUPS = 256;

type UniformValues = Record<string, number>;

/**
 * A uniform buffer holding `variable` of the kernel's WGSL, laid out by reflection, from values
 * naming every field of its struct and no other (a misspelt name would otherwise leave a 0).
 */
export function uniform(
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
  /** Workgroups along x and y, and along z where given (the weights' gradient's batch splits). */
  readonly groups: readonly [number, number] | readonly [number, number, number];
  readonly dynamic: boolean;
}

export function bindOp(
  device: GPUDevice,
  kernel: Kernel,
  buffers: Readonly<Record<string, GPUBuffer | GPUBufferBinding>>,
  groups: Op['groups'],
): Op {
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups.some((g) => g > limit))
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
  pass.dispatchWorkgroups(op.groups[0], op.groups[1], op.groups[2] ?? 1);
}

/** Element-wise dispatch over `count` values (2D past the per-dimension limit). */
export const flat = (device: GPUDevice, count: number): [number, number] =>
  workgroups(count, ELEMENTWISE_SIZE, device.limits.maxComputeWorkgroupsPerDimension);

/**
 * Rows of the batch one lane of the weights' gradient sums (learn/linear_backward_weight): a
 * longer batch is split into chunks summed by separate workgroups (along z), then added in
 * order (learn/grad_reduce). On a GPU the sum over the batch is a chain of dependent loads: at
 * batch 4096 it left most of an H100 idle (171 steps/s for the default net).
 */
export const WEIGHT_CHUNK = 64;
/** Most chunks, and most floats in the chunks' partial gradients (32 MiB). */
export const MAX_WEIGHT_SPLITS = 64;
export const MAX_SPLIT_FLOATS = 2 ** 23;

/**
 * How the weights' gradient splits a batch for a model of `count` parameters: `splits` chunks of
 * `chunk` rows (the last one shorter), each non-empty; one chunk (no split) up to WEIGHT_CHUNK.
 */
export function splitBatch(batch: number, count: number): { splits: number; chunk: number } {
  const wanted = Math.ceil(batch / WEIGHT_CHUNK);
  const most = Math.min(wanted, MAX_WEIGHT_SPLITS, Math.floor(MAX_SPLIT_FLOATS / count));
  const chunk = Math.ceil(batch / Math.max(1, most));
  return { splits: Math.ceil(batch / chunk), chunk };
}

export const tiles = (n: number, m: number): [number, number] => [
  Math.ceil(n / TILE),
  Math.ceil(m / TILE),
];

export function positive(what: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values))
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} = ${v}`);
}
