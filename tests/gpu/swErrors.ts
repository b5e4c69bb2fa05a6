/**
 * The error model of the GPU's sliced Wasserstein-2 against the float64 slicedWasserstein2 (shared
 * by tests/gpu/slicedWasserstein.test.ts and the experiments that report it).
 */
import { slicedWasserstein2 } from '../../src/maths/stats';
import { sliceDirections, type SlicedWasserstein } from '../../src/sim/distance/slicedWasserstein';
import { EPS32, FALSE_FAILURE_RATE } from '../random';

/** Each direction's projections of the first P points, sorted, in float64. */
export function cpuSorted(
  points: Float32Array,
  sw: Pick<SlicedWasserstein, 'projections' | 'seed' | 'points'>,
): Float64Array {
  const dirs = sliceDirections(sw.projections, sw.seed);
  const p = sw.points;
  const out = new Float64Array(p * sw.projections);
  for (let k = 0; k < sw.projections; k++) {
    const row = out.subarray(k * p, (k + 1) * p);
    for (let i = 0; i < p; i++)
      row[i] = dirs[2 * k]! * points[2 * i]! + dirs[2 * k + 1]! * points[2 * i + 1]!;
    row.sort();
  }
  return out;
}

/**
 * Hoeffding: a sum of independent, mean-zero terms |X_j| <= m_j exceeds LAMBDA sqrt(sum m_j^2)
 * with probability at most 2 exp(-LAMBDA^2 / 2) = FALSE_FAILURE_RATE.
 */
const LAMBDA = Math.sqrt(2 * Math.log(2 / FALSE_FAILURE_RATE));

/**
 * Per direction, a bound on the rounding of the first P points' float32 projections: `roundings`
 * u (|x dx| + |y dy|) at most (the products and their sum: 2).
 */
export function keyErrors(
  points: Float32Array,
  p: number,
  dirs: Float32Array,
  roundings = 2,
): number[] {
  return Array.from({ length: dirs.length / 2 }, (_, k) => {
    let m = 0;
    for (let i = 0; i < p; i++) {
      const [x, y] = [points[2 * i]!, points[2 * i + 1]!];
      m = Math.max(m, Math.abs(x * dirs[2 * k]!) + Math.abs(y * dirs[2 * k + 1]!));
    }
    return roundings * EPS32 * m;
  });
}

/**
 * Bound on the GPU's |SW - SW(d)| / SW(d), SW(d)^2 = (2 / K) sum_k (1 / P) sum_i d_ki^2 from the
 * exact sorted pairs' differences d (K rows of P), each key of the two clouds rounded by at most
 * ea[k], eb[k]. Rounding errors taken as independent, mean zero and bounded (Higham & Mary 2019):
 * to first order sum d^2 moves by 2 d (eta_a - eta_b) and 3u d^2 (difference, square) a pair,
 * and u S_k at each of a row's ceil(P / 256) + 8 + 1 sums (S_k the row's sum: each level's
 * partial sums add up to it); Hoeffding bounds that by LAMBDA sqrt(sum of squared bounds). The
 * square root halves it. (Sorted keys are off by no more than the keys: sorting is 1-Lipschitz.)
 */
export function swTolerance(d: Float64Array, p: number, ea: number[], eb: number[]): number {
  const depth = Math.ceil(p / 256) + 8 + 1;
  let total = 0;
  let squares = 0;
  let second = 0;
  for (let k = 0; k < ea.length; k++) {
    let row = 0;
    for (let i = k * p; i < (k + 1) * p; i++) {
      const d2 = d[i]! ** 2;
      row += d2;
      squares += 4 * d2 * (ea[k]! ** 2 + eb[k]! ** 2) + (3 * EPS32 * d2) ** 2;
      second += (ea[k]! + eb[k]!) ** 2;
    }
    total += row;
    squares += depth * (EPS32 * row) ** 2;
  }
  return (0.5 * (LAMBDA * Math.sqrt(squares) + second)) / total;
}

/**
 * The float64 slicedWasserstein2 of the first P particles to the reference P points, and the
 * bound on the GPU's difference from it: what the float32 directions change, and the GPU's
 * roundings (swTolerance).
 */
export function swReference(
  particles: Float32Array,
  reference: Float32Array,
  sw: Pick<SlicedWasserstein, 'projections' | 'seed' | 'points'>,
): { cpu: number; tolerance: number } {
  const { points: p, projections: k, seed } = sw;
  const cpu = slicedWasserstein2(particles.subarray(0, 2 * p), reference, k, seed);
  const [a, b] = [cpuSorted(particles, sw), cpuSorted(reference, sw)];
  const d = a.map((x, i) => x - b[i]!);
  const dirs = sliceDirections(k, seed);
  const ea = keyErrors(particles, p, dirs);
  const sw32 = Math.sqrt((2 * d.reduce((s, x) => s + x * x, 0)) / (p * k));
  const tolerance =
    Math.abs(sw32 - cpu) + sw32 * swTolerance(d, p, ea, keyErrors(reference, p, dirs));
  return { cpu, tolerance };
}
