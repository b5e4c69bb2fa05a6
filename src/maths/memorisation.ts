/**
 * Memorisation of a batch of images (../shared/docs/maths.md section 5): a sample is memorised
 * when its nearest training image is much nearer than the second nearest, d1 / d2 < 1/3 in
 * distance: the rule of Yoon, Choi, Kwon & Ryu 2023 ("Diffusion probabilistic models generalize
 * when they fail to memorize", ICML workshop), also used by Gu et al. 2023 ("On memorization in
 * diffusion models"). Carlini et al. 2023 use another test (distance relative to the nearest
 * training neighbours' own). Read from the GPU's `nearest` records (shaders/distance/image_nearest.wgsl).
 */

/** Distance ratio below which a sample counts as a copy of its nearest training image. */
export const MEMORISED_BELOW = 1 / 3;
/**
 * Bytes per record: struct Nearest { d1: f32, d2: f32, index: u32, pad: u32 } of
 * shaders/lib/nearest.wgsl, squared distances (a unit test checks it by reflection).
 */
export const NEAREST_RECORD_BYTES = 16;

export interface Memorisation {
  /** The fraction of samples with d1 / d2 < 1/3. */
  memorised: number;
  /** The median of d1 / d2 (distances, not squared). */
  ratio: number;
  /** The mean distance to the nearest training image, per coordinate (RMS pixel difference). */
  distance: number;
  /** Samples whose distances are not finite (a diverged run). */
  nonFinite: number;
}

/** The batch's memorisation from n `nearest` records of images of `dim` coordinates. */
export function memorisationOf(records: ArrayBuffer, n: number, dim: number): Memorisation {
  const words = NEAREST_RECORD_BYTES / 4;
  const f = new Float32Array(records, 0, words * n);
  const ratios: number[] = [];
  let memorised = 0;
  let distance = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const d1 = f[words * i]!;
    const d2 = f[words * i + 1]!;
    if (!Number.isFinite(d1) || !Number.isFinite(d2)) {
      nonFinite++;
      continue;
    }
    const ratio = d2 > 0 ? Math.sqrt(Math.max(d1, 0) / d2) : 1;
    ratios.push(ratio);
    if (ratio < MEMORISED_BELOW) memorised++;
    distance += Math.sqrt(Math.max(d1, 0) / dim);
  }
  const finite = ratios.length;
  ratios.sort((a, b) => a - b);
  const median =
    finite === 0
      ? NaN
      : finite % 2
        ? ratios[(finite - 1) / 2]!
        : 0.5 * (ratios[finite / 2 - 1]! + ratios[finite / 2]!);
  return {
    memorised: finite ? memorised / n : NaN,
    ratio: median,
    distance: finite ? distance / finite : NaN,
    nonFinite,
  };
}

/**
 * The squared distances (d1, d2) from each 2D query to its nearest and second nearest of the
 * stored points (x, y interleaved), by a uniform grid of about two points a cell: each query
 * searches rings of cells around its own until no unvisited point can be nearer than its second.
 */
export function nearestTwo(points: ArrayLike<number>, queries: ArrayLike<number>): Float64Array {
  const m = points.length / 2;
  const out = new Float64Array(queries.length).fill(Infinity);
  if (m === 0) return out;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let j = 0; j < m; j++) {
    x0 = Math.min(x0, points[2 * j]!);
    x1 = Math.max(x1, points[2 * j]!);
    y0 = Math.min(y0, points[2 * j + 1]!);
    y1 = Math.max(y1, points[2 * j + 1]!);
  }
  const side = Math.max(1, Math.ceil(Math.sqrt(m / 2)));
  const cell = Math.max(x1 - x0, y1 - y0, 1e-12) / side;
  const cellOf = (v: number, lo: number): number =>
    Math.min(side - 1, Math.max(0, Math.floor((v - lo) / cell)));
  // Points sorted by cell (counting sort): cell c holds order[start[c] .. start[c + 1]).
  const start = new Int32Array(side * side + 1);
  const cellOfPoint = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const c = cellOf(points[2 * j + 1]!, y0) * side + cellOf(points[2 * j]!, x0);
    cellOfPoint[j] = c;
    start[c + 1]!++;
  }
  for (let c = 0; c < side * side; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, -1);
  const order = new Int32Array(m);
  for (let j = 0; j < m; j++) order[fill[cellOfPoint[j]!]!++] = j;
  for (let q = 0; q < queries.length / 2; q++) {
    const qx = queries[2 * q]!;
    const qy = queries[2 * q + 1]!;
    if (!Number.isFinite(qx) || !Number.isFinite(qy)) {
      out[2 * q] = out[2 * q + 1] = NaN;
      continue;
    }
    const cx = cellOf(qx, x0);
    const cy = cellOf(qy, y0);
    let d1 = Infinity;
    let d2 = Infinity;
    for (let r = 0; ; r++) {
      for (let gy = cy - r; gy <= cy + r; gy++) {
        if (gy < 0 || gy >= side) continue;
        const ring = gy === cy - r || gy === cy + r;
        for (let gx = cx - r; gx <= cx + r; gx += ring || r === 0 ? 1 : 2 * r) {
          if (gx < 0 || gx >= side) continue;
          const c = gy * side + gx;
          for (let k = start[c]!; k < start[c + 1]!; k++) {
            const j = order[k]!;
            const d = (points[2 * j]! - qx) ** 2 + (points[2 * j + 1]! - qy) ** 2;
            if (d < d1) [d1, d2] = [d, d1];
            else if (d < d2) d2 = d;
          }
        }
      }
      // Every unvisited point lies outside the box of rings 0..r: no nearer than its edge.
      const left = x0 + (cx - r) * cell;
      const right = x0 + (cx + r + 1) * cell;
      const bottom = y0 + (cy - r) * cell;
      const top = y0 + (cy + r + 1) * cell;
      const covered = cx - r <= 0 && cy - r <= 0 && cx + r >= side - 1 && cy + r >= side - 1;
      const inside = qx >= left && qx <= right && qy >= bottom && qy <= top;
      const edge = inside ? Math.min(qx - left, right - qx, qy - bottom, top - qy) : 0;
      if (covered || (inside && edge * edge >= d2)) break;
    }
    out[2 * q] = d1;
    out[2 * q + 1] = d2;
  }
  return out;
}

/** The fraction of 2D samples with d1 / d2 < MEMORISED_BELOW to the stored points (NaN: none). */
export function memorisedFraction(samples: ArrayLike<number>, points: ArrayLike<number>): number {
  const d = nearestTwo(points, samples);
  let memorised = 0;
  const n = samples.length / 2;
  for (let i = 0; i < n; i++)
    if (d[2 * i + 1]! > 0 && Math.sqrt(d[2 * i]! / d[2 * i + 1]!) < MEMORISED_BELOW) memorised++;
  return n ? memorised / n : NaN;
}
