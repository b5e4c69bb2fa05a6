/**
 * When do samples commit to a class? The speciation time of Biroli, Bonnaire, de Bortoli & Mezard
 * 2024 ("Dynamical regimes of diffusion models", arXiv:2402.18491), converted to any schedule;
 * the classes samples commit to (mixture components, or k-means clusters of the data); and the
 * statistics of a clone experiment: P(same class) of two trajectories split at t_c.
 *
 * Notation (paper -> here): the paper's forward process is Ornstein-Uhlenbeck,
 * x_t = e^{-t} x0 + sqrt(Delta_t) z with Delta_t = 1 - e^{-2t}, so e^{-t} -> alpha, Delta_t ->
 * sigma^2, and its t (in [0, infinity)) is not ours (in [0, 1]). Lambda is the largest eigenvalue
 * of the data covariance.
 */
import type { Dataset, DatasetId } from './datasets';
import { logSnr, levelAt, type ScheduleId, type ScheduleParams } from './schedules';
import { Rng, Stream } from './rng';
import { assignToModes, mixtureMoments, moments } from './stats';

/** Largest eigenvalue of a symmetric 2x2 covariance (xx, xy, yy). */
export function topEigenvalue(cov: readonly [number, number, number]): number {
  const [a, b, c] = cov;
  return 0.5 * (a + c) + Math.sqrt(0.25 * (a - c) ** 2 + b * b);
}

/** The data covariance (xx, xy, yy): exact for mixtures, the sample's otherwise. */
export function dataCovariance(dataset: Dataset): [number, number, number] {
  return dataset.mixture ? mixtureMoments(dataset.mixture).cov : moments(dataset.points).cov;
}

/**
 * The paper's speciation time in its own OU time, t_S = (1/2) log Lambda: the time when the
 * signal along the top principal direction, e^{-2t} Lambda, equals the unit noise variance that
 * Delta_t tends to. Null when Lambda <= 1 (the paper's asymptotic form has no positive time).
 */
export function speciationTimeOU(lambda: number): number | null {
  return lambda > 1 ? 0.5 * Math.log(lambda) : null;
}

/**
 * Our t where the signal along the top principal direction equals the noise:
 * alpha(t)^2 Lambda = sigma(t)^2, i.e. the half log-SNR lambda(t) = -(1/2) log Lambda. In OU time
 * that is e^{2t} = 1 + Lambda: the paper's t_S = (1/2) log Lambda up to O(1 / Lambda), and unlike
 * it defined for data of unit scale (every 2D dataset here has Lambda < 1). Any schedule: the
 * half log-SNR decreases in t, so bisection finds the crossing. Null when the schedule never
 * crosses it on [0, 1], or Lambda is not positive.
 */
export function speciationT(id: ScheduleId, params: ScheduleParams, lambda: number): number | null {
  if (!(lambda > 0) || !Number.isFinite(lambda)) return null;
  const target = -0.5 * Math.log(lambda);
  const above = (t: number): boolean => logSnr(levelAt(id, params, t)) > target;
  if (!above(0) || above(1)) return null;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (above(mid)) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * The theory mark for a dataset under a schedule: speciationT with the data's top eigenvalue.
 * Null when the data has no class structure (a single mixture component, or too few points).
 */
export function theorySpeciationT(
  dataset: Dataset,
  id: ScheduleId,
  params: ScheduleParams,
): number | null {
  if (dataset.mixture ? dataset.mixture.components.length < 2 : dataset.points.length < 4)
    return null;
  // Images: the top eigenvalue of their d x d covariance is not computed here.
  if (dataset.dim !== undefined && dataset.dim !== 2) return null;
  return speciationT(id, params, topEigenvalue(dataCovariance(dataset)));
}

/** Clusters the data of each non-mixture dataset falls into, by eye. */
const CLUSTERS: Partial<Record<DatasetId, number>> = {
  moons: 2,
  spiral: 3,
  rings: 3,
  checkerboard: 8,
};
const DEFAULT_CLUSTERS = 8;
const KMEANS_SEED = 0x5bec;

/** Sum of squared distances of the points to their nearest centroid. */
function inertia(points: ArrayLike<number>, centroids: ArrayLike<number>): number {
  const labels = nearestCentroid(points, centroids);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const j = labels[i]!;
    sum +=
      (points[2 * i]! - centroids[2 * j]!) ** 2 + (points[2 * i + 1]! - centroids[2 * j + 1]!) ** 2;
  }
  return sum;
}

/**
 * k-means: Lloyd's iterations from k-means++ seeding (Arthur & Vassilvitskii 2007), the best of
 * `restarts` seedings by inertia (as scikit-learn's n_init), all from a fixed seed. Returns k
 * centroids, x and y interleaved.
 */
export function kMeans(
  points: ArrayLike<number>,
  k: number,
  seed: number = KMEANS_SEED,
  restarts = 8,
): Float64Array {
  const n = points.length / 2;
  if (n < k) throw new Error(`k-means: ${n} points for ${k} clusters`);
  const rng = new Rng(seed, Stream.subsample);
  let best: Float64Array | null = null;
  let bestInertia = Infinity;
  for (let r = 0; r < restarts; r++) {
    const c = lloyd(points, seedCentroids(points, k, rng));
    const e = inertia(points, c);
    if (e < bestInertia) {
      bestInertia = e;
      best = c;
    }
  }
  return best!;
}

/** k-means++: each next centroid a data point drawn with probability proportional to D(x)^2. */
function seedCentroids(points: ArrayLike<number>, k: number, rng: Rng): Float64Array {
  const n = points.length / 2;
  const c = new Float64Array(2 * k);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    c[2 * j] = points[2 * pick]!;
    c[2 * j + 1] = points[2 * pick + 1]!;
    if (j + 1 === k) break;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = (points[2 * i]! - c[2 * j]!) ** 2 + (points[2 * i + 1]! - c[2 * j + 1]!) ** 2;
      d2[i] = Math.min(d2[i]!, d);
      total += d2[i]!;
    }
    let u = rng.uniform() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i]!;
      if (u < 0) {
        pick = i;
        break;
      }
    }
  }
  return c;
}

/** Lloyd's iterations until no label changes (at most `iterations`); updates c in place. */
function lloyd(points: ArrayLike<number>, c: Float64Array, iterations = 100): Float64Array {
  const n = points.length / 2;
  const k = c.length / 2;
  const labels = new Uint32Array(n).fill(k);
  const sums = new Float64Array(3 * k);
  for (let it = 0; it < iterations; it++) {
    const next = nearestCentroid(points, c);
    let changed = false;
    for (let i = 0; i < n; i++) if (next[i] !== labels[i]) changed = true;
    if (!changed) break;
    labels.set(next);
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const j = labels[i]!;
      sums[3 * j] = sums[3 * j]! + points[2 * i]!;
      sums[3 * j + 1] = sums[3 * j + 1]! + points[2 * i + 1]!;
      sums[3 * j + 2] = sums[3 * j + 2]! + 1;
    }
    for (let j = 0; j < k; j++) {
      const count = sums[3 * j + 2]!;
      if (count === 0) continue; // an empty cluster keeps its centroid
      c[2 * j] = sums[3 * j]! / count;
      c[2 * j + 1] = sums[3 * j + 1]! / count;
    }
  }
  return c;
}

/** Index of the nearest centroid of each point. */
export function nearestCentroid(
  points: ArrayLike<number>,
  centroids: ArrayLike<number>,
): Uint32Array {
  const n = points.length / 2;
  const k = centroids.length / 2;
  const labels = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!;
    const y = points[2 * i + 1]!;
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      const d = (x - centroids[2 * j]!) ** 2 + (y - centroids[2 * j + 1]!) ** 2;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    labels[i] = best;
  }
  return labels;
}

/** The classes samples commit to, and the P(same class) of two independent samples. */
export interface ModeClassifier {
  classes: number;
  labels(points: ArrayLike<number>): Uint32Array;
  /** sum_k p_k^2: P(same class) of two independent samples of the data. */
  chance: number;
}

/**
 * Mixtures: the component of highest responsibility (assignToModes), chance sum pi_k^2. Other
 * data: the nearest of k-means centroids of the stored points (fixed seed), chance from the
 * clusters' shares of the data.
 */
export function modeClassifier(dataset: Dataset): ModeClassifier {
  const mixture = dataset.mixture;
  if (mixture) {
    return {
      classes: mixture.components.length,
      labels: (points) => assignToModes(points, mixture).labels,
      chance: mixture.components.reduce((s, c) => s + c.weight * c.weight, 0),
    };
  }
  const k = Math.min(
    CLUSTERS[dataset.id as DatasetId] ?? DEFAULT_CLUSTERS,
    dataset.points.length / 2,
  );
  const centroids = kMeans(dataset.points, k);
  const shares = new Float64Array(k);
  const own = nearestCentroid(dataset.points, centroids);
  for (const j of own) shares[j] = shares[j]! + 1;
  let chance = 0;
  for (const s of shares) chance += (s / own.length) ** 2;
  return { classes: k, labels: (points) => nearestCentroid(points, centroids), chance };
}

/**
 * P(same class) of two independent samples of labelled data whose class is the label of their
 * nearest training image (images: MNIST's digits, the shapes' classes): sum_c p_c^2 over the
 * labels' frequencies, since an exact sampler of the training set lands on image j w.p. 1 / M.
 */
export function labelChance(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  let chance = 0;
  for (const c of counts.values()) chance += (c / labels.length) ** 2;
  return chance;
}

/** Fraction of indices where two labellings agree. */
export function sameFraction(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** One clone experiment: pairs split at t, and the fraction that ended in the same class. */
export interface SpeciationPoint {
  t: number;
  sameMode: number;
  /** Pairs: the standard error of sameMode is sqrt(p (1 - p) / count). */
  count: number;
}

/**
 * The commitment time of a measured curve: the largest t (the earliest in the reverse run) at
 * which P(same class) reaches halfway from chance to 1, linearly interpolated between points.
 * Null when the curve never crosses it.
 */
export function commitmentTime(
  points: readonly Pick<SpeciationPoint, 't' | 'sameMode'>[],
  chance: number,
): number | null {
  const half = 0.5 * (1 + chance);
  const sorted = [...points].sort((a, b) => b.t - a.t);
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (p.sameMode < half) continue;
    const q = sorted[i - 1];
    if (!q) return p.t;
    const f = (half - q.sameMode) / (p.sameMode - q.sameMode);
    return q.t + f * (p.t - q.t);
  }
  return null;
}

/** `count` level indices spread evenly over the noisy levels 0..steps - 1 of a run. */
export function cloneLevels(steps: number, count: number): number[] {
  const last = steps - 1;
  if (count <= 1 || last <= 0) return [0];
  const out = new Set<number>();
  for (let j = 0; j < count; j++) out.add(Math.round((j * last) / (count - 1)));
  return [...out];
}
