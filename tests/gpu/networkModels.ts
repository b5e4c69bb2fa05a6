/**
 * Float32 models of shaders/lib/network.wgsl's conditioning, shared by the tests of the kernels
 * that include it (learn/sample_batch, learn/sample_image_batch, run/denoise_learned, run/unet_in
 * and run/unet_out): each operation through F32 (./harness.ts) in the WGSL's order.
 */
import {
  networkLayers,
  networkTurns,
  NO_CLASS,
  type NetworkArch,
  type Target,
  type Weighting,
} from '../../src/maths/learn/network';
import { cosSin2piF32, F32 } from './harness';

const U = 2 ** -24;
const c = (v: number): F32 => F32.of(v);

/** atan_unit, its series' truncation (< 2e-8) added. */
export function atanUnitF32(a: F32): F32 {
  let base = new F32(0);
  let u = a;
  if (a.v > 0.41421356) {
    base = c(Math.PI / 4);
    u = a.sub(1).div(a.add(1));
  }
  const u2 = u.mul(u);
  let p = c(-1 / 15);
  for (const k of [13, 11, 9, 7, 5, 3]) p = c((k % 4 === 1 ? 1 : -1) / k).add(u2.mul(p));
  p = new F32(1).add(u2.mul(p));
  const r = base.add(u.mul(p));
  return new F32(r.v, r.e + 2e-8);
}

/** noise_angle: tau = (2 / pi) atan2(sigma, alpha) through atan_unit. */
export function noiseAngleF32(alpha: F32, sigma: F32): F32 {
  const k = c(2 / Math.PI);
  if (sigma.v <= alpha.v) return alpha.v === 0 ? new F32(0) : k.mul(atanUnitF32(sigma.div(alpha)));
  return new F32(1).sub(k.mul(atanUnitF32(alpha.div(sigma))));
}

/**
 * input_scale: inverseSqrt(alpha^2 + sigma^2), WGSL's inverseSqrt within 2 ulp (<= 4 U relative);
 * the sum's own bound carried through exactly (1 / sqrt is decreasing).
 */
export function inputScaleF32(alpha: F32, sigma: F32): F32 {
  const s = alpha.mul(alpha).add(sigma.mul(sigma));
  const v = 1 / Math.sqrt(s.v);
  const low = s.v - s.e;
  const spread = low > 0 ? 1 / Math.sqrt(low) - v : Infinity;
  return new F32(v, spread + 4 * U * v + 2 ** -126);
}

/** loss_weight: 1 exactly, or Min-SNR-5 through WGSL's divisions (2.5 ulp each). */
export function lossWeightF32(w: Weighting, t: Target, alpha: F32, sigma: F32): F32 {
  if (w === 'none') return new F32(1);
  const snr = alpha.mul(alpha).div(sigma.mul(sigma));
  // min(., 5) is 1-Lipschitz: it passes the bound on.
  const clipped = new F32(Math.min(snr.v, 5), snr.e);
  if (t === 'eps') return snr.v === 0 ? new F32(0) : clipped.div(snr);
  if (t === 'x0') return clipped;
  if (t === 'velocity') {
    const share = sigma.div(alpha.add(sigma));
    return clipped.mul(share.mul(share));
  }
  return clipped.div(snr.add(1));
}

/** target_of through F32: eps, x0, alpha eps - sigma x0 or eps - x0. */
export function targetOfF32(t: Target, x0: F32, eps: F32, alpha: F32, sigma: F32): F32 {
  if (t === 'eps') return eps;
  if (t === 'x0') return x0;
  if (t === 'velocity') return eps.sub(x0);
  return alpha.mul(eps).sub(sigma.mul(x0));
}

/**
 * x0_from_output: x0 as is; v: (alpha x - sigma out) / (alpha^2 + sigma^2); velocity: (x - sigma
 * out) / (alpha + sigma); eps: (x - sigma out) / max(alpha, ALPHA_FLOOR); each operation through
 * F32.
 */
export function x0FromOutputF32(t: Target, x: F32, out: F32, alpha: F32, sigma: F32): F32 {
  if (t === 'x0') return out;
  if (t === 'v')
    return alpha
      .mul(x)
      .sub(sigma.mul(out))
      .div(alpha.mul(alpha).add(sigma.mul(sigma)));
  if (t === 'velocity') return x.sub(sigma.mul(out)).div(alpha.add(sigma));
  return x.sub(sigma.mul(out)).div(alpha.v > 1e-4 ? alpha : c(1e-4));
}

function geluF32(x: F32): F32 {
  const u = c(0.7978845608028654).mul(x.add(c(0.044715).mul(x.mul(x).mul(x))));
  const e = new F32(-2 * Math.abs(u.v), 2 * u.e).exp();
  const s = (u.v >= 0 ? new F32(1) : e).div(new F32(1).add(e));
  return x.mul(s);
}

/**
 * The network's output for one row (x c_in, y c_in, tau), each value with its bound; `label` a
 * class of a class-conditional network (its input column added after the embeddings' sum, as the
 * kernel does), or none.
 */
export function forwardF32(
  a: NetworkArch,
  params: Float32Array,
  row: readonly F32[],
  label = NO_CLASS,
): F32[] {
  const K = a.frequencies;
  const turns = networkTurns(a);
  const e: F32[] = [];
  for (let col = 0; col < 3; col++) {
    const sin: F32[] = [];
    const cos: F32[] = [];
    for (let k = 0; k < K; k++) {
      const u = c(turns[(col < 2 ? 0 : K) + k]!).mul(row[col]!);
      const [cs, sn] = cosSin2piF32(new F32(Math.abs(u.v), u.e));
      sin.push(u.v < 0 ? sn.neg() : sn);
      cos.push(cs);
    }
    e.push(...sin, ...cos);
  }
  const w = (i: number): F32 => new F32(params[i]!);
  const linear = (
    x: F32[],
    l: { inputs: number; outputs: number; offset: number },
    column = -1,
  ): F32[] =>
    Array.from({ length: l.outputs }, (_, j) => {
      let acc = new F32(0);
      for (let k = 0; k < x.length; k++) acc = acc.add(x[k]!.mul(w(l.offset + j * l.inputs + k)));
      if (column >= 0) acc = acc.add(w(l.offset + j * l.inputs + column));
      return acc.add(w(l.offset + l.outputs * l.inputs + j));
    });
  const layers = networkLayers(a);
  const column = (a.classes ?? 0) && label !== NO_CLASS ? 6 * K + label : -1;
  let h = linear(e, layers[0]!, column).map(geluF32);
  for (let d = 1; d <= a.depth; d++) {
    const g = linear(h, layers[d]!).map(geluF32);
    h = h.map((v, j) => v.add(g[j]!));
  }
  return linear(h, layers[a.depth + 1]!);
}
