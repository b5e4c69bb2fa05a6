/**
 * Float64 references of every particle kernel in shaders/, one function per kernel with the same
 * formula and the same random draws, so a GPU run can be checked draw for draw.
 * `StepParams` has the fields of the WGSL struct Step (shaders/lib/step.wgsl), named as there.
 */
import { Stream, normal2, pickIndex } from './rng';

export interface StepParams {
  t: number;
  alpha_t: number;
  sigma_t: number;
  s: number;
  alpha_s: number;
  sigma_s: number;
  /** The level the denoiser evaluates at. */
  alpha: number;
  sigma: number;
  eta: number;
  n: number;
  m: number;
  k: number;
  seed: number;
  index: number;
}

/** Per-particle state, interleaved: x and x0hat are (x, y) pairs, aux is (x_hat, d) quadruples. */
export interface CpuState {
  x: Float64Array;
  x0hat: Float64Array;
  energy: Float64Array;
  aux: Float64Array;
}

export function cpuState(n: number): CpuState {
  return {
    x: new Float64Array(2 * n),
    x0hat: new Float64Array(2 * n),
    energy: new Float64Array(n),
    aux: new Float64Array(4 * n),
  };
}

const z = new Float64Array(2);

export function prior(st: CpuState, p: StepParams): void {
  for (let i = 0; i < p.n; i++) {
    normal2(p.seed, Stream.noise, i, 0, z);
    st.x[2 * i] = p.sigma_t * z[0]!;
    st.x[2 * i + 1] = p.sigma_t * z[1]!;
  }
}

export function forwardJump(st: CpuState, p: StepParams, data: ArrayLike<number>): void {
  for (let i = 0; i < p.n; i++) {
    const j = pickIndex(p.seed, Stream.pick, i, p.m);
    normal2(p.seed, Stream.noise, i, 0, z);
    st.x[2 * i] = p.alpha * data[2 * j]! + p.sigma * z[0]!;
    st.x[2 * i + 1] = p.alpha * data[2 * j + 1]! + p.sigma * z[1]!;
  }
}

export function forwardStep(st: CpuState, p: StepParams): void {
  const a = p.alpha_s / p.alpha_t;
  const sd = Math.sqrt(Math.max(p.sigma_s ** 2 - a * a * p.sigma_t ** 2, 0));
  for (let i = 0; i < p.n; i++) {
    normal2(p.seed, Stream.step, i, p.index, z);
    for (let c = 0; c < 2; c++) st.x[2 * i + c] = a * st.x[2 * i + c]! + sd * z[c]!;
  }
}

export function ddim(st: CpuState, p: StepParams): void {
  const r = (p.alpha_t * p.sigma_s) / (p.sigma_t * p.alpha_s);
  const c = p.eta * p.sigma_s * Math.sqrt(Math.max(1 - r * r, 0));
  const keep = Math.sqrt(Math.max(p.sigma_s ** 2 - c * c, 0));
  for (let i = 0; i < p.n; i++) {
    if (c > 0) normal2(p.seed, Stream.step, i, p.index, z);
    for (let q = 0; q < 2; q++) {
      const d = st.x0hat[2 * i + q]!;
      const eps = (st.x[2 * i + q]! - p.alpha_t * d) / p.sigma_t;
      st.x[2 * i + q] = p.alpha_s * d + keep * eps + (c > 0 ? c * z[q]! : 0);
    }
  }
}

export function ddpm(st: CpuState, p: StepParams): void {
  const aTs = p.alpha_t / p.alpha_s;
  const vT = p.sigma_t ** 2;
  const vS = p.sigma_s ** 2;
  const vTs = Math.max(vT - aTs * aTs * vS, 0);
  const sd = Math.sqrt((vTs * vS) / vT);
  for (let i = 0; i < p.n; i++) {
    normal2(p.seed, Stream.step, i, p.index, z);
    for (let q = 0; q < 2; q++) {
      const mean =
        ((aTs * vS) / vT) * st.x[2 * i + q]! + ((p.alpha_s * vTs) / vT) * st.x0hat[2 * i + q]!;
      st.x[2 * i + q] = mean + sd * z[q]!;
    }
  }
}

export function euler(st: CpuState, p: StepParams): void {
  const shT = p.sigma_t / p.alpha_t;
  const shS = p.sigma_s / p.alpha_s;
  for (let k = 0; k < 2 * p.n; k++) {
    const xh = st.x[k]! / p.alpha_t;
    const d = (xh - st.x0hat[k]!) / shT;
    st.x[k] = p.alpha_s * (xh + (shS - shT) * d);
  }
}

export function heunPredict(st: CpuState, p: StepParams): void {
  const shT = p.sigma_t / p.alpha_t;
  const shS = p.sigma_s / p.alpha_s;
  for (let i = 0; i < p.n; i++) {
    for (let q = 0; q < 2; q++) {
      const xh = st.x[2 * i + q]! / p.alpha_t;
      const d = (xh - st.x0hat[2 * i + q]!) / shT;
      st.aux[4 * i + q] = xh;
      st.aux[4 * i + 2 + q] = d;
      st.x[2 * i + q] = p.alpha_s * (xh + (shS - shT) * d);
    }
  }
}

export function heunCorrect(st: CpuState, p: StepParams): void {
  const shT = p.sigma_t / p.alpha_t;
  const shS = p.sigma_s / p.alpha_s;
  for (let i = 0; i < p.n; i++) {
    for (let q = 0; q < 2; q++) {
      const dS = (st.x[2 * i + q]! / p.alpha_s - st.x0hat[2 * i + q]!) / shS;
      const xh = st.aux[4 * i + q]!;
      const dT = st.aux[4 * i + 2 + q]!;
      st.x[2 * i + q] = p.alpha_s * (xh + (shS - shT) * 0.5 * (dT + dS));
    }
  }
}
