/**
 * The image kernels on real WebGPU against their float64 references (src/maths/imageDenoisers.ts),
 * fresh random inputs each run (seed in the names): the empirical denoiser (plain and smoothed)
 * with n not a multiple of the rows per workgroup and M not a multiple of the training tile, at
 * levels from a broad softmax to a peaked one; the Gaussian-model denoiser and its packed layout;
 * nearest training images. d = 784 and 3072.
 *
 * Tolerances are float32 error bounds computed from each run's own inputs (never constants): every
 * sum is bounded by Higham's gamma_k = k EPS32 times the sum of its terms' magnitudes (Accuracy and
 * Stability of Numerical Algorithms, 2nd ed., section 3.1), k the length of the chain of roundings
 * the kernel performs, and the softmax by its first-order sensitivity to the logits. Each check is
 * elementwise: max over outputs of |gpu - float64| / bound <= 1.
 */
import { afterEach, describe, expect, test } from 'vitest';
import {
  fitGaussianModel,
  packGaussianModel,
  type GaussianModel,
} from '../../src/maths/gaussianModel';
import {
  denoiseImagesEmpirical,
  denoiseImagesGaussian,
  nearestImages,
} from '../../src/maths/imageDenoisers';
import { Rng } from '../../src/maths/rng';
import { gpuErrors, relativeError } from './harness';
import { EPS32, SEED, within } from '../random';
import { NEAREST_RECORD_BYTES } from '../../src/maths/memorisation';
import { empiricalBounds, f32, run, TK, worstRatio } from './imageKernelRuns';

const seed = SEED;
const rng = new Rng(seed, 78);

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

/** Random images with coordinates in [-1, 1]. */
function images(count: number, d: number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: count * d }, () => 2 * rng.uniform() - 1);
}

/** Queries x = alpha y + sigma eps: even ones from training images, odd ones from fresh images. */
function queries(
  n: number,
  data: Float32Array,
  m: number,
  d: number,
  alpha: number,
  sigma: number,
): Float32Array<ArrayBuffer> {
  const fresh = images(n, d);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const j = rng.int(m);
    for (let c = 0; c < d; c++) {
      const y = i % 2 ? fresh[i * d + c]! : data[j * d + c]!;
      x[i * d + c] = alpha * y + sigma * rng.normal();
    }
  }
  return x;
}

// (d, n, m): n not a multiple of 8 rows, m not a multiple of the 128-image tile.
const SHAPES = [
  { d: 784, n: 13, m: 301 },
  { d: 3072, n: 9, m: 203 },
] as const;
// From a broad softmax (sigma comparable to the distances between images) to a peaked one.
const LEVELS = [
  { alpha: 0.9, sigma: 12 },
  { alpha: 0.6, sigma: 3 },
  { alpha: 1, sigma: 0.3 },
  { alpha: 0.8, sigma: 0.02 },
] as const;

describe(`denoise_image_empirical (SEED=${seed})`, () => {
  for (const { d, n, m } of SHAPES)
    for (const { alpha, sigma } of LEVELS)
      test(`d ${d}, n ${n}, M ${m}, alpha ${alpha}, sigma ${sigma}`, async () => {
        const data = images(m, d);
        const x = queries(n, data, m, d, alpha, sigma);
        const out = await run(
          'empirical',
          { n, m, d, alpha, sigma },
          {
            x,
            data,
            x0hat: new Float32Array(n * d),
            energy: new Float32Array(n),
          },
        );
        const cpu = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma);
        const bound = empiricalBounds(x, n, data, m, d, alpha, sigma);
        const model = 'float32 distances and softmax (empiricalBounds)';
        within(worstRatio(f32(out.x0hat!), cpu.x0hat, bound.x0hat, d), 1, `x0_hat: ${model}`);
        within(worstRatio(f32(out.energy!), cpu.energy, bound.energy, 1), 1, `U: ${model}`);
      });

  for (const { d, n, m } of SHAPES)
    for (const draws of [1, 2, 4])
      test(`smoothed: d ${d}, draws ${draws}`, async () => {
        const data = images(m, d);
        const alpha = 0.7;
        const sigma = 2 + 4 * rng.uniform();
        const smoothing = 0.2 + 0.5 * rng.uniform();
        const evaluation = rng.int(1000);
        const x = queries(n, data, m, d, alpha, sigma);
        const out = await run(
          'empirical',
          { n, m, d, alpha, sigma, smoothing, draws, evaluation },
          { x, data, x0hat: new Float32Array(n * d), energy: new Float32Array(n) },
        );
        const opts = { smoothing, draws, seed, evaluation };
        const cpu = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma, opts);
        const bound = empiricalBounds(x, n, data, m, d, alpha, sigma, opts);
        const model = 'float32 queries, distances and softmax (empiricalBounds)';
        within(worstRatio(f32(out.x0hat!), cpu.x0hat, bound.x0hat, d), 1, `x0_hat: ${model}`);
        within(worstRatio(f32(out.energy!), cpu.energy, bound.energy, 1), 1, `U: ${model}`);
        // The noise matters: the plain denoiser is measurably elsewhere.
        const plain = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma);
        expect(relativeError(plain.x0hat, cpu.x0hat)).toBeGreaterThan(1e-3);
      });
});

/** The model as float32 holds it, so that the reference sees the kernel's very numbers. */
function rounded(model: GaussianModel): GaussianModel {
  const r = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
  return {
    mean: r(model.mean),
    lambda: r(model.lambda),
    lambda0: Math.fround(model.lambda0),
    basis: r(model.basis),
  };
}

/**
 * Float32 error bounds of the Gaussian-model kernel (per coordinate of query i for x0_hat, per
 * query for U), by Higham's gamma_k over the kernel's chains of roundings: u = x - a mu (2, with
 * alpha's own rounding), v_k . u (d / 32 fma per lane, then 32 lanes summed), the r-term sums along
 * and pulled, res and x0_hat (3 more), the shrinkage c_k and eigenvalues e_k (8 EPS32 relative,
 * alpha and sigma rounded), res^2 (d / 256 per thread, then an 8-level tree) and the r + 1 log
 * terms of log det.
 */
function gaussianBounds(
  x: Float32Array,
  n: number,
  model: GaussianModel,
  d: number,
  alpha: number,
  sigma: number,
): { x0hat: Float64Array; energy: Float64Array } {
  const { mean, lambda, lambda0, basis } = model;
  const r = lambda.length;
  const s2 = sigma * sigma;
  const e = lambda.map((l) => alpha * alpha * l + s2);
  const e0 = alpha * alpha * lambda0 + s2;
  const c0 = (alpha * lambda0) / e0;
  const x0hat = new Float64Array(n);
  const energy = new Float64Array(n);
  const u = new Float64Array(d);
  const du = new Float64Array(d);
  const proj = new Float64Array(r);
  const dproj = new Float64Array(r);
  const chain = d / 32 + 32;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) {
      u[c] = x[i * d + c]! - alpha * mean[c]!;
      du[c] = 2 * EPS32 * (Math.abs(x[i * d + c]!) + 2 * Math.abs(alpha * mean[c]!));
    }
    let quad = 0;
    let dquad = 0;
    for (let k = 0; k < r; k++) {
      let p = 0;
      let abs = 0;
      let moved = 0;
      for (let c = 0; c < d; c++) {
        const v = basis[k * d + c]!;
        p += v * u[c]!;
        abs += Math.abs(v * u[c]!);
        moved += Math.abs(v) * du[c]!;
      }
      proj[k] = p;
      dproj[k] = chain * EPS32 * abs + moved;
      quad += (p * p) / e[k]!;
      dquad += (2 * Math.abs(p) * dproj[k]!) / e[k]! + 8 * EPS32 * ((p * p) / e[k]!);
    }
    let worst = 0;
    let res2 = 0;
    let dres2 = 0;
    for (let c = 0; c < d; c++) {
      let along = 0;
      let pulled = 0;
      let dalong = 0;
      let dpulled = 0;
      for (let k = 0; k < r; k++) {
        const v = basis[k * d + c]!;
        const ck = (alpha * lambda[k]!) / e[k]!;
        along += proj[k]! * v;
        pulled += ck * proj[k]! * v;
        dalong += (r * EPS32 * Math.abs(proj[k]!) + dproj[k]!) * Math.abs(v);
        dpulled += Math.abs(ck) * ((r + 8) * EPS32 * Math.abs(proj[k]!) + dproj[k]!) * Math.abs(v);
      }
      const res = u[c]! - along;
      const dres = du[c]! + dalong + EPS32 * Math.abs(res);
      res2 += res * res;
      dres2 += 2 * Math.abs(res) * dres;
      const out = Math.abs(mean[c]!) + Math.abs(pulled) + Math.abs(c0 * res);
      worst = Math.max(worst, 3 * EPS32 * out + dpulled + c0 * (dres + 8 * EPS32 * Math.abs(res)));
    }
    const tree = d / 256 + 8;
    dres2 += tree * EPS32 * res2;
    quad += res2 / e0;
    dquad += dres2 / e0 + 8 * EPS32 * (res2 / e0);
    const logDet = e.reduce((t, v) => t + Math.abs(Math.log(v)), (d - r) * Math.abs(Math.log(e0)));
    const dlogDet = (r + 4) * EPS32 * logDet + 8 * EPS32 * d;
    const terms = d * Math.log(2 * Math.PI) + logDet + quad;
    x0hat[i] = worst;
    energy[i] = 0.5 * (dlogDet + dquad + (r + 4) * EPS32 * terms);
  }
  return { x0hat, energy };
}

describe(`denoise_image_gaussian (SEED=${seed})`, () => {
  // Ranks with and without padding after lambda0 (d + r + 1 a multiple of 4 or not), and 0.
  const CASES = [
    { d: 784, rank: 0 },
    { d: 784, rank: 3 },
    { d: 784, rank: 5 },
    { d: 3072, rank: 12 },
  ] as const;
  for (const { d, rank } of CASES)
    test(`d ${d}, rank ${rank}`, async () => {
      const m = 200;
      const n = 5;
      const data = images(m, d);
      // Planted structure so that lambda differs from lambda0: a few strong directions.
      for (let i = 0; i < m; i++)
        for (let q = 0; q < 4; q++) {
          const a = 2 * rng.normal();
          for (let c = 0; c < d; c++) data[i * d + c]! += (a * Math.cos((q + 1) * c * 0.01)) / 2;
        }
      const model = rounded(fitGaussianModel(data, d, rank, seed));
      for (const { alpha, sigma } of [
        { alpha: 0.9, sigma: 0.3 },
        { alpha: 0.4, sigma: 1.5 },
        { alpha: 1, sigma: 0.02 },
      ]) {
        const x = queries(n, data, m, d, alpha, sigma);
        const out = await run(
          'gaussian',
          { n, m, d, alpha, sigma, rank },
          {
            x,
            gaussianModel: packGaussianModel(model),
            x0hat: new Float32Array(n * d),
            energy: new Float32Array(n),
          },
        );
        const cpu = denoiseImagesGaussian(x, n, model, d, alpha, sigma);
        const bound = gaussianBounds(x, n, model, d, alpha, sigma);
        const what = 'float32 projections and sums (gaussianBounds)';
        within(worstRatio(f32(out.x0hat!), cpu.x0hat, bound.x0hat, d), 1, `x0_hat: ${what}`);
        within(worstRatio(f32(out.energy!), cpu.energy, bound.energy, 1), 1, `U: ${what}`);
      }
    });
});

describe(`image_nearest (SEED=${seed})`, () => {
  for (const { d, n, m } of SHAPES)
    test(`d ${d}, n ${n}, M ${m}`, async () => {
      const data = images(m, d);
      // Near copies (small and larger perturbations) and fresh images.
      const q = queries(n, data, m, d, 1, 0.05);
      for (let i = 0; i < n; i += 4) for (let c = 0; c < d; c++) q[i * d + c]! *= 1.3;
      const out = await run(
        'nearest',
        { n, m, d, alpha: 1, sigma: 1 },
        {
          x0hat: q,
          data,
          nearest: new Float32Array((n * NEAREST_RECORD_BYTES) / 4),
        },
      );
      const gpu = f32(out.nearest!);
      const index = new Uint32Array(out.nearest!);
      const cpu = nearestImages(q, n, data, m, d);
      // Distances of nonnegative terms: fma chains of TK, Kahan-summed over the chunks, then
      // stored: |dD| <= (TK + 4) EPS32 D. An index is checked where the gap exceeds both errors.
      const rel = (TK + 4) * EPS32;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        worst = Math.max(worst, Math.abs(gpu[4 * i]! - cpu.d1[i]!) / (rel * cpu.d1[i]!));
        worst = Math.max(worst, Math.abs(gpu[4 * i + 1]! - cpu.d2[i]!) / (rel * cpu.d2[i]!));
        if (cpu.d2[i]! - cpu.d1[i]! > rel * (cpu.d1[i]! + cpu.d2[i]!))
          expect(index[4 * i + 2]).toBe(cpu.index[i]);
      }
      within(worst, 1, 'squared distances: compensated float32 sums, (TK + 4) EPS32 relative');
    });
});
