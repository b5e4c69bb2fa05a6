/**
 * Float64 references of the denoiser kernels (shaders/denoise_*.wgsl): x0_hat = E[x0 | x_t] and
 * the energy U = -log p_t(x) at level (alpha, sigma). Formulas: ../shared/docs/maths.md section 2.
 */
import type { Mixture } from './datasets';

export interface Denoised {
  x0hat: Float64Array;
  energy: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Exact posterior mean of a Gaussian mixture, for points x (interleaved). */
export function denoiseMixture(
  x: ArrayLike<number>,
  mixture: Mixture,
  alpha: number,
  sigma: number,
): Denoised {
  const n = x.length / 2;
  const x0hat = new Float64Array(2 * n);
  const energy = new Float64Array(n);
  const s2 = sigma * sigma;
  const logits = new Float64Array(mixture.components.length);
  const means = new Float64Array(2 * mixture.components.length);
  for (let i = 0; i < n; i++) {
    const px = x[2 * i]!;
    const py = x[2 * i + 1]!;
    let max = -Infinity;
    mixture.components.forEach((c, k) => {
      const [sxx, sxy, syy] = c.cov;
      const cxx = alpha * alpha * sxx + s2;
      const cxy = alpha * alpha * sxy;
      const cyy = alpha * alpha * syy + s2;
      const det = cxx * cyy - cxy * cxy;
      const rx = px - alpha * c.mean[0];
      const ry = py - alpha * c.mean[1];
      const ux = (cyy * rx - cxy * ry) / det;
      const uy = (cxx * ry - cxy * rx) / det;
      const logit = Math.log(c.weight) - 0.5 * (rx * ux + ry * uy) - 0.5 * Math.log(det) - LOG_2PI;
      logits[k] = logit;
      max = Math.max(max, logit);
      means[2 * k] = c.mean[0] + alpha * (sxx * ux + sxy * uy);
      means[2 * k + 1] = c.mean[1] + alpha * (sxy * ux + syy * uy);
    });
    let sum = 0;
    let ax = 0;
    let ay = 0;
    for (let k = 0; k < logits.length; k++) {
      const w = Math.exp(logits[k]! - max);
      sum += w;
      ax += w * means[2 * k]!;
      ay += w * means[2 * k + 1]!;
    }
    x0hat[2 * i] = ax / sum;
    x0hat[2 * i + 1] = ay / sum;
    energy[i] = -(max + Math.log(sum));
  }
  return { x0hat, energy };
}

/** The ideal denoiser over stored points: softmax over logit_j = -|x - alpha y_j|^2 / (2 sigma^2). */
export function denoiseEmpirical(
  x: ArrayLike<number>,
  data: ArrayLike<number>,
  alpha: number,
  sigma: number,
): Denoised {
  const n = x.length / 2;
  const m = data.length / 2;
  const x0hat = new Float64Array(2 * n);
  const energy = new Float64Array(n);
  const inv = 1 / (2 * sigma * sigma);
  const logits = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const px = x[2 * i]!;
    const py = x[2 * i + 1]!;
    let max = -Infinity;
    for (let j = 0; j < m; j++) {
      const dx = px - alpha * data[2 * j]!;
      const dy = py - alpha * data[2 * j + 1]!;
      const logit = -(dx * dx + dy * dy) * inv;
      logits[j] = logit;
      if (logit > max) max = logit;
    }
    let sum = 0;
    let ax = 0;
    let ay = 0;
    for (let j = 0; j < m; j++) {
      const w = Math.exp(logits[j]! - max);
      sum += w;
      ax += w * data[2 * j]!;
      ay += w * data[2 * j + 1]!;
    }
    x0hat[2 * i] = ax / sum;
    x0hat[2 * i + 1] = ay / sum;
    energy[i] = -(max + Math.log(sum)) + Math.log(m) + Math.log(sigma * sigma) + LOG_2PI;
  }
  return { x0hat, energy };
}

/** log p of a mixture at points x (t = 0), for statistics. */
export function mixtureLogDensity(x: ArrayLike<number>, mixture: Mixture): Float64Array {
  const { energy } = denoiseMixture(x, mixture, 1, 0);
  return energy.map((u) => -u);
}
