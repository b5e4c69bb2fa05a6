/**
 * What guidance does to one class's samples on images (issue 15), pure and in float64: the
 * readings of the guidance curve in d = 784, where the 2D curve's k-NN entropy and sliced W2 say
 * little (a sliced distance over random directions of R^d sees mostly the batch's mean and spread,
 * Diaconis & Freedman 1984; a k-NN entropy estimate at a few thousand samples is dominated by its
 * bias, src/maths/imageObservables.ts). The target of the exact class-conditional run is the
 * uniform distribution on the class's M_c training images (the empirical denoiser is the ideal
 * one for it), so each sample is judged by its nearest training images, the GPU's search
 * (shaders/distance/image_nearest.wgsl, src/sim/distance/nearestImages.ts):
 *
 * - onClass: the share of samples whose nearest training image, among all M, is of the class: a
 *   1-nearest-neighbour classifier's verdict, the sense in which guidance "makes the class". 1 for
 *   the exact run at w = 1, about the class's share M_c / M at w = 0.
 * - nearest: the mean RMS-per-pixel distance sqrt(|x - y|^2 / d) to the nearest training image y
 *   of the class (the fidelity side of Kynkaanniemi et al. 2019, in the units of the NFE sweep's
 *   image distance): 0 when every sample is one of the class's images.
 * - distinct: how many of the class's images are nearest to some sample: the diversity. n draws
 *   from the uniform distribution on M_c images hit M_c (1 - (1 - 1/M_c)^n) of them on average
 *   (expectedDistinct), the line a faithful sampler sits on; guidance that collapses the class
 *   onto a few typical images falls below it.
 * - saturated: the share of the samples' pixels outside the training images' range [lo, hi],
 *   widened by half an 8-bit grey level (hi - lo) / 510: the saturation of strong guidance, whose
 *   extrapolation x_u + w (x_c - x_u) pushes pixels past black and white (Saharia et al. 2022,
 *   "Photorealistic text-to-image diffusion models", who clip for it). Non-finite pixels count.
 * - overshoot: the mean of (x - mu_c) . u / sqrt(d), u the unit vector from the training images'
 *   mean to the class's mean mu_c: how far past the class's mean, away from the other classes, the
 *   samples sit, RMS per pixel of that component (0 for a faithful sampler up to noise). NaN
 *   when the two means are within CENTRED_FRACTION of the data's RMS radius.
 */
import { CENTRED_FRACTION } from './guidanceMeasures';

type Images = ArrayLike<number>;

/** The images of class `label` in their order, `dim` floats each. */
export function classImages(
  images: Images,
  labels: ArrayLike<number>,
  label: number,
  dim: number,
): Float32Array {
  const index: number[] = [];
  for (let j = 0; j < labels.length; j++) if (labels[j] === label) index.push(j);
  const out = new Float32Array(index.length * dim);
  index.forEach((j, k) => {
    for (let c = 0; c < dim; c++) out[k * dim + c] = images[j * dim + c]!;
  });
  return out;
}

/** Distinct images that n uniform draws (with replacement) from m images hit, on average. */
export function expectedDistinct(n: number, m: number): number {
  return m > 0 ? m * -Math.expm1(n * Math.log1p(-1 / m)) : 0;
}

/** The pixel range the training images span, widened by half an 8-bit grey level. */
export function pixelRange(images: Images): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < images.length; i++) {
    const v = images[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const q = (hi - lo) / 510;
  return [lo - q, hi + q];
}

/** The mean image of a set, float64. */
function meanImage(images: Images, dim: number): Float64Array {
  const m = images.length / dim;
  const mean = new Float64Array(dim);
  for (let j = 0; j < m; j++) for (let c = 0; c < dim; c++) mean[c]! += images[j * dim + c]!;
  for (let c = 0; c < dim; c++) mean[c]! /= m;
  return mean;
}

export interface ImageDirection {
  /** The class's mean image. */
  mean: Float64Array;
  /** The unit vector from the training images' mean to the class's. */
  u: Float64Array;
}

/** The direction from all the images' mean to the class's, or null when they (nearly) coincide. */
export function imageOutward(all: Images, own: Images, dim: number): ImageDirection | null {
  const mu = meanImage(all, dim);
  const mean = meanImage(own, dim);
  const m = all.length / dim;
  let spread = 0;
  for (let j = 0; j < m; j++)
    for (let c = 0; c < dim; c++) spread += (all[j * dim + c]! - mu[c]!) ** 2;
  const rms = Math.sqrt(spread / m);
  const u = Float64Array.from(mean, (v, c) => v - mu[c]!);
  const length = Math.hypot(...u);
  if (!(length > CENTRED_FRACTION * rms)) return null;
  for (let c = 0; c < dim; c++) u[c]! /= length;
  return { mean, u };
}

export interface ImageClassFit {
  onClass: number;
  nearest: number;
  distinct: number;
  saturated: number;
  overshoot: number;
}

/** What the measures read: the GPU's searches, the class, the data's range and direction. */
export interface ImageFitInputs {
  dim: number;
  /** Each sample's nearest image among all M: its index there (for its label). */
  nearestAll: { d1: ArrayLike<number>; index: ArrayLike<number> };
  labels: ArrayLike<number>;
  label: number;
  /** Each sample's nearest image among the class's M_c: squared distance and index there. */
  nearestClass: { d1: ArrayLike<number>; index: ArrayLike<number> };
  range: readonly [number, number];
  direction: ImageDirection | null;
}

/** Whether a search record is a finite distance (the kernel writes 3e38 past no image). */
const found = (d1: number): boolean => Number.isFinite(d1) && d1 < 1e38;

/** The n samples (dim floats each) against the class: the measures of the header. */
export function imageClassFit(samples: Images, inp: ImageFitInputs): ImageClassFit {
  const { dim } = inp;
  const n = samples.length / dim;
  let on = 0;
  let sum = 0;
  let finite = 0;
  let outside = 0;
  let along = 0;
  const hit = new Set<number>();
  const [lo, hi] = inp.range;
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let c = 0; c < dim; c++) {
      const v = samples[i * dim + c]!;
      if (!(v >= lo && v <= hi)) outside++;
      if (!Number.isFinite(v)) ok = false;
    }
    if (ok && found(inp.nearestAll.d1[i]!) && inp.labels[inp.nearestAll.index[i]!] === inp.label)
      on++;
    const d1 = inp.nearestClass.d1[i]!;
    if (!ok || !found(d1)) continue;
    finite++;
    sum += Math.sqrt(Math.max(d1, 0) / dim);
    hit.add(inp.nearestClass.index[i]!);
    if (inp.direction) {
      const { mean, u } = inp.direction;
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += (samples[i * dim + c]! - mean[c]!) * u[c]!;
      along += dot / Math.sqrt(dim);
    }
  }
  return {
    onClass: on / n,
    nearest: sum / finite,
    distinct: hit.size,
    saturated: outside / (n * dim),
    overshoot: inp.direction ? along / finite : NaN,
  };
}
