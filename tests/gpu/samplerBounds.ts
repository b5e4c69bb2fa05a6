/**
 * The element-wise sampler kernels of shaders/ replayed lane by lane with float32 error bounds
 * (F32, harness.ts): how far each output element of a correct kernel may be from its float64
 * reference, given the inputs. For kernels.test.ts (points) and imageKernels.test.ts (images).
 */
import { Stream, pickIndex } from '../../src/maths/rng';
import {
  BIAS_DIRECTION,
  laneCount,
  particleOf,
  type CpuState,
  type StepParams,
} from '../../src/maths/steps';
import { expect } from 'vitest';
import { within } from '../random';
import { F32, normal2F32, worstElement, type KernelOutputs } from './harness';

export type Output = 'x' | 'x0hat' | 'history';

/**
 * What each kernel computes (history: Heun's (x_hat, d)). DPM-Solver++(2M) also copies x0_hat into
 * history: that is the float32 upload bit for bit, checked as such (COPIES), not against a bound.
 */
export const WRITES: Readonly<Record<string, readonly Output[]>> = {
  prior: ['x'],
  forward_jump: ['x'],
  forward_step: ['x'],
  ddim: ['x'],
  ddpm: ['x'],
  euler: ['x'],
  heun_predict: ['x', 'history'],
  heun_correct: ['x'],
  em: ['x'],
  dpmpp2m: ['x'],
  perturb: ['x0hat'],
};

/** Outputs that are a float32 input copied: the reference's value rounded to float32, exactly. */
export const COPIES: Readonly<Record<string, readonly Output[]>> = { dpmpp2m: ['history'] };

type Lane = Partial<Record<Output, F32[]>>;

/** One lane of shaders/<name>.wgsl, operation for operation. */
function lane(name: string, p: StepParams, i: number, x: F32[], d: F32[], history: F32[]): Lane {
  const u = (v: number) => F32.of(v);
  const [alphaT, sigmaT, alphaS, sigmaS] = [u(p.alpha_t), u(p.sigma_t), u(p.alpha_s), u(p.sigma_s)];
  const z = (stream: number, step: number) => normal2F32(p.seed, stream, i, step);
  switch (name) {
    case 'prior':
      return { x: z(Stream.noise, 0).map((zc) => sigmaT.mul(zc)) };
    case 'forward_step': {
      const a = alphaS.div(alphaT);
      const sd = sigmaS.mul(sigmaS).sub(a.mul(a).mul(sigmaT).mul(sigmaT)).max0().sqrt();
      const n = z(Stream.step, p.index);
      return { x: x.map((xc, c) => a.mul(xc).add(sd.mul(n[c]!))) };
    }
    case 'ddim': {
      const r = alphaT.mul(sigmaS).div(sigmaT.mul(alphaS));
      const c = u(p.eta)
        .mul(sigmaS)
        .mul(new F32(1).sub(r.mul(r)).max0().sqrt());
      const keep = sigmaS.mul(sigmaS).sub(c.mul(c)).max0().sqrt();
      const n = c.v > 0 ? z(Stream.step, p.index) : null;
      return {
        x: x.map((xc, q) => {
          const eps = xc.sub(alphaT.mul(d[q]!)).div(sigmaT);
          const next = alphaS.mul(d[q]!).add(keep.mul(eps));
          return n ? next.add(c.mul(n[q]!)) : next;
        }),
      };
    }
    case 'ddpm': {
      const aTs = alphaT.div(alphaS);
      const varT = sigmaT.mul(sigmaT);
      const varS = sigmaS.mul(sigmaS);
      const varTs = varT.sub(aTs.mul(aTs).mul(varS)).max0();
      const cx = aTs.mul(varS).div(varT);
      const cd = alphaS.mul(varTs).div(varT);
      const sd = varTs.mul(varS).div(varT).sqrt();
      const n = z(Stream.step, p.index);
      return { x: x.map((xc, q) => cx.mul(xc).add(cd.mul(d[q]!)).add(sd.mul(n[q]!))) };
    }
    case 'euler':
    case 'dpmpp2m': {
      let target = d;
      if (name === 'dpmpp2m' && p.r > 0) {
        const c = new F32(0.5).div(u(p.r));
        target = d.map((dc, q) => new F32(1).add(c).mul(dc).sub(c.mul(history[q]!)));
      }
      const ratio = sigmaS.div(sigmaT);
      const coef = alphaS.sub(alphaT.mul(ratio));
      return { x: x.map((xc, q) => ratio.mul(xc).add(coef.mul(target[q]!))) };
    }
    case 'heun_predict': {
      const shT = sigmaT.div(alphaT);
      const shS = sigmaS.div(alphaS);
      const xh = x.map((xc) => xc.div(alphaT));
      const dir = xh.map((v, q) => v.sub(d[q]!).div(shT));
      return {
        x: xh.map((v, q) => alphaS.mul(v.add(shS.sub(shT).mul(dir[q]!)))),
        history: [...xh, ...dir],
      };
    }
    case 'heun_correct': {
      const shT = sigmaT.div(alphaT);
      const shS = sigmaS.div(alphaS);
      return {
        x: x.map((xc, q) => {
          const dS = xc.div(alphaS).sub(d[q]!).div(shS);
          const slope = shS
            .sub(shT)
            .mul(0.5)
            .mul(history[2 + q]!.add(dS));
          return alphaS.mul(history[q]!.add(slope));
        }),
      };
    }
    case 'em': {
      const drift = u(p.drift);
      const diffusion = u(p.diffusion);
      const n = p.sigma_s > 0 ? z(Stream.step, p.index) : null;
      const sd = diffusion.sqrt();
      return {
        x: x.map((xc, q) => {
          const score = alphaT.mul(d[q]!).sub(xc).div(sigmaT.mul(sigmaT));
          const next = xc.sub(drift.mul(xc)).add(diffusion.mul(score));
          return n ? next.add(sd.mul(n[q]!)) : next;
        }),
      };
    }
    case 'perturb': {
      const scale = new F32(1).add(u(p.error_scale));
      const bias = u(p.error_bias);
      const n = p.error_noise > 0 ? z(Stream.perturb, p.evaluation) : null;
      return {
        x0hat: d.map((dc, q) => {
          const v = scale.mul(dc).add(bias.mul(F32.of(BIAS_DIRECTION[q]!)));
          return n ? v.add(u(p.error_noise).mul(n[q]!)) : v;
        }),
      };
    }
    default:
      throw new Error(`no float32 model of ${name}`);
  }
}

/**
 * Per-element bounds of what `name` writes, from the float64 state before it (rounded to float32
 * on upload, unless `uploaded` says the state already is float32). forward_jump reads `data`
 * (float32 on both sides) instead of the state.
 */
export function samplerBounds(
  name: string,
  p: StepParams,
  st: CpuState,
  options: { uploaded?: boolean; data?: ArrayLike<number> } = {},
): Partial<Record<Output, Float64Array>> {
  const dim = p.dim ?? 2;
  const input = (v: number) => (options.uploaded ? new F32(v) : F32.of(v));
  const out: Partial<Record<Output, Float64Array>> = {};
  for (const o of WRITES[name] ?? []) out[o] = new Float64Array(st[o].length);
  for (let i = 0; i < laneCount(p); i++) {
    let lanes: Lane;
    if (name === 'forward_jump') {
      const data = options.data!;
      const per = dim / 2;
      const j = pickIndex(p.seed, Stream.pick, particleOf(p, i), p.m) * per + (i % per);
      const n = normal2F32(p.seed, Stream.noise, i, 0);
      const [alpha, sigma] = [F32.of(p.alpha), F32.of(p.sigma)];
      lanes = {
        x: [0, 1].map((c) => alpha.mul(new F32(data[2 * j + c]!)).add(sigma.mul(n[c]!))),
      };
    } else {
      const pair = (a: Float64Array, k: number) => [input(a[2 * k]!), input(a[2 * k + 1]!)];
      const history = [0, 1, 2, 3].map((c) => input(st.history[4 * i + c]!));
      lanes = lane(name, p, i, pair(st.x, i), pair(st.x0hat, i), history);
    }
    for (const o of WRITES[name] ?? []) {
      const values = lanes[o]!;
      values.forEach((v, c) => (out[o]![values.length * i + c] = v.e));
    }
  }
  return out;
}

export const copyState = (st: CpuState): CpuState => ({
  x: st.x.slice(),
  x0hat: st.x0hat.slice(),
  energy: st.energy.slice(),
  history: st.history.slice(),
});

// float32: 2x the running error bound (F32) of the kernel's WGSL replayed on its inputs, per element.
export const SAMPLER_MODEL = '2x the running float32 error bound of the WGSL, element by element';

/**
 * What the kernel computes is within its bound of the float64 reference, element by element; what
 * it copies is the reference's value in float32, and what it does not write its float32 input,
 * bit for bit. `before` is the state uploaded, `after` the reference's result.
 */
export function expectSampler(
  name: string,
  p: StepParams,
  gpu: KernelOutputs,
  before: CpuState,
  after: CpuState,
): void {
  const bounds = samplerBounds(name, p, before);
  for (const o of ['x', 'x0hat', 'history'] as const) {
    const bound = bounds[o];
    if (bound) {
      const { error, tolerance } = worstElement(gpu[o], after[o], bound);
      within(error, tolerance, `${name} ${o}: ${SAMPLER_MODEL}`);
    } else if (COPIES[name]?.includes(o)) {
      expect(Array.from(gpu[o]), `${name} copies into ${o}`).toEqual(
        Array.from(Float32Array.from(after[o])),
      );
    } else {
      expect(Array.from(gpu[o]), `${name} leaves ${o}`).toEqual(
        Array.from(Float32Array.from(before[o])),
      );
    }
  }
}
