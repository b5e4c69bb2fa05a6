/**
 * A tiny MLP assembled from the float64 layer references, for finite-difference checks of the
 * backward passes as they chain: embed each input column -> linear -> SiLU -> linear -> weighted
 * MSE. Parameters in one flat array, the first layer's then the second's (./linear.ts layout).
 */
import { silu, siluBackward } from './activations';
import { embed } from './embedding';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  linearParameters,
  type LinearShape,
} from './linear';
import { mseLoss } from './loss';

export interface TinyMlp {
  batch: number;
  /** Input columns (x, y, t), each embedded with `turns`. */
  columns: number;
  turns: ArrayLike<number>;
  hidden: number;
  outputs: number;
  /** batch x columns inputs, batch x outputs targets, batch row weights. */
  inputs: ArrayLike<number>;
  target: ArrayLike<number>;
  weight: ArrayLike<number>;
}

/** The two linear layers' shapes: embedded width -> hidden -> outputs. */
export function tinyMlpShapes(net: TinyMlp): [LinearShape, LinearShape] {
  const width = 2 * net.turns.length * net.columns;
  const first = { batch: net.batch, inputs: width, outputs: net.hidden, offset: 0 };
  const second = {
    batch: net.batch,
    inputs: net.hidden,
    outputs: net.outputs,
    offset: linearParameters(width, net.hidden),
  };
  return [first, second];
}

export function tinyMlpParameters(net: TinyMlp): number {
  const [, second] = tinyMlpShapes(net);
  return second.offset + linearParameters(second.inputs, second.outputs);
}

function embedAll(net: TinyMlp, width: number): Float64Array {
  const e = new Float64Array(net.batch * width);
  for (let c = 0; c < net.columns; c++)
    embed(
      {
        batch: net.batch,
        inStride: net.columns,
        column: c,
        outStride: width,
        outOffset: 2 * net.turns.length * c,
      },
      net.inputs,
      net.turns,
      e,
    );
  return e;
}

/** Every intermediate of one forward and backward pass, for error models of the GPU's. */
export interface TinyMlpPass {
  /** Embedded inputs, hidden pre-activations, activations, predictions (row-major). */
  e: Float64Array;
  h: Float64Array;
  a: Float64Array;
  pred: Float64Array;
  /** dL/dpred, dL/da, dL/dh. */
  dPred: Float64Array;
  da: Float64Array;
  dh: Float64Array;
  loss: number;
  /** dL/dparams, in the layout of the parameters. */
  grad: Float64Array;
}

export function tinyMlpPass(net: TinyMlp, params: ArrayLike<number>): TinyMlpPass {
  const [first, second] = tinyMlpShapes(net);
  const e = embedAll(net, first.inputs);
  const h = linearForward(first, e, params);
  const a = silu(h);
  const pred = linearForward(second, a, params);
  const { loss, grad: dPred } = mseLoss(net.batch, net.outputs, pred, net.target, net.weight);
  const grad = new Float64Array(tinyMlpParameters(net));
  linearBackwardWeight(second, a, dPred, grad);
  const da = linearBackwardInput(second, dPred, params);
  const dh = siluBackward(h, da);
  linearBackwardWeight(first, e, dh, grad);
  return { e, h, a, pred, dPred, da, dh, loss, grad };
}

/** The loss and its gradient with respect to the flat parameters, by the layers' backward passes. */
export function tinyMlpLoss(
  net: TinyMlp,
  params: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  const { loss, grad } = tinyMlpPass(net, params);
  return { loss, grad };
}
