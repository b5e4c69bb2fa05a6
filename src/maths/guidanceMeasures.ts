/**
 * What guidance does to the samples of one class, measured against that class's stored points
 * (issue 15: "samples pushed past their class's mode and off the data at large w"), pure and in
 * float64. The GPU measures the diversity (k-NN entropy) and the sliced W2 distance; these are
 * the readings that need every particle's nearest class point, taken on a few thousand read-back
 * particles (src/sim/experiments/guidanceSweep.ts).
 *
 * - nearest: the mean distance from a sample to its nearest class point.
 * - off the data: a sample farther from every class point than OFF_QUANTILE of the class's own
 *   points are from their nearest other class point. A sampler of the class's distribution puts
 *   about 1 - OFF_QUANTILE of its samples there (a fresh sample's nearest-point distance is
 *   distributed as a stored point's leave-one-out one, up to one point in |S|); more means
 *   samples in empty space.
 * - overshoot: the mean of (x - mu_c) . u, u the unit vector from the data's mean to the class's
 *   mean: how far the samples sit past their class's mean, away from the other classes (0 for a
 *   faithful sampler, up to sampling noise). NaN when the class's mean is within
 *   CENTRED_FRACTION of the data's RMS radius of the data's mean (concentric rings): no outward
 *   direction then.
 */

/** The quantile of the class's own nearest-neighbour spacing that bounds "on the data". */
export const OFF_QUANTILE = 0.99;
/** A class mean this close to the data's mean (times the data's RMS radius) has no direction. */
export const CENTRED_FRACTION = 0.05;

type Cloud = ArrayLike<number>;

/** The points of class `label`, x and y interleaved. */
export function classPoints(points: Cloud, labels: ArrayLike<number>, label: number): Float32Array {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) count++;
  const out = new Float32Array(2 * count);
  let j = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== label) continue;
    out[j++] = points[2 * i]!;
    out[j++] = points[2 * i + 1]!;
  }
  return out;
}

/** The mean of a cloud's points. */
export function cloudMean(points: Cloud): [number, number] {
  const n = points.length / 2;
  let x = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    x += points[2 * i]!;
    y += points[2 * i + 1]!;
  }
  return [x / n, y / n];
}

/**
 * Each point of `a`'s distance to its nearest point of `b`; with `self` (a and b the same cloud)
 * the nearest other point. Brute force: O(|a| |b|), for clouds of a few thousand.
 */
export function nearestDistances(a: Cloud, b: Cloud, self = false): Float64Array {
  const n = a.length / 2;
  const m = b.length / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ax = a[2 * i]!;
    const ay = a[2 * i + 1]!;
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      if (self && j === i) continue;
      const dx = ax - b[2 * j]!;
      const dy = ay - b[2 * j + 1]!;
      const d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2;
    }
    out[i] = Math.sqrt(best);
  }
  return out;
}

/** The q-quantile of values (the order statistic at floor(q (n - 1))). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** The radius past which a sample is off the class's data: its own spacing's OFF_QUANTILE. */
export function offDataRadius(reference: Cloud): number {
  return quantile(nearestDistances(reference, reference, true), OFF_QUANTILE);
}

export interface ClassFit {
  /** The mean distance to the nearest class point. */
  nearest: number;
  /** The share of samples farther than `radius` from every class point (non-finite ones too). */
  offData: number;
  /** The mean of (x - mu_c) . u, u from the data's mean to the class's; NaN without a direction. */
  overshoot: number;
}

/** A cloud's geometry: its mean and RMS distance to it. */
function spread(points: Cloud): { mean: [number, number]; rms: number } {
  const mean = cloudMean(points);
  const n = points.length / 2;
  let s = 0;
  for (let i = 0; i < n; i++)
    s += (points[2 * i]! - mean[0]) ** 2 + (points[2 * i + 1]! - mean[1]) ** 2;
  return { mean, rms: Math.sqrt(s / n) };
}

/** The direction from the data's mean to the class's, or null when they (nearly) coincide. */
export function outward(
  data: Cloud,
  reference: Cloud,
): { mean: [number, number]; u: [number, number] } | null {
  const all = spread(data);
  const mean = cloudMean(reference);
  const dx = mean[0] - all.mean[0];
  const dy = mean[1] - all.mean[1];
  const length = Math.hypot(dx, dy);
  if (!(length > CENTRED_FRACTION * all.rms)) return null;
  return { mean, u: [dx / length, dy / length] };
}

/** The samples against the class's points (`reference`), off the data past `radius`. */
export function classFit(
  samples: Cloud,
  reference: Cloud,
  radius: number,
  direction: { mean: [number, number]; u: [number, number] } | null,
): ClassFit {
  const n = samples.length / 2;
  const near = nearestDistances(samples, reference);
  let sum = 0;
  let finite = 0;
  let off = 0;
  let along = 0;
  for (let i = 0; i < n; i++) {
    const d = near[i]!;
    if (!Number.isFinite(d) || d > radius) off++;
    if (!Number.isFinite(d)) continue;
    sum += d;
    finite++;
    if (direction) {
      const [mx, my] = direction.mean;
      along +=
        (samples[2 * i]! - mx) * direction.u[0] + (samples[2 * i + 1]! - my) * direction.u[1];
    }
  }
  return {
    nearest: sum / finite,
    offData: off / n,
    overshoot: direction ? along / finite : NaN,
  };
}
