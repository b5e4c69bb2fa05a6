/**
 * Float64 references of the optimiser kernels over flat parameter arrays: AdamW
 * (shaders/learn/adamw.wgsl; Loshchilov & Hutter 2019, in the order of torch.optim.AdamW), an
 * exponential moving average of the weights (shaders/learn/ema.wgsl) and the gradient norm's
 * clipping factor (shaders/learn/grad_norm.wgsl, grad_clip.wgsl).
 */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAM: AdamHyper = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
};

/** The bias corrections 1 / (1 - b1^t), 1 / (1 - b2^t) of step t >= 1, in float64. */
export function adamCorrections(h: AdamHyper, step: number): [number, number] {
  if (!Number.isInteger(step) || step < 1) throw new Error(`AdamW: step ${step} is not >= 1`);
  return [1 / -Math.expm1(step * Math.log(h.beta1)), 1 / -Math.expm1(step * Math.log(h.beta2))];
}

/** One AdamW step t (1, 2, ...) in place on p, m and v from the gradient g. */
export function adamwStep(
  h: AdamHyper,
  step: number,
  p: Float64Array,
  g: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
): void {
  const [c1, c2] = adamCorrections(h, step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
    p[i] =
      (1 - h.lr * h.weightDecay) * p[i]! - (h.lr * m[i]! * c1) / (Math.sqrt(v[i]! * c2) + h.eps);
  }
}

/** e += (1 - decay) (p - e), in place. */
export function emaStep(decay: number, p: ArrayLike<number>, e: Float64Array): void {
  for (let i = 0; i < e.length; i++) e[i] = e[i]! + (1 - decay) * (p[i]! - e[i]!);
}

/**
 * The gradient's norm |g| and torch.nn.utils.clip_grad_norm_'s factor for it:
 * scale = min(1, maxNorm / (|g| + 1e-6)), or 1 when maxNorm is not a finite positive number.
 */
export function clipScale(
  grads: ArrayLike<number>,
  maxNorm: number,
): { norm: number; scale: number } {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i]! * grads[i]!;
  const norm = Math.sqrt(sum);
  const clipping = Number.isFinite(maxNorm) && maxNorm > 0;
  return { norm, scale: clipping ? Math.min(1, maxNorm / (norm + 1e-6)) : 1 };
}
