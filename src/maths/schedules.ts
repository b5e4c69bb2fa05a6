/**
 * Noise schedules as pure float64 functions of t in [0, 1]: x_t = alpha_t x0 + sigma_t eps.
 * Sources and formulas: ../shared/docs/maths.md section 1.
 *
 * A run never calls these per step on the GPU: `reverseLevels` / `forwardLevels` turn a schedule
 * into a table of levels (t, alpha, sigma) once, and the kernels read that table. Adding a
 * schedule means adding a case here and nothing in WGSL.
 */

export const SCHEDULES = ['linear', 'cosine', 'sigmoid', 'karras', 've'] as const;
export type ScheduleId = (typeof SCHEDULES)[number];

export interface ScheduleParams {
  /** linear (continuous VP, Song et al. 2021): beta(t) = betaMin + t (betaMax - betaMin). */
  betaMin: number;
  betaMax: number;
  /** cosine (Nichol & Dhariwal 2021) offset s. */
  cosineS: number;
  /** sigmoid (Chen 2023) start, end and temperature tau. */
  sigmoidStart: number;
  sigmoidEnd: number;
  sigmoidTau: number;
  /** karras (Karras et al. 2022) and ve (Song & Ermon 2019): the sigma range. */
  sigmaMin: number;
  sigmaMax: number;
  /** karras: the spacing exponent rho. */
  rho: number;
}

export const DEFAULT_SCHEDULE_PARAMS: Readonly<ScheduleParams> = {
  betaMin: 0.1,
  betaMax: 20,
  cosineS: 0.008,
  sigmoidStart: -3,
  sigmoidEnd: 3,
  sigmoidTau: 1,
  sigmaMin: 0.002,
  sigmaMax: 10,
  rho: 7,
};

/** One noise level of a run: the kernels' view of a schedule. */
export interface Level {
  t: number;
  alpha: number;
  sigma: number;
}

/**
 * VP schedules whose alpha reaches 0 at t = 1 (cosine, sigmoid) would put sigma / alpha at
 * infinity, where the ODE samplers in sigma-space are undefined. Their half log-SNR
 * lambda = log(alpha / sigma) is floored here; the linear schedule ends at lambda = -5.03, so the
 * floor only trims the last fraction of a percent of t for the others.
 */
export const LAMBDA_MIN = -6;
const ALPHA_BAR_MIN = 1 / (1 + Math.exp(-2 * LAMBDA_MIN));

export function isVariancePreserving(id: ScheduleId): boolean {
  return id === 'linear' || id === 'cosine' || id === 'sigmoid';
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * For VP schedules: (alpha_bar(t), 1 - alpha_bar(t)), the second computed without cancellation
 * near t = 0 where it matters for sigma.
 */
function alphaBar(id: ScheduleId, p: ScheduleParams, t: number): [number, number] {
  switch (id) {
    case 'linear': {
      const e = -0.5 * t * t * (p.betaMax - p.betaMin) - t * p.betaMin;
      return [Math.exp(e), -Math.expm1(e)];
    }
    case 'cosine': {
      const f = (u: number): number =>
        Math.cos(((u + p.cosineS) / (1 + p.cosineS)) * (Math.PI / 2)) ** 2;
      const ab = f(t) / f(0);
      return [ab, 1 - ab];
    }
    case 'sigmoid': {
      const { sigmoidStart: start, sigmoidEnd: end, sigmoidTau: tau } = p;
      const vStart = sigmoid(start / tau);
      const vEnd = sigmoid(end / tau);
      const v = sigmoid((t * (end - start) + start) / tau);
      const ab = (vEnd - v) / (vEnd - vStart);
      return [ab, (v - vStart) / (vEnd - vStart)];
    }
    default:
      throw new Error(`${id} is not a variance-preserving schedule`);
  }
}

/** sigma(t) of the VE schedules, t in [0, 1] from sigmaMin to sigmaMax. */
function veSigma(id: ScheduleId, p: ScheduleParams, t: number): number {
  if (id === 'karras') {
    const a = p.sigmaMax ** (1 / p.rho);
    const b = p.sigmaMin ** (1 / p.rho);
    return (a + (1 - t) * (b - a)) ** p.rho;
  }
  return p.sigmaMin * (p.sigmaMax / p.sigmaMin) ** t;
}

/** (alpha_t, sigma_t) of a schedule at continuous t in [0, 1]. */
export function levelAt(id: ScheduleId, p: ScheduleParams, t: number): Level {
  if (!isVariancePreserving(id)) return { t, alpha: 1, sigma: veSigma(id, p, t) };
  let [ab, oneMinus] = alphaBar(id, p, t);
  if (ab < ALPHA_BAR_MIN) {
    ab = ALPHA_BAR_MIN;
    oneMinus = 1 - ALPHA_BAR_MIN;
  }
  return { t, alpha: Math.sqrt(ab), sigma: Math.sqrt(Math.max(0, oneMinus)) };
}

/** Half log-SNR lambda = log(alpha / sigma). */
export function logSnr(level: Level): number {
  return Math.log(level.alpha / level.sigma);
}

/**
 * VP runs step down to t = T_MIN and then take a last step to clean data (Song et al. 2021 stop
 * at eps = 1e-3 and denoise). Stepping uniformly all the way to t = 0 would leave the last noise
 * level at t = 1 / steps, coarse enough (sigma ~ 0.02 to 0.04 at 100 steps) to visibly shrink
 * narrow modes when the last step returns the denoiser's estimate.
 */
export const T_MIN = 1e-3;

/**
 * The levels a reverse run visits: steps + 1 of them, from the noisiest (t = 1) down to clean
 * data (sigma = 0). Like k-diffusion's get_sigmas_*, every schedule places `steps` noise levels
 * and appends sigma = 0: VP schedules uniformly in t from 1 to T_MIN, karras and ve where the
 * papers place their sigmas.
 */
export function reverseLevels(id: ScheduleId, p: ScheduleParams, steps: number): Level[] {
  const levels: Level[] = [];
  const end = isVariancePreserving(id) ? T_MIN : 0;
  for (let i = 0; i < steps; i++) {
    const u = steps === 1 ? 0 : i / (steps - 1);
    levels.push(levelAt(id, p, 1 + u * (end - 1)));
  }
  levels.push({ t: 0, alpha: 1, sigma: 0 });
  return levels;
}

/** The levels a forward run visits: the reverse run's, from clean data up to t = 1. */
export function forwardLevels(id: ScheduleId, p: ScheduleParams, steps: number): Level[] {
  return reverseLevels(id, p, steps).reverse();
}

/** Why a set of schedule parameters is unusable, or null when it is fine. */
export function scheduleProblem(id: ScheduleId, p: ScheduleParams): string | null {
  const bad = (name: string, why: string): string => `${name} ${why}`;
  switch (id) {
    case 'linear':
      if (!(p.betaMin >= 0)) return bad('betaMin', 'must be >= 0');
      if (!(p.betaMax > p.betaMin)) return bad('betaMax', 'must be greater than betaMin');
      return null;
    case 'cosine':
      if (!(p.cosineS >= 0 && p.cosineS <= 1)) return bad('cosineS', 'must be in [0, 1]');
      return null;
    case 'sigmoid':
      if (!(p.sigmoidTau > 0)) return bad('sigmoidTau', 'must be > 0');
      if (!(p.sigmoidEnd > p.sigmoidStart))
        return bad('sigmoidEnd', 'must be greater than sigmoidStart');
      return null;
    case 'karras':
    case 've':
      if (!(p.sigmaMin > 0)) return bad('sigmaMin', 'must be > 0');
      if (!(p.sigmaMax > p.sigmaMin)) return bad('sigmaMin', 'must be less than sigmaMax');
      if (id === 'karras' && !(p.rho > 0)) return bad('rho', 'must be > 0');
      return null;
  }
}
