/**
 * Path straightness of a run, in float64: the reference of shaders/run/path_step.wgsl and of its
 * mean in the live observables. For each particle, L = sum over the run's steps of
 * |x_{i+1} - x_i| (the path length, in all its dim coordinates) and D = |x_end - x_start| (the
 * endpoint distance); its excess path length is L / D - 1 >= 0, 0 for a straight path. The
 * reading is the mean excess over particles.
 *
 * A particle whose D is not above DEGENERATE L is left out of the mean: one that has not moved
 * (L = D = 0, e.g. before the first step), or whose path came back to (near) its start, where
 * L / D is undefined or a ratio of 1,000 or more that would swamp the mean of all the others.
 * The reading is NaN when no particle counts. Measured on the rectified path (Liu et al. 2022,
 * "Flow straight and fast"), whose straightness is the point of reflow; their own measure is
 * E int |(X_1 - X_0) - v_t|^2 dt, which needs the velocity: L / D - 1 needs positions only.
 */

/** Below this D / L a particle's excess is not counted (shaders/run/path_step.wgsl's too). */
export const DEGENERATE = 1e-3;

export interface PathTotals {
  /** Per particle: L, and the excess L / D - 1 (0 where not counted). */
  length: Float64Array;
  excess: Float64Array;
  /** Per particle: 1 if counted, else 0. */
  counted: Uint8Array;
  /** The mean excess over the counted particles (NaN if none). */
  mean: number;
}

/**
 * Straightness of the paths through `positions` (x_0, x_1, ..., each n particles of dim floats,
 * interleaved as the GPU holds them).
 */
export function pathStraightness(
  positions: readonly ArrayLike<number>[],
  n: number,
  dim = 2,
): PathTotals {
  const length = new Float64Array(n);
  const excess = new Float64Array(n);
  const counted = new Uint8Array(n);
  const first = positions[0]!;
  const last = positions[positions.length - 1]!;
  let sum = 0;
  let count = 0;
  for (let p = 0; p < n; p++) {
    let l = 0;
    for (let i = 1; i < positions.length; i++) {
      const a = positions[i - 1]!;
      const b = positions[i]!;
      let s = 0;
      for (let c = p * dim; c < (p + 1) * dim; c++) s += (b[c]! - a[c]!) ** 2;
      l += Math.sqrt(s);
    }
    let s = 0;
    for (let c = p * dim; c < (p + 1) * dim; c++) s += (last[c]! - first[c]!) ** 2;
    const d = Math.sqrt(s);
    length[p] = l;
    if (d > DEGENERATE * l && d > 0) {
      excess[p] = l / d - 1;
      counted[p] = 1;
      sum += excess[p]!;
      count++;
    }
  }
  return { length, excess, counted, mean: count > 0 ? sum / count : NaN };
}
