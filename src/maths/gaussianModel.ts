/**
 * A Gaussian model of image data, N(mu, Sigma) with Sigma = V diag(lambda) V^T + lambda0 (I - V V^T):
 * the top r principal directions of the sample covariance and one isotropic variance for the
 * rest. Its exact denoiser is shaders/run/denoise_image_gaussian.wgsl (reference: imageDenoisers.ts).
 * The directions come from randomised subspace iteration (Halko, Martinsson & Tropp 2011,
 * "Finding structure with randomness", Algorithm 4.4) with a Rayleigh-Ritz step at the end.
 */
import { Rng, Stream } from './rng';

export interface GaussianModel {
  mean: Float64Array;
  /** Variances along the basis, largest first. */
  lambda: Float64Array;
  /** Variance in every direction orthogonal to the basis. */
  lambda0: number;
  /** r orthonormal vectors of d floats, one after the other. */
  basis: Float64Array;
}

/** Images the iteration uses at most: a random subsample past this, so the fit stays quick. */
export const FIT_SUBSAMPLE = 2000;
/** Extra directions iterated beyond the rank, and subspace iterations (Halko et al. 2011). */
const OVERSAMPLE = 8;
const ITERATIONS = 3;
/** Images x coordinates x directions per product: about a second of JavaScript per fit. */
const FIT_WORK = FIT_SUBSAMPLE * 3072 * 40;

/** Images the iteration sees: FIT_SUBSAMPLE, fewer for large d and rank (at least 4 per direction). */
export function fitSubsample(m: number, d: number, rank: number): number {
  const k = Math.min(d, rank + OVERSAMPLE);
  const budget = Math.max(4 * k, Math.floor(FIT_WORK / (d * k)));
  return Math.min(m, FIT_SUBSAMPLE, budget);
}

/** Float offsets of the packed model (packGaussianModel, denoise_image_gaussian.wgsl). */
export function gaussianLayout(
  d: number,
  rank: number,
): { mean: number; lambda: number; lambda0: number; basis: number; length: number } {
  const basis = Math.ceil((d + rank + 1) / 4) * 4;
  return { mean: 0, lambda: d, lambda0: d + rank, basis, length: basis + rank * d };
}

/** mu[d], lambda[r], lambda0, zeros to a multiple of 4 floats, then the basis vectors. */
export function packGaussianModel(model: GaussianModel): Float32Array<ArrayBuffer> {
  const d = model.mean.length;
  const r = model.lambda.length;
  const at = gaussianLayout(d, r);
  const out = new Float32Array(at.length);
  out.set(model.mean, at.mean);
  out.set(model.lambda, at.lambda);
  out[at.lambda0] = model.lambda0;
  out.set(model.basis, at.basis);
  return out;
}

/** The Gaussian model of m = data.length / d images (covariance normalised by m). */
export function fitGaussianModel(
  data: Float32Array,
  d: number,
  rank: number,
  seed: number,
): GaussianModel {
  const m = Math.floor(data.length / d);
  if (m < 1 || !Number.isInteger(rank) || rank < 0 || rank >= d)
    throw new Error(`fitGaussianModel: need images and 0 <= rank < d, got m ${m}, rank ${rank}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < m; i++) for (let c = 0; c < d; c++) mean[c]! += data[i * d + c]!;
  for (let c = 0; c < d; c++) mean[c]! /= m;
  let trace = 0;
  for (let i = 0; i < m; i++)
    for (let c = 0; c < d; c++) {
      const v = data[i * d + c]! - mean[c]!;
      trace += v * v;
    }
  trace /= m;
  if (rank === 0)
    return { mean, lambda: new Float64Array(0), lambda0: trace / d, basis: new Float64Array(0) };

  const rng = new Rng(seed, Stream.subsample);
  const x = centredSubsample(data, d, m, fitSubsample(m, d, rank), mean, rng);
  const ns = x.length / d;
  const k = Math.min(d, rank + OVERSAMPLE);
  let q: Float64Array = Float64Array.from({ length: k * d }, () => rng.normal());
  orthonormalise(q, k, d);
  for (let it = 0; it < ITERATIONS; it++) {
    q = covarianceTimes(x, ns, d, q, k);
    orthonormalise(q, k, d);
  }
  // Rayleigh-Ritz: B = Q^T C Q, whose top eigenvectors rotate Q onto the principal directions.
  const y = project(x, ns, d, q, k);
  const b = new Float64Array(k * k);
  for (let i = 0; i < ns; i++)
    for (let a = 0; a < k; a++)
      for (let c = 0; c <= a; c++) b[a * k + c]! += (y[i * k + a]! * y[i * k + c]!) / ns;
  for (let a = 0; a < k; a++) for (let c = a + 1; c < k; c++) b[a * k + c] = b[c * k + a]!;
  const { values, vectors } = symmetricEigen(b, k);
  const order = [...values.keys()].sort((i, j) => values[j]! - values[i]!).slice(0, rank);
  const lambda = Float64Array.from(order, (o) => Math.max(0, values[o]!));
  const basis = new Float64Array(rank * d);
  order.forEach((o, r) => {
    for (let a = 0; a < k; a++) {
      const w = vectors[a * k + o]!;
      for (let c = 0; c < d; c++) basis[r * d + c]! += w * q[a * d + c]!;
    }
  });
  orthonormalise(basis, rank, d);
  const rest = trace - lambda.reduce((s, v) => s + v, 0);
  return { mean, lambda, lambda0: Math.max(0, rest / (d - rank)), basis };
}

/** ns of the m images (a random subset when fewer), minus the mean, row by row. */
function centredSubsample(
  data: Float32Array,
  d: number,
  m: number,
  ns: number,
  mean: Float64Array,
  rng: Rng,
): Float64Array {
  const rows = Array.from({ length: m }, (_, i) => i);
  // Partial Fisher-Yates: the first ns entries are a uniform random subset.
  for (let i = 0; i < ns && ns < m; i++) {
    const j = i + rng.int(m - i);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const x = new Float64Array(ns * d);
  for (let i = 0; i < ns; i++) {
    const src = rows[i]! * d;
    for (let c = 0; c < d; c++) x[i * d + c] = data[src + c]! - mean[c]!;
  }
  return x;
}

/** Y = X Q^T: each row's coordinates along the k vectors of q (four at a time: fewer loads). */
function project(x: Float64Array, ns: number, d: number, q: Float64Array, k: number): Float64Array {
  const y = new Float64Array(ns * k);
  for (let i = 0; i < ns; i++) {
    const row = i * d;
    for (let a = 0; a < k; a += 4) {
      const q0 = a * d;
      const q1 = Math.min(a + 1, k - 1) * d;
      const q2 = Math.min(a + 2, k - 1) * d;
      const q3 = Math.min(a + 3, k - 1) * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < d; c++) {
        const v = x[row + c]!;
        s0 += v * q[q0 + c]!;
        s1 += v * q[q1 + c]!;
        s2 += v * q[q2 + c]!;
        s3 += v * q[q3 + c]!;
      }
      y[i * k + a] = s0;
      if (a + 1 < k) y[i * k + a + 1] = s1;
      if (a + 2 < k) y[i * k + a + 2] = s2;
      if (a + 3 < k) y[i * k + a + 3] = s3;
    }
  }
  return y;
}

/** C q for the k vectors of q, C = X^T X / ns. */
function covarianceTimes(
  x: Float64Array,
  ns: number,
  d: number,
  q: Float64Array,
  k: number,
): Float64Array {
  const y = project(x, ns, d, q, k);
  const z = new Float64Array(k * d);
  // Four output vectors at a time, in one scratch block: each row of x is read once per block.
  const col = new Float64Array(4 * d);
  for (let a = 0; a < k; a += 4) {
    const b = Math.min(4, k - a);
    const z0 = a * d;
    for (let i = 0; i < ns; i++) {
      const row = i * d;
      const w0 = y[i * k + a]! / ns;
      const w1 = b > 1 ? y[i * k + a + 1]! / ns : 0;
      const w2 = b > 2 ? y[i * k + a + 2]! / ns : 0;
      const w3 = b > 3 ? y[i * k + a + 3]! / ns : 0;
      for (let c = 0; c < d; c++) {
        const v = x[row + c]!;
        col[c]! += w0 * v;
        col[d + c]! += w1 * v;
        col[2 * d + c]! += w2 * v;
        col[3 * d + c]! += w3 * v;
      }
    }
    z.set(col.subarray(0, b * d), z0);
    col.fill(0);
  }
  return z;
}

/** Modified Gram-Schmidt, twice ("twice is enough": Giraud et al. 2005), on k vectors of d. */
export function orthonormalise(v: Float64Array, k: number, d: number): void {
  for (let pass = 0; pass < 2; pass++)
    for (let a = 0; a < k; a++) {
      const va = a * d;
      for (let b = 0; b < a; b++) {
        const vb = b * d;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += v[va + c]! * v[vb + c]!;
        for (let c = 0; c < d; c++) v[va + c]! -= dot * v[vb + c]!;
      }
      let norm = 0;
      for (let c = 0; c < d; c++) norm += v[va + c]! * v[va + c]!;
      const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let c = 0; c < d; c++) v[va + c]! *= s;
    }
}

/** Eigenpairs of a symmetric k x k matrix by cyclic Jacobi rotations; vectors[row * k + col]. */
export function symmetricEigen(
  matrix: Float64Array,
  k: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let p = 0; p < k; p++)
      for (let q = 0; q < k; q++) {
        const e = a[p * k + q]! ** 2;
        total += e;
        if (p !== q) off += e;
      }
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < k; p++)
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (apq === 0) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < k; i++) {
          const aip = a[i * k + p]!;
          const aiq = a[i * k + q]!;
          a[i * k + p] = c * aip - s * aiq;
          a[i * k + q] = s * aip + c * aiq;
        }
        for (let i = 0; i < k; i++) {
          const api = a[p * k + i]!;
          const aqi = a[q * k + i]!;
          a[p * k + i] = c * api - s * aqi;
          a[q * k + i] = s * api + c * aqi;
        }
        for (let i = 0; i < k; i++) {
          const vip = v[i * k + p]!;
          const viq = v[i * k + q]!;
          v[i * k + p] = c * vip - s * viq;
          v[i * k + q] = s * vip + c * viq;
        }
      }
  }
  return { values: Float64Array.from({ length: k }, (_, i) => a[i * k + i]!), vectors: v };
}
