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
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { bindKernel, createKernel, kernelSource, type Kernel } from '../../src/gpu/kernel';
import { shaderSources } from '../../src/gpu/shaderSources';
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
import { Rng, Stream, normal2 } from '../../src/maths/rng';
import {
  IMAGE_KERNELS,
  IMAGE_WORKGROUP_SIZE,
  imageWorkgroups,
  type ImageKernelId,
} from '../../src/sim/run/imageKernels';
import { StepWriter, stepParams } from '../../src/sim/run/stepTable';
import { gpuErrors, relativeError, testGpu } from './harness';
import { EPS32, SEED, within } from '../random';
import { NEAREST_RECORD_BYTES } from '../../src/maths/memorisation';

const seed = SEED;
const rng = new Rng(seed, 78);
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

const kernels = new Map<ImageKernelId, Promise<Kernel>>();

function imageKernel(id: ImageKernelId): Promise<Kernel> {
  let k = kernels.get(id);
  if (!k) {
    k = testGpu().then(({ device }) =>
      createKernel(device, {
        label: IMAGE_KERNELS[id],
        code: kernelSource(shaderSources, IMAGE_KERNELS[id]),
        workgroupSize: IMAGE_WORKGROUP_SIZE,
        dynamic: ['step'],
      }),
    );
    kernels.set(id, k);
  }
  return k;
}

interface Run {
  n: number;
  m: number;
  d: number;
  alpha: number;
  sigma: number;
  smoothing?: number;
  draws?: number;
  rank?: number;
  evaluation?: number;
}

/** One dispatch of an image kernel; returns every buffer it was given, read back. */
async function run(
  id: ImageKernelId,
  r: Run,
  inputs: Record<string, Float32Array<ArrayBuffer>>,
): Promise<Record<string, ArrayBuffer>> {
  const { device } = await testGpu();
  const k = await imageKernel(id);
  const struct = k.definitions.structs.Step!;
  const level = { t: 0.5, alpha: r.alpha, sigma: r.sigma };
  const constants = {
    eta: 0,
    n: r.n,
    m: r.m,
    k: 0,
    seed,
    dim: r.d,
    smoothing: r.smoothing ?? 0,
    draws: r.draws ?? 1,
    rank: r.rank ?? 0,
  };
  const p = stepParams(level, level, level, 0, constants, null, r.evaluation ?? 0);
  const step = createBuffer(device, {
    label: 'step',
    size: 0,
    usage: GPUBufferUsage.UNIFORM,
    data: new Uint8Array(new StepWriter(struct, struct.size).pack([p])),
  });
  const buffers = Object.fromEntries(
    Object.entries(inputs).map(([name, data]) => [
      name,
      createBuffer(device, { label: name, size: 0, usage: USAGE, data }),
    ]),
  );
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, bindKernel(device, k, { ...buffers, step }), [0]);
  pass.dispatchWorkgroups(imageWorkgroups(id, r.n, r.draws ?? 1));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const out: Record<string, ArrayBuffer> = {};
  for (const [name, b] of Object.entries(buffers)) out[name] = await readback(device, b);
  for (const b of [step, ...Object.values(buffers)]) b.destroy();
  return out;
}

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

function f32(a: ArrayBuffer): Float32Array {
  return new Float32Array(a);
}

/** Largest |gpu - cpu| / bound over outputs, bound[o / per] for output o. */
function worstRatio(
  gpu: Float32Array,
  cpu: ArrayLike<number>,
  bound: ArrayLike<number>,
  per: number,
): number {
  let worst = 0;
  for (let o = 0; o < gpu.length; o++)
    worst = Math.max(worst, Math.abs(gpu[o]! - cpu[o]!) / bound[Math.floor(o / per)]!);
  return worst;
}

/** TK coordinates per fma chain in the tiled distance loops (shaders/run/denoise_image_empirical.wgsl). */
const TK = 16;
/**
 * Probabilistic rounding-error bounds (Higham & Mary 2019, "A new approach to probabilistic
 * rounding error analysis", Theorem 2.4): a sum of k terms errs by at most LAMBDA sqrt(k) EPS32
 * sum |terms| except with probability 2 k exp(-LAMBDA^2 / 2); at 7.5, under 1e-5 over every sum
 * of a test here (fewer than 1e4 sums of fewer than 1e3 terms).
 */
const LAMBDA = 7.5;
/** WGSL's log is accurate to 2^-21 absolutely on [0.5, 2] (3 ulp elsewhere), as the RNG uses it. */
const LOG_ABS_ERROR = 2 ** -21;

/**
 * Float32 error bounds of the empirical kernel's x0_hat (per coordinate of query i) and U (per
 * query i), from the float64 logits and weights of the same queries:
 * - a distance D_ij is fma chains of TK terms, Kahan-summed over the chunks (the compensated value
 *   used after a shift by the row's smallest distance, 2 EPS32 |D - D_min|): |dD| <= TK EPS32 D,
 *   or, the chains' errors being independent, LAMBDA sqrt(TK sum_chunks chunk^2) EPS32; a alpha y rounds once (2 EPS32 |a y| with the rounding of alpha), and for the smoothed
 *   query so do x + s z and the GPU's Box-Muller z (log to 2^-21 absolutely: dz <= 2^-21 / r + 8
 *   EPS32 |z|), each moving D by 2 |q - a y| dq: dl_ij = dD_ij / (2 sigma^2);
 * - the softmax moves x0_hat_c by sum_j w_j (|dl_j| + sum_k w_k |dl_k|) |y_jc - x0_hat_c|
 *   (first order in the logits); its weighted sum is an fma chain whose step j errs by at most
 *   min(EPS32 |partial sum|, |term|), rescaled once a block of 128, divided by the denominator
 *   (itself a sum of m weights, bounded the same way); exp is good to a few ulp: 8 EPS32 more on
 *   each weight;
 * - U = constant + logsumexp: moved by sum_j w_j |dl_j|, plus 8 EPS32 (|constant| + |max l| + log m).
 * Draws average: their bounds add, divided by draws.
 */
function empiricalBounds(
  x: Float32Array,
  n: number,
  data: Float32Array,
  m: number,
  d: number,
  alpha: number,
  sigma: number,
  opts = { smoothing: 0, draws: 1, seed: 0, evaluation: 0 },
): { x0hat: Float64Array; energy: Float64Array } {
  const x0hat = new Float64Array(n);
  const energy = new Float64Array(n);
  const inv = 1 / (2 * sigma * sigma);
  const constant = Math.abs(
    Math.log(m) + 0.5 * d * (Math.log(2 * Math.PI) + Math.log(sigma * sigma)),
  );
  const q = new Float64Array(d);
  const dq = new Float64Array(d);
  const z = new Float64Array(2);
  const dist = new Float64Array(m);
  const dl = new Float64Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < opts.draws; k++) {
      for (let c = 0; c < d; c += 2) {
        for (const e of [0, 1]) {
          q[c + e] = x[i * d + c + e]!;
          dq[c + e] = 0;
        }
        if (opts.smoothing > 0) {
          normal2(
            opts.seed,
            Stream.smooth,
            (i * (d / 2) + c / 2) * opts.draws + k,
            opts.evaluation,
            z,
          );
          const r = Math.hypot(z[0]!, z[1]!);
          for (const e of [0, 1]) {
            q[c + e]! += opts.smoothing * z[e]!;
            const dz = LOG_ABS_ERROR / r + 8 * EPS32 * Math.abs(z[e]!);
            dq[c + e] =
              EPS32 * Math.abs(q[c + e]!) + opts.smoothing * (dz + 2 * EPS32 * Math.abs(z[e]!));
          }
        }
      }
      let max = -Infinity;
      for (let j = 0; j < m; j++) {
        let dd = 0;
        let chunks = 0;
        let moved = 0;
        for (let c0 = 0; c0 < d; c0 += TK) {
          let chunk = 0;
          for (let c = c0; c < Math.min(c0 + TK, d); c++) {
            const ay = alpha * data[j * d + c]!;
            const diff = q[c]! - ay;
            chunk += diff * diff;
            moved += 2 * Math.abs(diff) * (dq[c]! + 2 * EPS32 * Math.abs(ay));
          }
          dd += chunk;
          chunks += chunk * chunk;
        }
        dist[j] = dd;
        dl[j] = Math.min(TK * dd, LAMBDA * Math.sqrt(TK * chunks)) * EPS32 + moved;
        max = Math.max(max, -dd * inv);
      }
      // The kernel shifts by the smallest distance before rounding: 2 EPS32 |D_j - D_min| more.
      for (let j = 0; j < m; j++)
        dl[j] = (dl[j]! + 2 * EPS32 * (dist[j]! + max / inv)) * inv + 8 * EPS32;
      let sum = 0;
      for (let j = 0; j < m; j++) sum += w[j] = Math.exp(-dist[j]! * inv - max);
      let mean = 0;
      for (let j = 0; j < m; j++) mean += (w[j]! /= sum) * dl[j]!;
      const blocks = Math.ceil(m / 128);
      // The denominator: weight j summed in lane j mod 32, then the 32 lanes; each step errs by
      // at most min(EPS32 l, term), as partial sums of positive terms are at most l (here 1).
      const lanes = new Float64Array(32);
      let denominator = 0;
      for (let j = 0; j < m; j++) {
        lanes[j % 32]! += w[j]!;
        denominator += Math.min(EPS32, w[j]!);
      }
      for (const l of lanes) denominator += Math.min(EPS32, l);
      let worst = 0;
      for (let c = 0; c < d; c++) {
        // The fma chain acc += w_j y_jc in j order: step j errs by at most min(EPS32 |acc_j|,
        // |w_j y_jc|) (rounding to nearest never errs by more than the term added).
        let xc = 0;
        let chain = 0;
        for (let j = 0; j < m; j++) {
          const t = w[j]! * data[j * d + c]!;
          xc += t;
          chain += Math.min(EPS32 * Math.abs(xc), Math.abs(t));
        }
        let b = chain + (blocks + 2) * EPS32 * Math.abs(xc) + denominator * Math.abs(xc);
        for (let j = 0; j < m; j++) b += w[j]! * (dl[j]! + mean) * Math.abs(data[j * d + c]! - xc);
        worst = Math.max(worst, b);
      }
      x0hat[i]! += worst / opts.draws;
      energy[i]! += (mean + 8 * EPS32 * (constant + Math.abs(max) + Math.log(m))) / opts.draws;
    }
  }
  return { x0hat, energy };
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
