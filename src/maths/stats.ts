/**
 * Statistics of 2D point clouds (x and y interleaved), in float64: moments, the sliced
 * Wasserstein-2 and energy distances between clouds, and per-mode statistics of a cloud against a
 * Gaussian mixture. They measure how far a run's samples are from the target
 * (../shared/docs/maths.md section 5) and back the statistical tests of whole runs.
 */
import type { Mixture } from './datasets';
import { Rng } from './rng';

/** A 2D point cloud, x and y interleaved. */
export type Cloud = ArrayLike<number>;

/** Sample moments: the mean and the unbiased covariance (xx, xy, yy). */
export interface Moments {
  count: number;
  mean: [number, number];
  cov: [number, number, number];
}

/** Mean and covariance of a cloud (two passes, so no cancellation for clouds far from 0). */
export function moments(points: Cloud): Moments {
  const n = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += points[2 * i]!;
    my += points[2 * i + 1]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = points[2 * i]! - mx;
    const dy = points[2 * i + 1]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const d = Math.max(1, n - 1);
  return { count: n, mean: [mx, my], cov: [sxx / d, sxy / d, syy / d] };
}

/** The exact mean and covariance (xx, xy, yy) of a Gaussian mixture. */
export function mixtureMoments(mixture: Mixture): Pick<Moments, 'mean' | 'cov'> {
  let mx = 0;
  let my = 0;
  for (const c of mixture.components) {
    mx += c.weight * c.mean[0];
    my += c.weight * c.mean[1];
  }
  const cov: [number, number, number] = [0, 0, 0];
  for (const c of mixture.components) {
    const dx = c.mean[0] - mx;
    const dy = c.mean[1] - my;
    cov[0] += c.weight * (c.cov[0] + dx * dx);
    cov[1] += c.weight * (c.cov[1] + dx * dy);
    cov[2] += c.weight * (c.cov[2] + dy * dy);
  }
  return { mean: [mx, my], cov };
}

/** Standard errors of the entries of `moments`, from the sample's own fourth moments. */
export interface MomentErrors {
  mean: [number, number];
  cov: [number, number, number];
}

/**
 * Standard errors of the sample mean and covariance entries, assuming nothing about the shape of
 * the distribution: se(mean_a) = sqrt(C_aa / n), se(C_ab) = sqrt((E[(da db)^2] - C_ab^2) / n)
 * with the central moments estimated from the sample (for a Gaussian, se(C_aa) = C_aa sqrt(2/n)).
 */
export function momentErrors(points: Cloud): MomentErrors {
  const { count: n, mean, cov } = moments(points);
  let qxx = 0;
  let qxy = 0;
  let qyy = 0;
  for (let i = 0; i < n; i++) {
    const dx = points[2 * i]! - mean[0];
    const dy = points[2 * i + 1]! - mean[1];
    qxx += dx ** 4;
    qxy += (dx * dy) ** 2;
    qyy += dy ** 4;
  }
  const se = (q: number, c: number): number => Math.sqrt(Math.max(0, q / n - c * c) / n);
  return {
    mean: [Math.sqrt(cov[0] / n), Math.sqrt(cov[2] / n)],
    cov: [se(qxx, cov[0]), se(qxy, cov[1]), se(qyy, cov[2])],
  };
}

/** Pearson correlation of two equally long sequences. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Coordinate c (0: x, 1: y) of a cloud. */
export function coordinate(points: Cloud, c: 0 | 1): Float64Array {
  const n = points.length / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = points[2 * i + c]!;
  return out;
}

/**
 * Squared Wasserstein-2 distance between two 1D empirical measures given SORTED ascending, of any
 * sizes: the integral over u in (0, 1) of (F_a^-1(u) - F_b^-1(u))^2, exact, by walking the merged
 * breakpoints i / n and j / m of the two quantile functions.
 */
export function wasserstein2SquaredSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new Error('empty sample');
  let i = 0;
  let j = 0;
  let u = 0;
  let sum = 0;
  while (i < n && j < m) {
    // Integer cross-multiplication decides which breakpoint comes first without rounding.
    const nextA = (i + 1) * m;
    const nextB = (j + 1) * n;
    const next = Math.min(nextA, nextB);
    const d = a[i]! - b[j]!;
    sum += d * d * (next - u);
    u = next;
    if (nextA === next) i++;
    if (nextB === next) j++;
  }
  return sum / (n * m);
}

/** Projections of a cloud onto the direction (cos theta, sin theta), sorted. */
function sortedProjection(points: Cloud, c: number, s: number, out: Float64Array): Float64Array {
  const n = points.length / 2;
  for (let i = 0; i < n; i++) out[i] = c * points[2 * i]! + s * points[2 * i + 1]!;
  return out.sort();
}

/**
 * Sliced Wasserstein-2 distance (Rabin et al. 2011; Bonneel et al. 2015) between two 2D clouds of
 * any sizes: sqrt(d * mean over directions of W2^2 of the projections), d = 2. The factor d makes
 * a translation by v come out as |v| (mean of cos^2 is 1/d), as the full W2 would; and for two
 * Gaussians N(m_i, s_i^2 I) it equals their W2, sqrt(|m1 - m2|^2 + d (s1 - s2)^2).
 *
 * The directions are `projections` angles evenly spaced over [0, pi) with one random offset
 * drawn from Rng(seed): an unbiased, seeded estimate with much less variance than independent
 * angles, and exact for translations (the mean of cos^2 over evenly spaced angles is exactly 1/2).
 */
export function slicedWasserstein2(a: Cloud, b: Cloud, projections: number, seed: number): number {
  if (projections < 2) throw new Error('sliced Wasserstein needs at least 2 projections');
  const offset = new Rng(seed).uniform();
  const pa = new Float64Array(a.length / 2);
  const pb = new Float64Array(b.length / 2);
  let sum = 0;
  for (let k = 0; k < projections; k++) {
    const theta = (Math.PI * (k + offset)) / projections;
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    sum += wasserstein2SquaredSorted(sortedProjection(a, c, s, pa), sortedProjection(b, c, s, pb));
  }
  return Math.sqrt((2 * sum) / projections);
}

function meanDistance(a: Cloud, b: Cloud): number {
  const n = a.length / 2;
  const m = b.length / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const ax = a[2 * i]!;
    const ay = a[2 * i + 1]!;
    for (let j = 0; j < m; j++) sum += Math.hypot(ax - b[2 * j]!, ay - b[2 * j + 1]!);
  }
  return sum / (n * m);
}

/**
 * Energy distance (Szekely & Rizzo 2013), V-statistic form: 2 E|X - Y| - E|X - X'| - E|Y - Y'|,
 * zero exactly when the two empirical measures are equal. O(n m): for clouds of thousands.
 */
export function energyDistance(a: Cloud, b: Cloud): number {
  return 2 * meanDistance(a, b) - meanDistance(a, a) - meanDistance(b, b);
}

/** Statistics of the points assigned to one mixture component. */
export interface ModeStats extends Moments {
  /** Fraction of all points assigned to this component. */
  weight: number;
}

export interface ModeAssignment {
  /** Component index of each point. */
  labels: Uint32Array;
  modes: ModeStats[];
}

/**
 * Assigns each point to the mixture component of largest responsibility
 * r_k(x) proportional to pi_k N(x; mu_k, Sigma_k), and returns each component's share of the
 * points with their mean and covariance. For well separated components (as gaussians8 and
 * gaussians25, whose means are 10 or more standard deviations apart) the assignment is the true
 * component with probability 1 - 1e-6 or better, so the shares estimate the weights pi_k.
 */
export function assignToModes(points: Cloud, mixture: Mixture): ModeAssignment {
  const n = points.length / 2;
  const comps = mixture.components.map((c) => {
    const [sxx, sxy, syy] = c.cov;
    const det = sxx * syy - sxy * sxy;
    return {
      mean: c.mean,
      // Inverse covariance and the log of everything that does not depend on x.
      ixx: syy / det,
      ixy: -sxy / det,
      iyy: sxx / det,
      logConst: Math.log(c.weight) - 0.5 * Math.log(det),
    };
  });
  const labels = new Uint32Array(n);
  const groups: number[][] = comps.map(() => []);
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!;
    const y = points[2 * i + 1]!;
    let best = 0;
    let bestLogit = -Infinity;
    comps.forEach((c, k) => {
      const dx = x - c.mean[0];
      const dy = y - c.mean[1];
      const logit = c.logConst - 0.5 * (c.ixx * dx * dx + 2 * c.ixy * dx * dy + c.iyy * dy * dy);
      if (logit > bestLogit) {
        bestLogit = logit;
        best = k;
      }
    });
    labels[i] = best;
    const group = groups[best]!;
    group.push(x, y);
  }
  const modes = groups.map((g) => {
    const count = g.length / 2;
    const m: Moments =
      count > 0 ? moments(g) : { count: 0, mean: [NaN, NaN], cov: [NaN, NaN, NaN] };
    return { ...m, weight: count / n };
  });
  return { labels, modes };
}

/**
 * Standard normal CDF, by the complementary error function of Numerical Recipes (erfcc,
 * Chebyshev fit, fractional error below 1.2e-7 everywhere).
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** Kolmogorov-Smirnov statistic sup |F_n - F| of a sample against a continuous CDF. */
export function ksStatistic(values: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}
