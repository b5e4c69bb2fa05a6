/**
 * Float64 references of the image kernels: shaders/run/denoise_image_empirical.wgsl (plain and
 * smoothed), shaders/run/denoise_image_gaussian.wgsl and shaders/distance/image_nearest.wgsl. Images are flat,
 * image-major: image i is [i d, (i + 1) d). Formulas: ../shared/docs/maths.md section 2.
 */
import type { Denoised } from './denoisers';
import type { GaussianModel } from './gaussianModel';
import { Stream, normal2 } from './rng';

const LOG_2PI = Math.log(2 * Math.PI);

/** The smoothed denoiser's query noise (Scarvelis, Borde & Solomon 2023) and its RNG counters. */
export interface SmoothingOptions {
  /** Std s of the Gaussian perturbation of the query: D_s(x) = E_z[D(x + s z)]. */
  smoothing: number;
  /** Monte Carlo draws of z averaged (1, 2, 4 or 8 on the GPU). */
  draws: number;
  seed: number;
  /** The denoiser evaluation's number: the noise's RNG counter. */
  evaluation: number;
}

export interface NearestImages {
  /** Squared distances to the nearest and second nearest training image. */
  d1: Float64Array;
  d2: Float64Array;
  index: Uint32Array;
}

/**
 * The empirical (ideal) denoiser over m training images, or the smoothed one: the draws' x0_hat
 * and U averaged, draw k of image i perturbed by normal2(seed, smooth, lane draws + k, evaluation)
 * on coordinates 2p, 2p + 1 (lane = i d / 2 + p), as the kernel draws it.
 */
export function denoiseImagesEmpirical(
  x: ArrayLike<number>,
  n: number,
  data: ArrayLike<number>,
  m: number,
  d: number,
  alpha: number,
  sigma: number,
  opts: SmoothingOptions = { smoothing: 0, draws: 1, seed: 0, evaluation: 0 },
): Denoised {
  const x0hat = new Float64Array(n * d);
  const energy = new Float64Array(n);
  const inv = 1 / (2 * sigma * sigma);
  const constant = Math.log(m) + 0.5 * d * (LOG_2PI + Math.log(sigma * sigma));
  const query = new Float64Array(d);
  const logits = new Float64Array(m);
  const z = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < opts.draws; k++) {
      for (let c = 0; c < d; c += 2) {
        query[c] = x[i * d + c]!;
        query[c + 1] = x[i * d + c + 1]!;
        if (opts.smoothing > 0) {
          const lane = i * (d / 2) + c / 2;
          normal2(opts.seed, Stream.smooth, lane * opts.draws + k, opts.evaluation, z);
          query[c]! += opts.smoothing * z[0]!;
          query[c + 1]! += opts.smoothing * z[1]!;
        }
      }
      let max = -Infinity;
      for (let j = 0; j < m; j++) {
        let dist = 0;
        for (let c = 0; c < d; c++) {
          const diff = query[c]! - alpha * data[j * d + c]!;
          dist += diff * diff;
        }
        logits[j] = -dist * inv;
        max = Math.max(max, logits[j]!);
      }
      let sum = 0;
      for (let j = 0; j < m; j++) sum += Math.exp(logits[j]! - max);
      for (let j = 0; j < m; j++) {
        const w = Math.exp(logits[j]! - max) / sum / opts.draws;
        for (let c = 0; c < d; c++) x0hat[i * d + c]! += w * data[j * d + c]!;
      }
      energy[i]! += (constant - (max + Math.log(sum))) / opts.draws;
    }
  }
  return { x0hat, energy };
}

/** The exact denoiser and energy of the Gaussian model at level (alpha, sigma). */
export function denoiseImagesGaussian(
  x: ArrayLike<number>,
  n: number,
  model: GaussianModel,
  d: number,
  alpha: number,
  sigma: number,
): Denoised {
  const { mean, lambda, lambda0, basis } = model;
  const r = lambda.length;
  const s2 = sigma * sigma;
  const e = lambda.map((l) => alpha * alpha * l + s2);
  const e0 = alpha * alpha * lambda0 + s2;
  const c0 = (alpha * lambda0) / e0;
  const logDet = e.reduce((s, v) => s + Math.log(v), (d - r) * Math.log(e0));
  const x0hat = new Float64Array(n * d);
  const energy = new Float64Array(n);
  const u = new Float64Array(d);
  const proj = new Float64Array(r);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) u[c] = x[i * d + c]! - alpha * mean[c]!;
    let quad = 0;
    for (let k = 0; k < r; k++) {
      let p = 0;
      for (let c = 0; c < d; c++) p += basis[k * d + c]! * u[c]!;
      proj[k] = p;
      quad += (p * p) / e[k]!;
    }
    let res2 = 0;
    for (let c = 0; c < d; c++) {
      let along = 0;
      let pulled = 0;
      for (let k = 0; k < r; k++) {
        const v = basis[k * d + c]!;
        along += proj[k]! * v;
        pulled += ((alpha * lambda[k]!) / e[k]!) * proj[k]! * v;
      }
      const res = u[c]! - along;
      res2 += res * res;
      x0hat[i * d + c] = mean[c]! + pulled + c0 * res;
    }
    energy[i] = 0.5 * (d * LOG_2PI + logDet + quad + res2 / e0);
  }
  return { x0hat, energy };
}

/** Each query's nearest and second nearest training image (squared distances; ties: lower index). */
export function nearestImages(
  q: ArrayLike<number>,
  n: number,
  data: ArrayLike<number>,
  m: number,
  d: number,
): NearestImages {
  const d1 = new Float64Array(n).fill(Infinity);
  const d2 = new Float64Array(n).fill(Infinity);
  const index = new Uint32Array(n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let dist = 0;
      for (let c = 0; c < d; c++) {
        const diff = q[i * d + c]! - data[j * d + c]!;
        dist += diff * diff;
      }
      if (dist < d1[i]!) {
        d2[i] = d1[i]!;
        d1[i] = dist;
        index[i] = j;
      } else if (dist < d2[i]!) {
        d2[i] = dist;
      }
    }
  return { d1, d2, index };
}
