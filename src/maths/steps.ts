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
  /** Euler-Maruyama's F = log(alpha_t / alpha_s) and G (`emCoefficients`). */
  drift: number;
  diffusion: number;
  /** DPM-Solver++(2M): h_prev / h in half log-SNR, 0 for a first-order step (`dpmRatio`). */
  r: number;
  /** The deliberate score error of `perturb`. */
  error_scale: number;
  error_bias: number;
  error_noise: number;
  /** The run's denoiser evaluation number: the perturbation's RNG counter. */
  evaluation: number;
  /**
   * Langevin (src/maths/langevin.ts `LangevinParams`): temperature T, this move's step size h,
   * friction gamma, 1 on the last move at an energy (its heat closes there), the initial
   * velocities' std. Optional for the other kernels' references; the step table always writes
   * them (StepWriter rejects a missing field).
   */
  temperature?: number;
  h?: number;
  gamma?: number;
  close?: number;
  velocity_std?: number;
  /**
   * Coordinates per particle (2 for point clouds, d for images), the smoothed denoiser's noise std
   * and Monte Carlo draws, the Gaussian model's rank. Optional: StepWriter writes 2, 0, 1 and 0.
   */
  dim?: number;
  smoothing?: number;
  draws?: number;
  rank?: number;
  /**
   * Class conditioning and guidance (src/maths/guidance.ts): the class kept (ALL_LABELS: all),
   * log P(class), and the guidance w of this evaluation. Optional: ALL_LABELS, 0 and 1.
   */
  label?: number;
  log_share?: number;
  guidance?: number;
}

/**
 * Per-particle state, interleaved: x and x0hat are (x, y) pairs, the sampler history is quadruples: Heun's (x_hat, d),
 * or DPM-Solver++(2M)'s previous x0_hat in (x, y, 0, 0) (never both in one run).
 */
export interface CpuState {
  x: Float64Array;
  x0hat: Float64Array;
  energy: Float64Array;
  history: Float64Array;
}

/** The state of n particles of `dim` coordinates (2 for points): energy per particle. */
export function cpuState(n: number, dim = 2): CpuState {
  return {
    x: new Float64Array(dim * n),
    x0hat: new Float64Array(dim * n),
    energy: new Float64Array(n),
    history: new Float64Array(2 * dim * n),
  };
}

const z = new Float64Array(2);

/**
 * The vec2 lanes the element-wise kernels run over: one per point, dim / 2 per image (the
 * particle of lane i is floor(i / (dim / 2))).
 */
export const laneCount = (p: Pick<StepParams, 'n' | 'dim'>): number => (p.n * (p.dim ?? 2)) / 2;
export const particleOf = (p: Pick<StepParams, 'dim'>, i: number): number =>
  Math.floor(i / ((p.dim ?? 2) / 2));

export function prior(st: CpuState, p: StepParams): void {
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, Stream.noise, i, 0, z);
    st.x[2 * i] = p.sigma_t * z[0]!;
    st.x[2 * i + 1] = p.sigma_t * z[1]!;
  }
}

export function forwardJump(st: CpuState, p: StepParams, data: ArrayLike<number>): void {
  for (let i = 0; i < laneCount(p); i++) {
    const lanes = (p.dim ?? 2) / 2;
    const j = pickIndex(p.seed, Stream.pick, particleOf(p, i), p.m) * lanes + (i % lanes);
    normal2(p.seed, Stream.noise, i, 0, z);
    st.x[2 * i] = p.alpha * data[2 * j]! + p.sigma * z[0]!;
    st.x[2 * i + 1] = p.alpha * data[2 * j + 1]! + p.sigma * z[1]!;
  }
}

export function forwardStep(st: CpuState, p: StepParams): void {
  const a = p.alpha_s / p.alpha_t;
  const sd = Math.sqrt(Math.max(p.sigma_s ** 2 - a * a * p.sigma_t ** 2, 0));
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, Stream.step, i, p.index, z);
    for (let c = 0; c < 2; c++) st.x[2 * i + c] = a * st.x[2 * i + c]! + sd * z[c]!;
  }
}

export function ddim(st: CpuState, p: StepParams): void {
  const r = (p.alpha_t * p.sigma_s) / (p.sigma_t * p.alpha_s);
  const c = p.eta * p.sigma_s * Math.sqrt(Math.max(1 - r * r, 0));
  const keep = Math.sqrt(Math.max(p.sigma_s ** 2 - c * c, 0));
  for (let i = 0; i < laneCount(p); i++) {
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
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, Stream.step, i, p.index, z);
    for (let q = 0; q < 2; q++) {
      const mean =
        ((aTs * vS) / vT) * st.x[2 * i + q]! + ((p.alpha_s * vTs) / vT) * st.x0hat[2 * i + q]!;
      st.x[2 * i + q] = mean + sd * z[q]!;
    }
  }
}

/**
 * Euler in sigma-space (Karras et al. 2022, Algorithm 1), multiplied out so that alpha_t = 0 is
 * finite: alpha_s (x_hat + (sigma_hat_s - sigma_hat_t) d) = (sigma_s / sigma_t) x
 * + (alpha_s - alpha_t sigma_s / sigma_t) x0_hat, identical when alpha_t > 0.
 */
export function euler(st: CpuState, p: StepParams): void {
  const ratio = p.sigma_s / p.sigma_t;
  const c = p.alpha_s - p.alpha_t * ratio;
  for (let k = 0; k < 2 * laneCount(p); k++) st.x[k] = ratio * st.x[k]! + c * st.x0hat[k]!;
}

export function heunPredict(st: CpuState, p: StepParams): void {
  const shT = p.sigma_t / p.alpha_t;
  const shS = p.sigma_s / p.alpha_s;
  for (let i = 0; i < laneCount(p); i++) {
    for (let q = 0; q < 2; q++) {
      const xh = st.x[2 * i + q]! / p.alpha_t;
      const d = (xh - st.x0hat[2 * i + q]!) / shT;
      st.history[4 * i + q] = xh;
      st.history[4 * i + 2 + q] = d;
      st.x[2 * i + q] = p.alpha_s * (xh + (shS - shT) * d);
    }
  }
}

export function heunCorrect(st: CpuState, p: StepParams): void {
  const shT = p.sigma_t / p.alpha_t;
  const shS = p.sigma_s / p.alpha_s;
  for (let i = 0; i < laneCount(p); i++) {
    for (let q = 0; q < 2; q++) {
      const dS = (st.x[2 * i + q]! / p.alpha_s - st.x0hat[2 * i + q]!) / shS;
      const xh = st.history[4 * i + q]!;
      const dT = st.history[4 * i + 2 + q]!;
      st.x[2 * i + q] = p.alpha_s * (xh + (shS - shT) * 0.5 * (dT + dS));
    }
  }
}

/**
 * Euler-Maruyama's coefficients over the step from level t to level s < t (Song et al. 2021,
 * eq. 6, with f = d log alpha / dt and g^2 = d sigma^2 / dt - 2 f sigma^2, Lu et al. 2022,
 * "DPM-Solver", section 2.1): F = log(alpha_t / alpha_s) = f(t) (t - s) and
 * G = sigma_t^2 - sigma_s^2 - 2 F sigma_t^2 = g(t)^2 (t - s), both to first order in t - s.
 * G >= 0 when alpha_s >= alpha_t and sigma_s <= sigma_t (VP: F <= 0, VE: F = 0); it is clamped at
 * 0 for level pairs that are not a reverse step (forward runs never use it). Both are 0 where
 * undefined (alpha_t = 0 or sigma_t = 0): the plan never runs em from there.
 */
export function emCoefficients(
  alphaT: number,
  sigmaT: number,
  alphaS: number,
  sigmaS: number,
): { drift: number; diffusion: number } {
  if (!(alphaT > 0 && alphaS > 0 && sigmaT > 0)) return { drift: 0, diffusion: 0 };
  const drift = Math.log(alphaT / alphaS);
  const diffusion = sigmaT * sigmaT - sigmaS * sigmaS - 2 * drift * sigmaT * sigmaT;
  return { drift, diffusion: Math.max(diffusion, 0) };
}

/** Half log-SNR lambda = log(alpha / sigma): -Infinity at alpha = 0, Infinity at sigma = 0. */
const halfLogSnr = (alpha: number, sigma: number): number => Math.log(alpha) - Math.log(sigma);

/**
 * DPM-Solver++(2M)'s r = h_prev / h for the step from t to s after the step from prev to t, with
 * h = lambda_s - lambda_t (Lu et al. 2022, "DPM-Solver++", Algorithm 2). 0, the first-order step,
 * when there is no previous step or either h is not a positive finite number: the step to sigma = 0
 * (as k-diffusion's sample_dpmpp_2m) and the step after a level with alpha = 0.
 */
export function dpmRatio(
  prev: { alpha: number; sigma: number } | null,
  t: { alpha: number; sigma: number },
  s: { alpha: number; sigma: number },
): number {
  if (!prev) return 0;
  const lambdaT = halfLogSnr(t.alpha, t.sigma);
  const h = halfLogSnr(s.alpha, s.sigma) - lambdaT;
  const hPrev = lambdaT - halfLogSnr(prev.alpha, prev.sigma);
  const ok = (v: number): boolean => Number.isFinite(v) && v > 0;
  return ok(h) && ok(hPrev) ? hPrev / h : 0;
}

/** Euler-Maruyama on the reverse SDE (shaders/run/em.wgsl); no noise on the step to sigma = 0. */
export function em(st: CpuState, p: StepParams): void {
  const sd = Math.sqrt(p.diffusion);
  const inv = 1 / (p.sigma_t * p.sigma_t);
  for (let i = 0; i < laneCount(p); i++) {
    const noisy = p.sigma_s > 0;
    if (noisy) normal2(p.seed, Stream.step, i, p.index, z);
    for (let q = 0; q < 2; q++) {
      const x = st.x[2 * i + q]!;
      const score = (p.alpha_t * st.x0hat[2 * i + q]! - x) * inv;
      st.x[2 * i + q] = x - p.drift * x + p.diffusion * score + (noisy ? sd * z[q]! : 0);
    }
  }
}

/** DPM-Solver++(2M) (shaders/run/dpmpp2m.wgsl); history holds the previous x0_hat in (x, y, 0, 0). */
export function dpmpp2m(st: CpuState, p: StepParams): void {
  const ratio = p.sigma_s / p.sigma_t;
  const coef = p.alpha_s - p.alpha_t * ratio;
  const c = p.r > 0 ? 0.5 / p.r : 0;
  for (let i = 0; i < laneCount(p); i++) {
    for (let q = 0; q < 2; q++) {
      const d0 = st.x0hat[2 * i + q]!;
      const d = p.r > 0 ? (1 + c) * d0 - c * st.history[4 * i + q]! : d0;
      st.history[4 * i + q] = d0;
      st.history[4 * i + 2 + q] = 0;
      st.x[2 * i + q] = ratio * st.x[2 * i + q]! + coef * d;
    }
  }
}

/** The perturbation's fixed bias direction u (shaders/run/perturb.wgsl). */
export const BIAS_DIRECTION = [0.6, 0.8] as const;

/** The deliberate score error (shaders/run/perturb.wgsl), applied to x0_hat in place. */
export function perturb(st: CpuState, p: StepParams): void {
  for (let i = 0; i < laneCount(p); i++) {
    const noisy = p.error_noise > 0;
    if (noisy) normal2(p.seed, Stream.perturb, i, p.evaluation, z);
    for (let q = 0; q < 2; q++) {
      st.x0hat[2 * i + q] =
        (1 + p.error_scale) * st.x0hat[2 * i + q]! +
        p.error_bias * BIAS_DIRECTION[q]! +
        (noisy ? p.error_noise * z[q]! : 0);
    }
  }
}
