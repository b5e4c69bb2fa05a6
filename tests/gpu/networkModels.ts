/**
 * Float32 models of shaders/lib/network.wgsl's conditioning, shared by the tests of the kernels
 * that include it (learn/sample_batch, learn/sample_image_batch, run/denoise_learned, run/unet_in
 * and run/unet_out): each operation through F32 (./harness.ts) in the WGSL's order.
 */
import type { Target, Weighting } from '../../src/maths/learn/network';
import { F32 } from './harness';

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
