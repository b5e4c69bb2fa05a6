/**
 * The readings of the generalisation experiment (issue 14; Kadkhodaie, Guth, Simoncelli & Mallat,
 * "Generalization in diffusion models arises from geometry-adaptive harmonic representations",
 * ICLR 2024): two networks trained on disjoint sets of N images each, sampled from the same
 * noise. Below the switch each copies its own training images, so the two samples differ; above
 * it both learn the same density and give nearly the same image. Pure: float64 on the CPU.
 */
import { MEMORISED_BELOW } from './memorisation';
import { nearestImages } from './imageDenoisers';
import { correlation } from './stats';

/**
 * The similarity of two images: the cosine of their deviations from their own mean pixel (their
 * correlation). The raw cosine of MNIST-like images is high for any two of them, their black
 * backgrounds agreeing; centred, two unrelated digits score near 0 and a copy 1. 0 when an image
 * is flat (no deviation to compare).
 */
export function imageSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const r = correlation(a, b);
  return Number.isFinite(r) ? r : 0;
}

/** The mean similarity of sample i of `a` with sample i of `b` (n images of d values each). */
export function pairSimilarity(a: Float32Array, b: Float32Array, n: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++)
    sum += imageSimilarity(a.subarray(i * d, (i + 1) * d), b.subarray(i * d, (i + 1) * d));
  return n ? sum / n : 0;
}

export interface SampleMemorisation {
  /** The fraction of samples memorised: d1 / d2 < 1/3 (distances). */
  memorised: number;
  /** Each sample's nearest training image (an index into `own`). */
  nearest: Uint32Array;
}

/**
 * Which of n samples (d values each) are copies of the network's own training images `own` (m
 * images): d1 / d2 < 1/3, d1 the distance to the nearest of them and d2 to the second nearest
 * (src/maths/memorisation.ts's rule). A network of one training image has no second nearest:
 * d2 is then the distance to the nearest image of `other` (the other network's set), so a copy of
 * its one image counts, and a sample no nearer to it than to an unseen image does not.
 */
export function samplesMemorised(
  samples: ArrayLike<number>,
  n: number,
  own: ArrayLike<number>,
  m: number,
  other: ArrayLike<number>,
  d: number,
): SampleMemorisation {
  const near = nearestImages(samples, n, own, m, d);
  const second = m > 1 ? near.d2 : nearestImages(samples, n, other, other.length / d, d).d1;
  let memorised = 0;
  for (let i = 0; i < n; i++)
    if (Math.sqrt(near.d1[i]!) < MEMORISED_BELOW * Math.sqrt(second[i]!)) memorised++;
  return { memorised: n ? memorised / n : 0, nearest: near.index };
}

/**
 * Where the switch happens: the N at which the memorised fraction falls through 1/2, interpolated
 * in log N between the last N above and the first below (points in increasing N); null when it
 * never crosses.
 */
export function switchN(points: readonly { n: number; memorised: number }[]): number | null {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (a.memorised >= 0.5 && b.memorised < 0.5) {
      const f = (a.memorised - 0.5) / (a.memorised - b.memorised);
      return Math.exp(Math.log(a.n) + f * (Math.log(b.n) - Math.log(a.n)));
    }
  }
  return null;
}
