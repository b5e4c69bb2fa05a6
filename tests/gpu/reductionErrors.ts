/**
 * Error models of the observables' float32 reductions on the GPU (src/sim/observe/observables.ts,
 * src/sim/observe/entropy.ts) against their float64 references in src/maths/observables.ts, shared by the
 * tests of Observables, KnnEntropy and Metrics. Each follows the kernels' own reduction trees in
 * float64, and carries a first-order bound on the float32 error of every partial value to the
 * root: a rounding moves a value v by at most u |v| (u = EPS32), a division by 2.5 ulp <= 5u
 * relative (WGSL's accuracy for f32 division).
 */
import {
  DIMENSION,
  kthNeighbourLogDistances,
  type ParticleArrays,
} from '../../src/maths/observables';
import type { Cloud } from '../../src/maths/stats';
import { REDUCE_WORKGROUP_SIZE, stridedGroups } from '../../src/sim/observe/observables';
import { EPS32 } from '../random';

const W = REDUCE_WORKGROUP_SIZE;
const u = EPS32;

/** A workgroup's tree in workgroup memory: lane l takes in lane l + width, width halving. */
function tree<T>(parts: T[], combine: (a: T, b: T) => T): T {
  for (let width = parts.length / 2; width >= 1; width /= 2)
    for (let l = 0; l < width; l++) parts[l] = combine(parts[l]!, parts[l + width]!);
  return parts[0]!;
}

/** One workgroup whose lane l folds items l, l + W, l + 2W, ..., then its tree. */
function oneGroup<T>(items: readonly T[], combine: (a: T, b: T) => T, empty: T): T {
  const lanes = Array.from({ length: W }, (_, l) => {
    let p = empty;
    for (let i = l; i < items.length; i += W) p = combine(p, items[i]!);
    return p;
  });
  return tree(lanes, combine);
}

/**
 * obs_reduce then obs_combine over n items: stridedGroups(n) workgroups, lane l of group g folding
 * items g W + l + t G W, one partial per group, then one workgroup over the partials.
 */
function twoPass<T>(n: number, leaf: (i: number) => T, combine: (a: T, b: T) => T, empty: T): T {
  const groups = stridedGroups(n);
  const stride = groups * W;
  const partials = Array.from({ length: groups }, (_, g) => {
    const lanes = Array.from({ length: W }, (_, l) => {
      let p = empty;
      for (let i = g * W + l; i < n; i += stride) p = combine(p, leaf(i));
      return p;
    });
    return tree(lanes, combine);
  });
  return oneGroup(partials, combine, empty);
}

/** A partial of obs_reduce: exact values (of the shifted energies) and bounds on their errors. */
interface Partial {
  count: number;
  mean: number;
  m2: number;
  v2: number;
  heat: number;
  meanError: number;
  m2Error: number;
  v2Error: number;
  heatError: number;
}

const EMPTY: Partial = {
  count: 0,
  mean: 0,
  m2: 0,
  v2: 0,
  heat: 0,
  meanError: 0,
  m2Error: 0,
  v2Error: 0,
  heatError: 0,
};

/**
 * Chan et al.'s combine, or a Welford step (b one particle): exact with an empty side. The mean
 * rounds delta (u), the weight (5u) and their product (u), then the sum; Var's term
 * T = delta^2 n_a n_b / n rounds 10u (delta twice, three products, the weight), and its delta
 * carries the means' errors (2 |delta| n_a n_b / n each); the sums of m2 round twice. Welford's
 * m2 += delta (s - mean) also carries the new mean's rounding, u |mean| |delta|.
 */
function combine(a: Partial, b: Partial): Partial {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const nb = b.count / count;
  const delta = b.mean - a.mean;
  const mean = a.mean + delta * nb;
  const weight = a.count * nb;
  const t = delta * delta * weight;
  const m2 = a.m2 + b.m2 + t;
  const v2 = a.v2 + b.v2;
  const heat = a.heat + b.heat;
  return {
    count,
    mean,
    m2,
    v2,
    heat,
    meanError:
      (1 - nb) * a.meanError + nb * b.meanError + u * (Math.abs(mean) + 7 * Math.abs(delta) * nb),
    m2Error:
      a.m2Error +
      b.m2Error +
      u * (2 * m2 + 10 * t + Math.abs(mean * delta)) +
      2 * Math.abs(delta) * weight * (a.meanError + b.meanError),
    v2Error: a.v2Error + b.v2Error + u * v2,
    heatError: a.heatError + b.heatError + u * Math.abs(heat),
  };
}

/** Bounds on |GPU - float64| of the Observables means (acceptance is exact: sums of 0 and 1). */
export interface ObservablesTolerance {
  meanEnergy: number;
  energyVariance: number;
  kineticTemperature: number;
  heat: number;
}

/**
 * The tolerances of one measurement of these particles: obs_reduce's and obs_combine's trees
 * over the particles particleObservables counts, the energies shifted by the pivot (U of particle
 * 0 if finite: one rounding each), |v|^2 rounded twice, and the pivot added back at the end.
 */
export function observablesTolerance(p: ParticleArrays, radius: number): ObservablesTolerance {
  const u0 = p.energy[0]!;
  const pivot = Number.isFinite(u0) ? u0 : 0;
  const leaf = (i: number): Partial => {
    const [x, y] = [p.x[2 * i]!, p.x[2 * i + 1]!];
    const [vx, vy] = p.v ? [p.v[2 * i]!, p.v[2 * i + 1]!] : [0, 0];
    const a = p.accept ? p.accept[i]! : 0;
    const q = p.heat ? p.heat[i]! : 0;
    const s = p.energy[i]! - pivot;
    if (![x, y, s, vx, vy, a, q].every(Number.isFinite) || x * x + y * y > radius * radius)
      return EMPTY;
    const v2 = vx * vx + vy * vy;
    return {
      ...EMPTY,
      count: 1,
      mean: s,
      v2,
      heat: q,
      meanError: u * Math.abs(s),
      v2Error: 2 * u * v2,
    };
  };
  const r = twoPass(p.energy.length, leaf, combine, EMPTY);
  return {
    meanEnergy: r.meanError + u * Math.abs(r.mean + pivot),
    energyVariance: r.m2Error / r.count,
    kineticTemperature: r.v2Error / (DIMENSION * r.count),
    heat: r.heatError / r.count,
  };
}

/** WGSL's log in float32: absolute 2^-21 for arguments in [0.5, 2], else 3 ulp of the result. */
function logError(logArgument: number): number {
  if (Math.abs(logArgument) <= Math.LN2) return 2 ** -21;
  return 3 * 2 ** (Math.floor(Math.log2(Math.abs(logArgument))) - 23);
}

/**
 * Bound on |KnnEntropy - klEntropy| for a cloud (its first P points taking part): each log r_i off
 * by half of 4u (|xi - xj|^2 in float32) and of log's error (a k-th smallest distance is off by no
 * more than the distances are), then obs_knn_sum's tree sum of the log r_i, scaled by d / N.
 */
export function entropyTolerance(points: Cloud, k: number, radius: number): number {
  interface Sum {
    value: number;
    error: number;
  }
  const terms: Sum[] = [];
  for (const l of kthNeighbourLogDistances(points, k, radius))
    terms.push(
      Number.isNaN(l) ? { value: 0, error: 0 } : { value: l, error: 2 * u + logError(2 * l) / 2 },
    );
  const add = (a: Sum, b: Sum): Sum => {
    if (a.value === 0 && a.error === 0) return b;
    const value = a.value + b.value;
    return { value, error: a.error + b.error + u * Math.abs(value) };
  };
  const count = terms.filter((t) => t.error > 0).length;
  return (DIMENSION / count) * oneGroup(terms, add, { value: 0, error: 0 }).error;
}
