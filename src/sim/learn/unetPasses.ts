/**
 * The U-Net's passes on the GPU (issue 14): its plan (src/maths/learn/unet.ts) as ops of the
 * training engine, bound once. Every slot of the plan gets a buffer of batch x its size; the
 * forward records one layer per op of the plan; the backward runs the ops in reverse, each
 * writing its inputs' gradients into buffers of their own. A slot read by several ops (a res
 * block's input, a skip, silu of the time embedding) gets one gradient per reader, summed by
 * learn/add into one buffer before its own op's backward reads it; a gradient that passes
 * unchanged (a residual's, the per-channel add's to its image) is the same buffer, not a copy.
 * The float64 reference runs the same plan: src/maths/learn/unetPass.ts.
 *
 * Memory: every slot and every gradient has its own buffer (no reuse by liveness yet), about
 * 2 x the plan's slot floats x batch; the convolutions' weight gradients split their rows into
 * chunks side by side in one shared scratch buffer (splitRows), each layer adding its own.
 */
import { createBuffer } from '../../gpu/buffers';
import type { ShaderSources } from '../../gpu/kernel';
import { slotSize, type UNetOp, type UNetPlan } from '../../maths/learn/unet';
import { unetTurns } from '../../maths/learn/unetPass';
import { NORM_EPS } from '../../maths/learn/unet';
import { compileConvKernels, createConv3x3, splitRows, type ConvKernels } from './conv';
import {
  compileImageKernels,
  createAddPerChannel,
  createAvgPoolDown,
  createConcatChannels,
  createGroupNorm,
  createUpsampleNearest,
  type ImageKernels,
} from './imageLayers';
import {
  compileLearnKernels,
  createAdd,
  createEmbedding,
  createLinear,
  createSilu,
  type LearnKernels,
  type Op,
} from './layers';
import { splitBatch } from './ops';

export interface UNetKernels {
  learn: LearnKernels;
  conv: ConvKernels;
  image: ImageKernels;
}

export async function compileUNetKernels(
  device: GPUDevice,
  sources: ShaderSources,
): Promise<UNetKernels> {
  const [learn, conv, image] = await Promise.all([
    compileLearnKernels(device, sources),
    compileConvKernels(device, sources),
    compileImageKernels(device, sources),
  ]);
  return { learn, conv, image };
}

const storage = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export interface UNetPasses {
  /**
   * The slots' values: 'x' (the c_in-scaled images), 'tau' and (class-conditional) 'label' are the
   * inputs, written by the caller.
   */
  readonly values: ReadonlyMap<string, GPUBuffer>;
  /** The output's gradient, written by the caller (the loss) before the backward. */
  readonly dOut: GPUBuffer;
  readonly forward: Op[];
  /** Into `grads`, every parameter's gradient overwritten. */
  readonly backward: Op[];
  /** Each slot's gradient, its readers' contributions summed (for checks and inspection). */
  readonly gradients: ReadonlyMap<string, GPUBuffer>;
  /** Per op of the plan that has a backward, in the order run: its dy and what it wrote. */
  readonly trace: readonly { op: UNetOp; dy: GPUBuffer; into: [string, GPUBuffer][] }[];
  /** Each slot's contributions, one per reader, in the order they were made. */
  readonly contributions: ReadonlyMap<string, readonly GPUBuffer[]>;
  destroy(): void;
}

/**
 * Binds the plan's forward and backward over a batch, reading `params`, writing `grads`; with
 * `grads` null, the forward alone (sampling, evaluation): no gradient buffers are made.
 */
export function createUNetPasses(
  device: GPUDevice,
  kernels: UNetKernels,
  plan: UNetPlan,
  batch: number,
  params: GPUBuffer,
  grads: GPUBuffer | null,
): UNetPasses {
  const owned: { destroy(): void }[] = [];
  const own = <T extends { destroy(): void }>(o: T): T => (owned.push(o), o);
  const floats = (label: string, n: number, data?: Float32Array<ArrayBuffer>): GPUBuffer =>
    own(
      createBuffer(device, {
        label,
        size: data ? 0 : 4 * Math.max(1, n),
        usage: storage(),
        ...(data ? { data } : {}),
      }),
    );
  const size = (slot: string): number => batch * slotSize(plan.slots.get(slot)!);
  const image = (slot: string) => ({ batch, ...plan.slots.get(slot)! });
  const values = new Map<string, GPUBuffer>();
  for (const slot of plan.slots.keys()) values.set(slot, floats(slot, size(slot)));
  const v = (slot: string): GPUBuffer => values.get(slot)!;

  // The convolutions' weight gradients in chunks: one scratch buffer for the largest split.
  const convSplit = (o: Extract<UNetOp, { op: 'conv' }>) => {
    const s = image(o.x);
    return splitRows(batch * s.height, s.width, plan.parameters);
  };
  const mostSplits = Math.max(
    1,
    ...plan.ops.map((o) => (o.op === 'conv' ? convSplit(o).splits : 1)),
    ...plan.ops.map((o) => (o.op === 'linear' ? splitBatch(batch, plan.parameters).splits : 1)),
  );
  const partials =
    grads && mostSplits > 1 ? floats('weight partials', mostSplits * plan.parameters) : null;
  const split = (s: { splits: number; chunk: number }) =>
    s.splits > 1 && partials ? { ...s, slice: plan.parameters, partials, reduce: true } : undefined;

  /** The gradient's buffer: asked for only by a backward, which a forward-only binding never runs. */
  const into = (): GPUBuffer => {
    if (!grads) throw new Error('U-Net passes: a backward needs a gradient buffer');
    return grads;
  };
  // Slots that are data, not functions of the parameters: no gradient is made for them.
  // (A class-conditional network's 'label' one-hot is an input; its join to the level's embedding
  // is a function of data only.)
  const data = new Set(['x', 'tau', 'label']);
  for (const o of plan.ops)
    if (o.op === 'embed' || (o.op === 'concat' && data.has(o.a) && data.has(o.b))) data.add(o.y);
  const forward: Op[] = [];
  /** Per op, the backward as a function of its output's gradient (null: no backward). */
  const backwardOf: ((dy: GPUBuffer) => { ops: Op[]; into: [string, GPUBuffer][] })[] = [];
  for (const o of plan.ops) {
    switch (o.op) {
      case 'embed': {
        const shape = { batch, inStride: 1, column: 0, outStride: 2 * o.frequencies, outOffset: 0 };
        const layer = own(createEmbedding(device, kernels.learn, shape, o.frequencies));
        const turns = floats('time turns', o.frequencies, unetTurns(o.frequencies));
        forward.push(layer.forwardOp({ s: v('tau'), turns, out: v(o.y) }));
        backwardOf.push(() => ({ ops: [], into: [] }));
        break;
      }
      case 'linear': {
        const shape = { batch, inputs: o.inputs, outputs: o.outputs, offset: o.offset };
        const layer = own(
          createLinear(device, kernels.learn, shape, split(splitBatch(batch, plan.parameters))),
        );
        forward.push(layer.forwardOp({ x: v(o.x), params, y: v(o.y) }));
        backwardOf.push((dy) => {
          const dx = data.has(o.x) ? undefined : floats(`d ${o.x} (${o.name})`, size(o.x));
          return {
            ops: layer.backwardOps({ x: v(o.x), dy, params, grads: into(), ...(dx ? { dx } : {}) }),
            into: dx ? [[o.x, dx]] : [],
          };
        });
        break;
      }
      case 'silu': {
        const layer = own(createSilu(device, kernels.learn, size(o.x)));
        forward.push(layer.forwardOp({ x: v(o.x), y: v(o.y) }));
        backwardOf.push((dy) => {
          const dx = floats(`d ${o.x} (silu)`, size(o.x));
          return { ops: [layer.backwardOp({ x: v(o.x), dy, dx })], into: [[o.x, dx]] };
        });
        break;
      }
      case 'conv': {
        const s = image(o.x);
        const shape = {
          batch,
          channelsIn: o.cin,
          channelsOut: o.cout,
          height: s.height,
          width: s.width,
          offset: o.offset,
        };
        const layer = own(createConv3x3(device, kernels.conv, shape, split(convSplit(o))));
        forward.push(layer.forwardOp({ x: v(o.x), params, y: v(o.y) }));
        backwardOf.push((dy) => {
          // The first convolution's input is the image: no gradient needed there.
          const dx = data.has(o.x) ? undefined : floats(`d ${o.x} (${o.name})`, size(o.x));
          return {
            ops: layer.backwardOps({ x: v(o.x), dy, params, grads: into(), ...(dx ? { dx } : {}) }),
            into: dx ? [[o.x, dx]] : [],
          };
        });
        break;
      }
      case 'norm': {
        const shape = { ...image(o.x), groups: o.groups, offset: o.offset, eps: NORM_EPS };
        const layer = own(createGroupNorm(device, kernels.image, shape));
        const stats = floats(`${o.name} stats`, layer.statsFloats);
        const sums = floats(`${o.name} sums`, layer.sumsFloats);
        forward.push(layer.forwardOp({ x: v(o.x), params, y: v(o.y), stats }));
        backwardOf.push((dy) => {
          const dx = floats(`d ${o.x} (${o.name})`, size(o.x));
          return {
            ops: layer.backwardOps({ x: v(o.x), dy, params, stats, sums, grads: into(), dx }),
            into: [[o.x, dx]],
          };
        });
        break;
      }
      case 'addChannel': {
        const layer = own(createAddPerChannel(device, kernels.image, image(o.x)));
        forward.push(layer.forwardOp({ x: v(o.x), t: v(o.t), y: v(o.y) }));
        backwardOf.push((dy) => {
          const dt = floats(`d ${o.t}`, size(o.t));
          return {
            ops: layer.backwardOps({ dy, dt }),
            into: [
              [o.x, dy],
              [o.t, dt],
            ],
          };
        });
        break;
      }
      case 'add': {
        const layer = own(createAdd(device, kernels.learn, size(o.y)));
        forward.push(layer.op({ a: v(o.a), b: v(o.b), y: v(o.y) }));
        backwardOf.push((dy) => ({
          ops: [],
          into: [
            [o.a, dy],
            [o.b, dy],
          ],
        }));
        break;
      }
      case 'down':
      case 'up': {
        // A 2x resampling: its backward reads only dy.
        const create = o.op === 'down' ? createAvgPoolDown : createUpsampleNearest;
        const layer = own(create(device, kernels.image, image(o.x)));
        forward.push(layer.forwardOp({ x: v(o.x), y: v(o.y) }));
        backwardOf.push((dy) => {
          const dx = floats(`d ${o.x} (${o.op})`, size(o.x));
          return { ops: layer.backwardOps({ dy, dx }), into: [[o.x, dx]] };
        });
        break;
      }
      case 'concat': {
        const a = image(o.a);
        const shape = {
          batch,
          pixels: a.height * a.width,
          channelsA: a.channels,
          channelsB: image(o.b).channels,
        };
        const layer = own(createConcatChannels(device, kernels.image, shape));
        forward.push(layer.forwardOp({ a: v(o.a), b: v(o.b), y: v(o.y) }));
        backwardOf.push((dy) => {
          const da = floats(`d ${o.a} (concat)`, size(o.a));
          const db = floats(`d ${o.b} (concat)`, size(o.b));
          return {
            ops: layer.backwardOps({ dy, da, db }),
            into: [
              [o.a, da],
              [o.b, db],
            ],
          };
        });
        break;
      }
    }
  }

  // Backward: each op once every reader of its output has given its gradient.
  const dOut = floats('d out', grads ? size(plan.output) : 1);
  const contributions = new Map<string, GPUBuffer[]>([[plan.output, [dOut]]]);
  const backward: Op[] = [];
  const gradients = new Map<string, GPUBuffer>();
  const trace: UNetPasses['trace'][number][] = [];
  const gradientOf = (slot: string): GPUBuffer | null => {
    const list = contributions.get(slot);
    if (!list?.length) return null;
    let total = list[0]!;
    for (const next of list.slice(1)) {
      const sum = floats(`d ${slot} (sum)`, size(slot));
      const add = own(createAdd(device, kernels.learn, size(slot)));
      backward.push(add.op({ a: total, b: next, y: sum }));
      total = sum;
    }
    gradients.set(slot, total);
    return total;
  };
  for (let k = grads ? plan.ops.length - 1 : -1; k >= 0; k--) {
    const o = plan.ops[k]!;
    if (data.has(o.y)) continue;
    const dy = gradientOf(o.y);
    if (!dy) continue;
    const { ops, into } = backwardOf[k]!(dy);
    backward.push(...ops);
    trace.push({ op: o, dy, into });
    for (const [slot, g] of into) contributions.set(slot, [...(contributions.get(slot) ?? []), g]);
  }
  return {
    values,
    dOut,
    forward,
    backward,
    gradients,
    trace,
    contributions,
    destroy: () => {
      for (const o of owned) o.destroy();
      owned.length = 0;
    },
  };
}
