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
