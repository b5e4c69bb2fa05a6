/**
 * Float64 reference of the linear layer of shaders/learn/linear_*.wgsl over a batch of row-major
 * rows: Y = X W^T + b, W (outputs x inputs, row-major); backward dX = dY W, dW = dY^T X and
 * db = sum over the batch of dY. Parameters in one flat array: W from `offset`, then b.
 */
export interface LinearShape {
  batch: number;
  inputs: number;
  outputs: number;
  /** Where W starts in the flat parameter array; b follows it. */
  offset: number;
}

/** Parameters of a linear layer: outputs x inputs weights and outputs biases. */
export const linearParameters = (inputs: number, outputs: number): number =>
  outputs * inputs + outputs;

export function linearForward(
  s: LinearShape,
  x: ArrayLike<number>,
  params: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(s.batch * s.outputs);
  const bias = s.offset + s.outputs * s.inputs;
  for (let r = 0; r < s.batch; r++)
    for (let o = 0; o < s.outputs; o++) {
      let acc = 0;
      for (let i = 0; i < s.inputs; i++)
        acc += x[r * s.inputs + i]! * params[s.offset + o * s.inputs + i]!;
      y[r * s.outputs + o] = acc + params[bias + o]!;
    }
  return y;
}

/** dX (batch x inputs) from dY (batch x outputs). */
export function linearBackwardInput(
  s: LinearShape,
  dy: ArrayLike<number>,
  params: ArrayLike<number>,
): Float64Array {
  const dx = new Float64Array(s.batch * s.inputs);
  for (let r = 0; r < s.batch; r++)
    for (let i = 0; i < s.inputs; i++) {
      let acc = 0;
      for (let o = 0; o < s.outputs; o++)
        acc += dy[r * s.outputs + o]! * params[s.offset + o * s.inputs + i]!;
      dx[r * s.inputs + i] = acc;
    }
  return dx;
}

/** dW and db, written into `grads` at the layer's offset (the layout of the parameters). */
export function linearBackwardWeight(
  s: LinearShape,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  grads: Float64Array,
): void {
  const bias = s.offset + s.outputs * s.inputs;
  for (let o = 0; o < s.outputs; o++) {
    for (let i = 0; i < s.inputs; i++) {
      let acc = 0;
      for (let r = 0; r < s.batch; r++) acc += dy[r * s.outputs + o]! * x[r * s.inputs + i]!;
      grads[s.offset + o * s.inputs + i] = acc;
    }
    let acc = 0;
    for (let r = 0; r < s.batch; r++) acc += dy[r * s.outputs + o]!;
    grads[bias + o] = acc;
  }
}
