/**
 * Running the image kernels once on real WebGPU (tests/gpu/imageDenoisers.test.ts,
 * tests/gpu/imageConditional.test.ts) and the float32 error model of the empirical denoiser,
 * evaluated on each run's own inputs.
 */
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { bindKernel, createKernel, kernelSource, type Kernel } from '../../src/gpu/kernel';
import { shaderSources } from '../../src/gpu/shaderSources';
import { Stream, normal2 } from '../../src/maths/rng';
import {
  IMAGE_KERNELS,
  IMAGE_WORKGROUP_SIZE,
  imageWorkgroups,
  type ImageKernelId,
} from '../../src/sim/run/imageKernels';
import { StepWriter, stepParams } from '../../src/sim/run/stepTable';
import { testGpu } from './harness';
import { EPS32, SEED } from '../random';

const seed = SEED;
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

const kernels = new Map<ImageKernelId, Promise<Kernel>>();

export function imageKernel(id: ImageKernelId): Promise<Kernel> {
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

export interface Run {
  n: number;
  m: number;
  d: number;
  alpha: number;
  sigma: number;
  smoothing?: number;
  draws?: number;
  rank?: number;
  evaluation?: number;
  /** The class the empirical denoiser keeps, and log(M_c / M) (default: every class, 0). */
  label?: number;
  logShare?: number;
}

/**
 * One dispatch of an image kernel; returns every buffer it was given, read back. The empirical
 * denoiser's labels are all 0 unless given (with every class kept, they are not read).
 */
export async function run(
  id: ImageKernelId,
  r: Run,
  given: Record<string, Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>>,
): Promise<Record<string, ArrayBuffer>> {
  const inputs = id === 'empirical' ? { labels: new Uint32Array(r.m), ...given } : given;
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
    ...(r.label === undefined
      ? {}
      : {
          condition: { label: r.label, guidance: 1, interval: [0, 1] as const },
          logShare: r.logShare ?? 0,
        }),
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

export function f32(a: ArrayBuffer): Float32Array {
  return new Float32Array(a);
}

/** Largest |gpu - cpu| / bound over outputs, bound[o / per] for output o. */
export function worstRatio(
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
export const TK = 16;
/**
 * Probabilistic rounding-error bounds (Higham & Mary 2019, "A new approach to probabilistic
 * rounding error analysis", Theorem 2.4): a sum of k terms errs by at most LAMBDA sqrt(k) EPS32
 * sum |terms| except with probability 2 k exp(-LAMBDA^2 / 2); at 7.5, under 1e-5 over every sum
 * of a test here (fewer than 1e4 sums of fewer than 1e3 terms).
 */
export const LAMBDA = 7.5;
/** WGSL's log is accurate to 2^-21 absolutely on [0.5, 2] (3 ulp elsewhere), as the RNG uses it. */
export const LOG_ABS_ERROR = 2 ** -21;

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
 * With `kept` (the class-conditional kernel, `data` then the class's images in order): the kernel
 * adds exact zeros for the other images, so its arithmetic is that over the class's images, but
 * at their places among the kernel's M: image j's weight in lane index[j] mod 32, a rescale per
 * block of 128 of the M, and U's constant log M + log(M_c / M) + ... with its roundings.
 */
export function empiricalBounds(
  x: Float32Array,
  n: number,
  data: Float32Array,
  m: number,
  d: number,
  alpha: number,
  sigma: number,
  opts = { smoothing: 0, draws: 1, seed: 0, evaluation: 0 },
  kept?: { index: ArrayLike<number>; m: number },
): { x0hat: Float64Array; energy: Float64Array } {
  const x0hat = new Float64Array(n);
  const energy = new Float64Array(n);
  const inv = 1 / (2 * sigma * sigma);
  const constant =
    Math.abs(Math.log(m) + 0.5 * d * (Math.log(2 * Math.PI) + Math.log(sigma * sigma))) +
    (kept ? Math.log(kept.m) + Math.abs(Math.log(m / kept.m)) : 0);
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
      const blocks = Math.ceil((kept?.m ?? m) / 128);
      // The denominator: weight j summed in lane j mod 32, then the 32 lanes; each step errs by
      // at most min(EPS32 l, term), as partial sums of positive terms are at most l (here 1).
      const lanes = new Float64Array(32);
      let denominator = 0;
      for (let j = 0; j < m; j++) {
        lanes[(kept ? kept.index[j]! : j) % 32]! += w[j]!;
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
