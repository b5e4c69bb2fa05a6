/**
 * Float32 error models of the U-Net's GroupNorm kernels (shaders/learn/group_norm_*.wgsl), shared
 * by tests/gpu/imageLayers.test.ts (the layer alone) and tests/gpu/unet.test.ts (every layer of a
 * whole network, each from its own float32 inputs): each operation in the kernel's order through
 * F32 (./harness.ts), the workgroup sums as their terms' bounds + L u sum|terms|.
 */
import type { GroupNormShape } from '../../src/maths/learn/imageLayers';
import { GROUP_SIZE, PLANE_SIZE } from '../../src/sim/learn/imageLayers';
import { F32 } from './harness';

const U = 2 ** -24;
/** WGSL may flush a subnormal to zero: one such loss per rounding. */
const FLUSHED = 2 ** -126;

export const chain = (m: number, lanes: number): number => Math.ceil(m / lanes) + Math.log2(lanes);

/** A workgroup sum of `terms` with its bound: their own bounds + L u sum|terms| (+ flushes). */
export function sumF32(terms: readonly F32[], l: number): F32 {
  let v = 0;
  let e = 0;
  let a = 0;
  for (const t of terms) {
    v += t.v;
    e += t.e;
    a += Math.abs(t.v);
  }
  return new F32(v, e + l * (U * a + FLUSHED));
}

/**
 * GroupNorm's forward in the kernel's order with F32 bounds, per (sample, group) k: the shift
 * and r = 1 / sqrt(var + eps); per value, xhat and y. Values are the exact (float64) ones.
 */
export function groupNormModel(
  s: GroupNormShape,
  x: Float32Array,
  params: Float32Array,
): { shift: F32[]; r: F32[]; xhat: F32[]; y: F32[] } {
  const pixels = s.height * s.width;
  const per = s.channels / s.groups;
  const m = per * pixels;
  const l = chain(m, GROUP_SIZE);
  const shift: F32[] = [];
  const r: F32[] = [];
  const xhat: F32[] = [];
  const y: F32[] = [];
  for (let k = 0; k < s.batch * s.groups; k++) {
    const p = x[k * m]!;
    const t = Array.from(x.subarray(k * m, (k + 1) * m), (v) => new F32(v).sub(p));
    const sk = sumF32(t, l).div(m);
    const d = t.map((ti) => ti.sub(sk));
    const variance = sumF32(
      d.map((di) => di.mul(di)),
      l,
    ).div(m);
    const rk = new F32(1).div(variance.add(F32.of(s.eps)).sqrt());
    shift.push(sk);
    r.push(rk);
    for (let i = 0; i < m; i++) {
      const c = (k % s.groups) * per + Math.floor(i / pixels);
      const xh = d[i]!.mul(rk);
      xhat.push(xh);
      y.push(
        xh.mul(new F32(params[s.offset + c]!)).add(new F32(params[s.offset + s.channels + c]!)),
      );
    }
  }
  return { shift, r, xhat, y };
}

/**
 * GroupNorm's backward bounds from the forward's model: dx per value (from the per-plane sums
 * over PLANE_SIZE lanes), and [dgamma | dbeta] per parameter index of the flat array (0 outside
 * the layer's part: values the kernel must leave as they were).
 */
export function groupNormBackwardModel(
  s: GroupNormShape,
  dy: ArrayLike<number>,
  params: ArrayLike<number>,
  model: { r: F32[]; xhat: F32[] },
): { dx: number[]; grads: (i: number) => number } {
  const { batch, channels, groups, height, width } = s;
  const n = batch * channels * height * width;
  const m = (channels / groups) * height * width;
  const pixels = height * width;
  const per = channels / groups;
  const lp = chain(pixels, PLANE_SIZE);
  const planeSums = Array.from({ length: batch * channels }, (_, plane) => {
    const at = (i: number): number => plane * pixels + i;
    const ds = Array.from({ length: pixels }, (_, i) => new F32(dy[at(i)]!));
    return {
      a: sumF32(ds, lp),
      b: sumF32(
        ds.map((d, i) => d.mul(model.xhat[at(i)]!)),
        lp,
      ),
    };
  });
  const dxBound = Array.from({ length: n }, (_, i) => {
    const plane = Math.floor(i / pixels);
    const sample = Math.floor(plane / channels);
    const g = Math.floor((plane % channels) / per);
    let a = new F32(0);
    let bb = new F32(0);
    for (let j = 0; j < per; j++) {
      const c = g * per + j;
      const gamma = new F32(params[s.offset + c]!);
      const sums = planeSums[sample * channels + c]!;
      a = a.add(gamma.mul(sums.a));
      bb = bb.add(gamma.mul(sums.b));
    }
    const gi = new F32(dy[i]!).mul(new F32(params[s.offset + (plane % channels)]!));
    const r = model.r[sample * groups + g]!;
    return r.mul(gi.sub(a.div(m)).sub(model.xhat[i]!.mul(bb.div(m)))).e;
  });
  const gradBound = (i: number): number => {
    const j = i - s.offset;
    if (j < 0 || j >= 2 * channels) return 0;
    let acc = new F32(0);
    for (let sample = 0; sample < batch; sample++) {
      const sums = planeSums[sample * channels + (j % channels)]!;
      acc = acc.add(j < channels ? sums.b : sums.a);
    }
    return acc.e;
  };
  return { dx: dxBound, grads: gradBound };
}
