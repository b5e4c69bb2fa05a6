/**
 * Float64 references of the element-wise kernels shaders/learn/silu.wgsl and
 * silu_backward.wgsl: SiLU y = x sigmoid(x) (Elfwing, Uchibe & Doya 2018) and its derivative
 * sigmoid(x) (1 + x (1 - sigmoid(x))).
 */
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function silu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => v * sigmoid(v));
}

/** dL/dx from dL/dy and the layer's input x. */
export function siluBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const s = sigmoid(v);
    return dy[i]! * s * (1 + v * (1 - s));
  });
}
