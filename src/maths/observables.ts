/**
 * Float64 references of the physics view's measurements (../shared/docs/maths.md section 5) and
 * of the kernels that make them on the GPU (shaders/obs_*.wgsl, shaders/field_*.wgsl): the
 * cloud's thermodynamic observables, the Kozachenko-Leonenko entropy, the marginal histograms
 * with the target's own marginals, and the points of the energy grid.
 */
import type { Mixture } from './datasets';
import type { Cloud } from './stats';
import { normalCdf } from './stats';

/** d: particles live in the plane. */
export const DIMENSION = 2;
/** Particles farther than this from the origin count as escaped (a diverging step). */
export const DEFAULT_RADIUS = 1e3;
/**
 * The least squared neighbour distance the entropy uses (as shaders/observe/obs_knn.wgsl): coincident
 * points (samples collapsed onto training points) give log r = -34.5, not -infinity.
 */
export const MIN_DISTANCE_SQUARED = 1e-30;

/** What the GPU's tree reduction returns (src/sim/observe/observables.ts), k_B = 1. */
export interface ObservableValues {
  /** Particles whose every value is finite and that are within the radius: all means are over these. */
  count: number;
  /** Particles with a NaN or an infinity in x, U or any optional input. */
  nonFinite: number;
  /** Finite particles farther than the radius from the origin. */
  escaped: number;
  /** <U>. */
  meanEnergy: number;
  /** Var(U), the population variance (divided by count): heatCapacity divides it by T^2. */
  energyVariance: number;
  /** <|v|^2> / d, the kinetic temperature; NaN without velocities. */
  kineticTemperature: number;
  /** Mean of the accept flags (MALA's acceptance rate); NaN without them. */
  acceptance: number;
  /** Mean accumulated heat per particle; NaN without it. */
  heat: number;
}

/** Per-particle arrays: x interleaved (2 per particle), the others one value per particle. */
export interface ParticleArrays {
  x: ArrayLike<number>;
  energy: ArrayLike<number>;
  v?: ArrayLike<number> | undefined;
  accept?: ArrayLike<number> | undefined;
  heat?: ArrayLike<number> | undefined;
}

/** The observables of n = energy.length particles, as shaders/observe/obs_reduce.wgsl defines them. */
export function particleObservables(p: ParticleArrays, radius = DEFAULT_RADIUS): ObservableValues {
  const n = p.energy.length;
  let count = 0;
  let nonFinite = 0;
  let escaped = 0;
  let sumU = 0;
  let v2 = 0;
  let accept = 0;
  let heat = 0;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = p.x[2 * i]!;
    const y = p.x[2 * i + 1]!;
    const vx = p.v ? p.v[2 * i]! : 0;
    const vy = p.v ? p.v[2 * i + 1]! : 0;
    const a = p.accept ? p.accept[i]! : 0;
    const q = p.heat ? p.heat[i]! : 0;
    const u = p.energy[i]!;
    if (![x, y, u, vx, vy, a, q].every(Number.isFinite)) nonFinite++;
    else if (x * x + y * y > radius * radius) escaped++;
    else {
      keep[i] = 1;
      count++;
      sumU += u;
      v2 += vx * vx + vy * vy;
      accept += a;
      heat += q;
    }
  }
  const mean = sumU / count;
  let m2 = 0;
  for (let i = 0; i < n; i++) if (keep[i]) m2 += (p.energy[i]! - mean) ** 2;
  return {
    count,
    nonFinite,
    escaped,
    meanEnergy: mean,
    energyVariance: m2 / count,
    kineticTemperature: p.v ? v2 / (DIMENSION * count) : NaN,
    acceptance: p.accept ? accept / count : NaN,
    heat: p.heat ? heat / count : NaN,
  };
}

/** Heat capacity C = Var(U) / T^2 (k_B = 1). */
export function heatCapacity(values: ObservableValues, temperature: number): number {
  return values.energyVariance / (temperature * temperature);
}

/** Free energy F = <U> - T H (k_B = 1), H the entropy estimate in nats. */
export function freeEnergy(meanEnergy: number, temperature: number, entropy: number): number {
  return meanEnergy - temperature * entropy;
}

/**
 * The digamma function psi = Gamma' / Gamma, to about 1e-15: recurrence up to x >= 10, then the
 * asymptotic series to z^-12 (Abramowitz & Stegun 6.3.18); reflection below 1/2.
 */
export function digamma(x: number): number {
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0.5) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  let shift = 0;
  let z = x;
  while (z < 10) {
    shift -= 1 / z;
    z += 1;
  }
  const f = 1 / (z * z);
  const series =
    f *
    (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132 - (691 / 32760) * f)))));
  return shift + Math.log(z) - 0.5 / z - series;
}

/** Whether a point takes part in the entropy: finite and within the radius. */
function usable(x: number, y: number, radius: number): boolean {
  return Number.isFinite(x) && Number.isFinite(y) && x * x + y * y <= radius * radius;
}

/**
 * log r_i of each usable point (NaN for the others), r_i its distance to its k-th nearest other
 * usable point, r_i^2 floored at MIN_DISTANCE_SQUARED: brute force, O(P^2).
 */
export function kthNeighbourLogDistances(
  points: Cloud,
  k: number,
  radius = DEFAULT_RADIUS,
): Float64Array {
  const n = points.length / 2;
  const out = new Float64Array(n).fill(NaN);
  const ok = Uint8Array.from({ length: n }, (_, i) =>
    usable(points[2 * i]!, points[2 * i + 1]!, radius) ? 1 : 0,
  );
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!ok[i]) continue;
    let m = 0;
    for (let j = 0; j < n; j++) {
      if (j === i || !ok[j]) continue;
      d2[m++] =
        (points[2 * i]! - points[2 * j]!) ** 2 + (points[2 * i + 1]! - points[2 * j + 1]!) ** 2;
    }
    if (m < k) continue;
    const kth = d2.subarray(0, m).sort()[k - 1]!;
    out[i] = 0.5 * Math.log(Math.max(kth, MIN_DISTANCE_SQUARED));
  }
  return out;
}

/**
 * The Kozachenko-Leonenko entropy estimate H = psi(N) - psi(k) + log V_d + (d / N) sum_i log r_i
 * (Kozachenko & Leonenko 1987; Kraskov, Stoegbauer & Grassberger 2004, eq. 20), d = 2,
 * V_2 = pi, from N usable sums; NaN when N <= k.
 */
export function klFromSums(count: number, sumLogR: number, k: number): number {
  if (count <= k) return NaN;
  return digamma(count) - digamma(k) + Math.log(Math.PI) + (DIMENSION / count) * sumLogR;
}

/** The Kozachenko-Leonenko entropy of a cloud's usable points (in nats). */
export function klEntropy(points: Cloud, k = 3, radius = DEFAULT_RADIUS): number {
  let count = 0;
  let sum = 0;
  for (const l of kthNeighbourLogDistances(points, k, radius)) {
    if (Number.isNaN(l)) continue;
    count++;
    sum += l;
  }
  return klFromSums(count, sum, k);
}

/** Entropy of N(mu, Sigma) in the plane: 1 + log(2 pi) + (1/2) log det Sigma. */
export function gaussianEntropy(cov: readonly [number, number, number]): number {
  return 1 + Math.log(2 * Math.PI) + 0.5 * Math.log(cov[0] * cov[2] - cov[1] * cov[1]);
}

/** Per-axis histograms: B bins over [lo, hi) for x and for y. */
export interface HistogramSpec {
  bins: number;
  x: readonly [number, number];
  y: readonly [number, number];
}

export const DEFAULT_HISTOGRAM: HistogramSpec = { bins: 64, x: [-3, 3], y: [-3, 3] };

/** B / (hi - lo) in float32, as the kernel's uniform holds it. */
export function binScale(range: readonly [number, number], bins: number): number {
  return Math.fround(bins / (range[1] - range[0]));
}

/**
 * The bin of a float32 value, in float32 arithmetic as shaders/observe/obs_histogram.wgsl does it
 * (floor((v - lo) * scale), both operations rounded to float32: float64 then float32 rounding
 * of + and * is exact for float32 operands), or -1 outside [lo, hi) or not finite.
 */
export function binIndex(value: number, lo: number, scale: number, bins: number): number {
  if (!Number.isFinite(value)) return -1;
  const u = Math.fround(Math.fround(value - Math.fround(lo)) * scale);
  return u >= 0 && u < bins ? Math.floor(u) : -1;
}

export interface Marginals<T> {
  x: T;
  y: T;
}

/** Counts of a cloud's x and y in the spec's bins, exactly as the GPU bins them. */
export function marginalHistograms(points: Cloud, spec: HistogramSpec): Marginals<Uint32Array> {
  const out = { x: new Uint32Array(spec.bins), y: new Uint32Array(spec.bins) };
  const scale = [binScale(spec.x, spec.bins), binScale(spec.y, spec.bins)] as const;
  const lo = [spec.x[0], spec.y[0]] as const;
  const counts = [out.x, out.y] as const;
  for (let i = 0; i < points.length; i++) {
    const c = i % 2;
    const b = binIndex(Math.fround(points[i]!), lo[c]!, scale[c]!, spec.bins);
    if (b >= 0) counts[c]![b]!++;
  }
  return out;
}

/** A noise level: x_t = alpha x0 + sigma eps. */
export interface NoiseLevel {
  alpha: number;
  sigma: number;
}

/**
 * The B + 1 edges of an axis's bins as the kernel draws them: bin b holds the float32 values v
 * with b <= (v - lo) * scale < b + 1 (lo and scale in float32), i.e. [lo + b / scale, lo +
 * (b + 1) / scale) up to float32 rounding of the product.
 */
export function histogramEdges(range: readonly [number, number], bins: number): Float64Array {
  const lo = Math.fround(range[0]);
  const scale = binScale(range, bins);
  return Float64Array.from({ length: bins + 1 }, (_, b) => lo + b / scale);
}

/** Per-axis densities over bins: value b is the mean density on [edges[b], edges[b + 1]). */
export interface MarginalDensities extends Marginals<Float64Array> {
  xEdges: Float64Array;
  yEdges: Float64Array;
}

function emptyDensities(spec: HistogramSpec): MarginalDensities {
  return {
    x: new Float64Array(spec.bins),
    y: new Float64Array(spec.bins),
    xEdges: histogramEdges(spec.x, spec.bins),
    yEdges: histogramEdges(spec.y, spec.bins),
  };
}

/** Bin probabilities to densities: each divided by its bin's width. */
function toDensities(out: MarginalDensities): MarginalDensities {
  for (const [p, e] of [
    [out.x, out.xEdges],
    [out.y, out.yEdges],
  ] as const) {
    for (let b = 0; b < p.length; b++) p[b]! /= e[b + 1]! - e[b]!;
  }
  return out;
}

/**
 * The densities of counts from n particles (marginalHistograms, or the GPU's): count / (n width).
 * Particles out of range or not finite are in n but in no bin, so the densities integrate to the
 * fraction of particles in range, as the target's do to its probability of the range.
 */
export function histogramDensities(
  counts: Marginals<ArrayLike<number>>,
  n: number,
  spec: HistogramSpec,
): MarginalDensities {
  const out = emptyDensities(spec);
  for (let b = 0; b < spec.bins; b++) {
    out.x[b] = counts.x[b]! / n;
    out.y[b] = counts.y[b]! / n;
  }
  return toDensities(out);
}

/** Adds weight * P(bin) of N(mean, std^2) to each bin, std > 0. */
function addNormal(out: Float64Array, e: Float64Array, mean: number, std: number, w: number): void {
  let below = normalCdf((e[0]! - mean) / std);
  for (let b = 0; b < out.length; b++) {
    const cdf = normalCdf((e[b + 1]! - mean) / std);
    out[b]! += w * (cdf - below);
    below = cdf;
  }
}

/** Adds weight to the bin of a point mass at `value`, binned as the kernel bins a float32. */
function addPoint(out: Float64Array, value: number, range: readonly [number, number], w: number) {
  const b = binIndex(Math.fround(value), range[0], binScale(range, out.length), out.length);
  if (b >= 0) out[b]! += w;
}

/**
 * The x and y marginal densities, on the histogram's bins, of a Gaussian mixture at a noise
 * level, p_t = sum_k pi_k N(alpha mu_k, alpha^2 Sigma_k + sigma^2 I): exact, each bin's
 * probability by the normal CDF of each component's 1D marginal at the bin's edges (a component
 * of zero variance is a point mass, binned as the kernel bins it).
 */
export function mixtureMarginals(
  mixture: Mixture,
  spec: HistogramSpec,
  level: NoiseLevel = { alpha: 1, sigma: 0 },
): MarginalDensities {
  const out = emptyDensities(spec);
  const { alpha, sigma } = level;
  let total = 0;
  for (const c of mixture.components) total += c.weight;
  for (const c of mixture.components) {
    const w = c.weight / total;
    const axes = [
      [out.x, out.xEdges, spec.x, c.mean[0], c.cov[0]],
      [out.y, out.yEdges, spec.y, c.mean[1], c.cov[2]],
    ] as const;
    for (const [p, e, range, mean, variance] of axes) {
      const std = Math.sqrt(alpha * alpha * variance + sigma * sigma);
      if (std > 0) addNormal(p, e, alpha * mean, std, w);
      else addPoint(p, alpha * mean, range, w);
    }
  }
  return toDensities(out);
}

/**
 * The marginal densities, on the histogram's bins, of the data's own distribution at a noise
 * level, p_t = (1 / M) sum_j N(alpha y_j, sigma^2 I): at sigma = 0 the data's histogram binned
 * exactly as the kernel bins (so equal to histogramDensities of the data's counts), above it the
 * smoothed one, exact by the normal CDF. O(M B).
 */
export function dataMarginals(
  points: Cloud,
  spec: HistogramSpec,
  level: NoiseLevel = { alpha: 1, sigma: 0 },
): MarginalDensities {
  const m = points.length / 2;
  const { alpha, sigma } = level;
  if (!(sigma > 0)) {
    const scaled = Float64Array.from({ length: 2 * m }, (_, i) => alpha * points[i]!);
    return histogramDensities(marginalHistograms(scaled, spec), m, spec);
  }
  const out = emptyDensities(spec);
  for (let j = 0; j < m; j++) {
    addNormal(out.x, out.xEdges, alpha * points[2 * j]!, sigma, 1 / m);
    addNormal(out.y, out.yEdges, alpha * points[2 * j + 1]!, sigma, 1 / m);
  }
  return toDensities(out);
}

/** The target's marginal densities: exact for a mixture, from the stored points otherwise. */
export function targetMarginals(
  target: { mixture: Mixture | null; points: Cloud },
  spec: HistogramSpec,
  level: NoiseLevel = { alpha: 1, sigma: 0 },
): MarginalDensities {
  return target.mixture
    ? mixtureMarginals(target.mixture, spec, level)
    : dataMarginals(target.points, spec, level);
}

/** A W x H grid of points spanning a world rectangle, corners included. */
export interface GridSpec {
  width: number;
  height: number;
  x: readonly [number, number];
  y: readonly [number, number];
}

/**
 * The grid's points, x and y interleaved, row-major from the bottom-left corner: point (i, j) at
 * index j W + i is (x0 + i (x1 - x0) / (W - 1), y0 + j (y1 - y0) / (H - 1)), as
 * shaders/field_*.wgsl place them.
 */
export function gridPoints(spec: GridSpec): Float64Array {
  const { width: w, height: h } = spec;
  const dx = (spec.x[1] - spec.x[0]) / (w - 1);
  const dy = (spec.y[1] - spec.y[0]) / (h - 1);
  const out = new Float64Array(2 * w * h);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      out[2 * (j * w + i)] = spec.x[0] + i * dx;
      out[2 * (j * w + i) + 1] = spec.y[0] + j * dy;
    }
  }
  return out;
}
