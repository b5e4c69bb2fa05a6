/**
 * The observables of a batch of images, in float64 (../shared/docs/maths.md section 5): the
 * references of src/sim/observe/imageMetrics.ts. Each image is a point of R^d; its summary is
 * what the point-cloud reductions read per particle (its norm, its velocity's norm scaled so that
 * their <|v|^2> / 2 is <|v|^2> / d, and its heat summed over its coordinate pairs), and the
 * entropy is the Kozachenko-Leonenko estimate in d dimensions.
 *
 * How far the entropy can be trusted in d = 784 with a batch of 64: not far. The estimator is
 * consistent as N grows at fixed d, but its bias falls like a power of N whose exponent shrinks
 * as 1/d (Berrett, Samworth & Yuan 2019, "Efficient multivariate entropy estimation via
 * k-nearest neighbour distances", Ann. Statist. 47(1)): hardly at all for d = 784. Measured (float64, 20 batches, k = 4):
 * 64 draws of N(0, I) in d = 784 read about 1356 nats against the true d/2 log(2 pi e) = 1112.4,
 * 22% too high; 16 draws read 1370 and 256 draws 1346, so a larger batch barely helps (d = 3072,
 * N = 64: 5368 against 4359). And clean images lie near a manifold of a few dozen dimensions,
 * where the true entropy in R^d is -infinity while the estimate stays finite. Only its change
 * along one run says something, as a trend; tests/unit/imageObservables.test.ts checks the bias.
 */
import { DEFAULT_RADIUS, digamma } from './observables';

/** Squared distances floored here give a finite log r (as MIN_DISTANCE_SQUARED for points). */
export const MIN_DISTANCE_SQUARED = 1e-30;

/** log V_d, the volume of the unit ball of R^d: (d/2) log pi - log Gamma(d/2 + 1); d even. */
export function logUnitBallVolume(d: number): number {
  if (!Number.isInteger(d) || d < 2 || d % 2) throw new Error(`d = ${d}: even dimensions only`);
  let logGamma = 0;
  for (let j = 2; j <= d / 2; j++) logGamma += Math.log(j);
  return (d / 2) * Math.log(Math.PI) - logGamma;
}

/**
 * H = psi(N) - psi(k) + log V_d + (d / N) sum_i log r_i (Kozachenko & Leonenko 1987; Kraskov,
 * Stoegbauer & Grassberger 2004, eq. 20) from the N usable images' sum; NaN when N <= k.
 */
export function klFromSumsIn(d: number, count: number, sumLogR: number, k: number): number {
  if (count <= k) return NaN;
  return digamma(count) - digamma(k) + logUnitBallVolume(d) + (d / count) * sumLogR;
}

/** |x_i| of each of n images of d coordinates (NaN or Infinity when one is not finite). */
export function imageNorms(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += x[i * d + c]! ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Whether an image takes part in the entropy: finite, and |x| within the radius. */
function usable(norm: number, radius: number): boolean {
  return Number.isFinite(norm) && norm <= radius;
}

/**
 * log r_i of each usable image (NaN for the others), r_i its distance in R^d to its k-th nearest
 * other usable image, r_i^2 floored at MIN_DISTANCE_SQUARED: brute force, O(n^2 d).
 */
export function imageKnnLogDistances(
  x: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  radius = DEFAULT_RADIUS,
): Float64Array {
  const norms = imageNorms(x, n, d);
  const out = new Float64Array(n).fill(NaN);
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!usable(norms[i]!, radius)) continue;
    let m = 0;
    for (let j = 0; j < n; j++) {
      if (j === i || !usable(norms[j]!, radius)) continue;
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[i * d + c]! - x[j * d + c]!) ** 2;
      d2[m++] = s;
    }
    if (m < k) continue;
    const kth = d2.subarray(0, m).sort()[k - 1]!;
    out[i] = 0.5 * Math.log(Math.max(kth, MIN_DISTANCE_SQUARED));
  }
  return out;
}

/** The Kozachenko-Leonenko entropy (nats) of n images of d coordinates, in R^d. */
export function imageKlEntropy(
  x: ArrayLike<number>,
  n: number,
  d: number,
  k = 4,
  radius = DEFAULT_RADIUS,
): number {
  let count = 0;
  let sum = 0;
  for (const l of imageKnnLogDistances(x, n, d, k, radius)) {
    if (Number.isNaN(l)) continue;
    count++;
    sum += l;
  }
  return klFromSumsIn(d, count, sum, k);
}

/** The entropy of N(0, s^2 I) in R^d: (d/2) log(2 pi e s^2), nats. */
export function gaussianEntropy(d: number, s = 1): number {
  return 0.5 * d * Math.log(2 * Math.PI * Math.E * s * s);
}

/**
 * Each image as the point passes see it (shaders/observe/obs_image_summary.wgsl): x (|x_i|, 0), v
 * (|v_i| sqrt(2 / d), 0), heat the sum of its d / 2 lanes; particleObservables of these is the
 * batch's observables, with <|v|^2> / d the kinetic temperature.
 */
export function imageSummary(
  x: ArrayLike<number>,
  n: number,
  d: number,
  v?: ArrayLike<number>,
  heat?: ArrayLike<number>,
): { x: Float64Array; v: Float64Array | undefined; heat: Float64Array | undefined } {
  const pairs = (values: Float64Array): Float64Array => {
    const out = new Float64Array(2 * n);
    values.forEach((value, i) => (out[2 * i] = value));
    return out;
  };
  const scale = Math.sqrt(2 / d);
  return {
    x: pairs(imageNorms(x, n, d)),
    v: v ? pairs(imageNorms(v, n, d).map((norm) => norm * scale)) : undefined,
    heat: heat
      ? Float64Array.from({ length: n }, (_, i) => {
          let s = 0;
          for (let l = 0; l < d / 2; l++) s += heat[(i * d) / 2 + l]!;
          return s;
        })
      : undefined,
  };
}
