/**
 * Float64 references of the element-wise kernels shaders/learn/silu.wgsl, silu_backward.wgsl,
 * gelu.wgsl and gelu_backward.wgsl: SiLU y = x sigmoid(x) (Elfwing, Uchibe & Doya 2018) and its
 * derivative sigmoid(x) (1 + x (1 - sigmoid(x))); GELU in its tanh form (Hendrycks & Gimpel 2016;
 * PyTorch's GELU(approximate='tanh')) and its derivative.
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

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
/** u = sqrt(2 / pi) (x + 0.044715 x^3), the argument of GELU's tanh. */
const geluU = (x: number): number => GELU_C * (x + GELU_A * x * x * x);

/**
 * y = x (1 + tanh u) / 2, written as x sigmoid(2u) (the same function): 1 + tanh u would cancel
 * for x << 0 in float64 too (all digits gone by x ~ -7), and the kernel is accurate there.
 */
export function gelu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => v * sigmoid(2 * geluU(v)));
}

/**
 * dL/dx from dL/dy and the layer's input x: dy (s + 2 x s (1 - s) du/dx) with s = sigmoid(2u),
 * 1 - s = sigmoid(-2u) and du/dx = sqrt(2 / pi) (1 + 3 0.044715 x^2).
 */
export function geluBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const u = geluU(v);
    const s = sigmoid(2 * u);
    const du = GELU_C * (1 + 3 * GELU_A * v * v);
    return dy[i]! * (s + 2 * v * s * sigmoid(-2 * u) * du);
  });
}
