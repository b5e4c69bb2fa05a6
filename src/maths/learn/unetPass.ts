/**
 * The U-Net's forward and backward passes in float64 (issue 14's reference), by running its plan
 * (./unet.ts): forward through the ops in order, each slot's value kept; backward through them in
 * reverse, each op adding its inputs' gradients into theirs (a slot read twice, like a res
 * block's input or a skip, gets the sum). The loss is the weighted MSE over every value of an
 * image, averaged over the values and the batch: L = sum_n w_n sum_j (out - goal)^2 / (N P).
 */
import { silu, siluBackward } from './activations';
import {
  conv3x3BackwardInput,
  conv3x3BackwardWeight,
  conv3x3Forward,
  type ConvShape,
} from './conv';
import { embed, transformerTurns } from './embedding';
import {
  addPerChannel,
  addPerChannelBackward,
  avgPoolDown,
  avgPoolDownBackward,
  concatChannels,
  groupNormBackward,
  groupNormForward,
  splitChannels,
  upsampleNearest,
  upsampleNearestBackward,
  type GroupNormShape,
  type ImageShape,
} from './imageLayers';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  type LinearShape,
} from './linear';
import { NO_CLASS, T_SCALE } from './network';
import { NORM_EPS, slotSize, unetClasses, type UNetOp, type UNetPlan } from './unet';

export interface UNetPass {
  /** Every slot's value over the batch, by name ('x' and 'tau' included). */
  values: Map<string, Float64Array>;
  out: Float64Array;
}

/** The time embedding's frequencies in turns (scale 1000, as the 2D network's tau). */
export const unetTurns = (frequencies: number): Float32Array<ArrayBuffer> =>
  transformerTurns(frequencies, T_SCALE);

function shapes(plan: UNetPlan, o: UNetOp, batch: number) {
  const image = (slot: string): ImageShape => ({ batch, ...plan.slots.get(slot)! });
  const conv = (x: string, cout: number, offset: number): ConvShape => {
    const s = image(x);
    return {
      batch,
      channelsIn: s.channels,
      channelsOut: cout,
      height: s.height,
      width: s.width,
      offset,
    };
  };
  const norm = (x: string, groups: number, offset: number): GroupNormShape => ({
    ...image(x),
    groups,
    offset,
    eps: NORM_EPS,
  });
  const linear = (inputs: number, outputs: number, offset: number): LinearShape => ({
    batch,
    inputs,
    outputs,
    offset,
  });
  return { image, conv, norm, linear, o };
}

/** The one-hot rows of `labels` (NO_CLASS, or past the end: a row of zeros). */
export function oneHot(labels: ArrayLike<number>, batch: number, classes: number): Float64Array {
  const out = new Float64Array(batch * classes);
  for (let r = 0; r < Math.min(batch, labels.length); r++) {
    const l = labels[r]!;
    if (l !== NO_CLASS) out[r * classes + l] = 1;
  }
  return out;
}

/** The network's output for a batch of images `x` (N x P, already scaled by c_in) at levels tau. */
export function unetForward(
  plan: UNetPlan,
  params: ArrayLike<number>,
  x: ArrayLike<number>,
  tau: ArrayLike<number>,
  batch: number,
  labels?: ArrayLike<number>,
): UNetPass {
  const values = new Map<string, Float64Array>([
    ['x', Float64Array.from(x)],
    ['tau', Float64Array.from(tau)],
  ]);
  const C = unetClasses(plan.arch);
  if (C) values.set('label', oneHot(labels ?? [], batch, C));
  const v = (s: string): Float64Array => values.get(s)!;
  for (const o of plan.ops) {
    const s = shapes(plan, o, batch);
    switch (o.op) {
      case 'embed': {
        const e = new Float64Array(batch * 2 * o.frequencies);
        const shape = { batch, inStride: 1, column: 0, outStride: 2 * o.frequencies, outOffset: 0 };
        embed(shape, v('tau'), unetTurns(o.frequencies), e);
        values.set(o.y, e);
        break;
      }
      case 'linear':
        values.set(o.y, linearForward(s.linear(o.inputs, o.outputs, o.offset), v(o.x), params));
        break;
      case 'silu':
        values.set(o.y, silu(v(o.x)));
        break;
      case 'conv':
        values.set(o.y, conv3x3Forward(s.conv(o.x, o.cout, o.offset), v(o.x), params));
        break;
      case 'norm':
        values.set(o.y, groupNormForward(s.norm(o.x, o.groups, o.offset), v(o.x), params));
        break;
      case 'addChannel':
        values.set(o.y, addPerChannel(s.image(o.x), v(o.x), v(o.t)));
        break;
      case 'add':
        values.set(
          o.y,
          v(o.a).map((a, i) => a + v(o.b)[i]!),
        );
        break;
      case 'down':
        values.set(o.y, avgPoolDown(s.image(o.x), v(o.x)));
        break;
      case 'up':
        values.set(o.y, upsampleNearest(s.image(o.x), v(o.x)));
        break;
      case 'concat': {
        const a = s.image(o.a);
        const shape = {
          batch,
          pixels: a.height * a.width,
          channelsA: a.channels,
          channelsB: s.image(o.b).channels,
        };
        values.set(o.y, concatChannels(shape, v(o.a), v(o.b)));
        break;
      }
    }
  }
  return { values, out: v(plan.output) };
}

/**
 * The loss of a batch and its gradient with respect to every parameter (and, for the checks,
 * to the input image): forward, the weighted MSE, backward through the plan in reverse.
 */
export function unetLoss(
  plan: UNetPlan,
  params: ArrayLike<number>,
  b: {
    x: ArrayLike<number>;
    tau: ArrayLike<number>;
    goal: ArrayLike<number>;
    weight: ArrayLike<number>;
    /** Each image's class (NO_CLASS or none: no class), for a class-conditional network. */
    labels?: ArrayLike<number>;
  },
  batch: number,
): { loss: number; grad: Float64Array; dx: Float64Array; pass: UNetPass } {
  const pass = unetForward(plan, params, b.x, b.tau, batch, b.labels);
  const P = slotSize(plan.slots.get(plan.output)!);
  const scale = 1 / (batch * P);
  let loss = 0;
  const dOut = new Float64Array(batch * P);
  for (let n = 0; n < batch; n++)
    for (let j = 0; j < P; j++) {
      const d = pass.out[n * P + j]! - b.goal[n * P + j]!;
      loss += b.weight[n]! * d * d * scale;
      dOut[n * P + j] = 2 * b.weight[n]! * d * scale;
    }
  const grad = new Float64Array(plan.parameters);
  const grads = new Map<string, Float64Array>([[plan.output, dOut]]);
  const v = (s: string): Float64Array => pass.values.get(s)!;
  const into = (slot: string, g: Float64Array): void => {
    const have = grads.get(slot);
    if (!have) grads.set(slot, g);
    else for (let i = 0; i < g.length; i++) have[i] = have[i]! + g[i]!;
  };
  for (let k = plan.ops.length - 1; k >= 0; k--) {
    const o = plan.ops[k]!;
    if (o.op === 'embed') continue; // tau is data: nothing to learn below the embedding
    const dy = grads.get(o.y);
    if (!dy) continue; // an output nothing downstream reads (none in this plan)
    const s = shapes(plan, o, batch);
    switch (o.op) {
      case 'linear': {
        const shape = s.linear(o.inputs, o.outputs, o.offset);
        linearBackwardWeight(shape, v(o.x), dy, grad);
        into(o.x, linearBackwardInput(shape, dy, params));
        break;
      }
      case 'silu':
        into(o.x, siluBackward(v(o.x), dy));
        break;
      case 'conv': {
        const shape = s.conv(o.x, o.cout, o.offset);
        conv3x3BackwardWeight(shape, v(o.x), dy, grad);
        into(o.x, conv3x3BackwardInput(shape, dy, params));
        break;
      }
      case 'norm':
        into(o.x, groupNormBackward(s.norm(o.x, o.groups, o.offset), v(o.x), dy, params, grad));
        break;
      case 'addChannel': {
        const { dx, dt } = addPerChannelBackward(s.image(o.x), dy);
        into(o.x, dx);
        into(o.t, dt);
        break;
      }
      case 'add':
        into(o.a, Float64Array.from(dy));
        into(o.b, Float64Array.from(dy));
        break;
      case 'down':
        into(o.x, avgPoolDownBackward(s.image(o.x), dy));
        break;
      case 'up':
        into(o.x, upsampleNearestBackward(s.image(o.x), dy));
        break;
      case 'concat': {
        const a = s.image(o.a);
        const shape = {
          batch,
          pixels: a.height * a.width,
          channelsA: a.channels,
          channelsB: s.image(o.b).channels,
        };
        const { da, db } = splitChannels(shape, dy);
        into(o.a, da);
        into(o.b, db);
        break;
      }
    }
  }
  return { loss, grad, dx: grads.get('x') ?? new Float64Array(b.x.length), pass };
}
