/**
 * Noise schedules as pure float64 functions of t in [0, 1]: x_t = alpha_t x0 + sigma_t eps.
 * Sources and formulas: ../shared/docs/maths.md section 1.
 *
 * A run never calls these per step on the GPU: `reverseLevels` / `forwardLevels` turn a schedule
 * into a table of levels (t, alpha, sigma) once, and the kernels read that table. Adding a
 * schedule means adding a case here and nothing in WGSL.
 *
 * Notation (Lin et al. 2024 -> here): timestep k in 0..T-1 -> t = (k + 1) / T with T = TRAIN_STEPS;
 * sqrt(alpha_bar_k) -> alpha; sqrt(1 - alpha_bar_k) -> sigma; S sampling steps -> `steps`.
 */
import { curveProblem, evaluateCurve, parseCurve, type CurvePoint } from './logSnrCurve';

export const SCHEDULES = [
  'linear',
  'cosine',
  'sigmoid',
  'karras',
  've',
  'custom',
  'rectified',
] as const;
export type ScheduleId = (typeof SCHEDULES)[number];

/**
 * Where a VP run's steps fall in t (Lin et al. 2024, "Common diffusion noise schedules and sample
 * steps are flawed", Table 2) for a model trained on TRAIN_STEPS timesteps: see `gridTimes`.
 */
export const GRIDS = ['linspace', 'leading', 'trailing'] as const;
export type GridId = (typeof GRIDS)[number];

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
  /** VP schedules: the step grid (karras, ve and rectified place their own and ignore it). */
  grid: GridId;
  /** VP schedules: rescale to zero terminal SNR (alpha = 0 at t = 1; Lin et al. 2024, Alg. 1).
   * rectified has it by construction. */
  ztsnr: boolean;
  /** custom (VP): a piecewise-linear half log-SNR lambda(t), "t:lambda" pairs joined by commas
   * (./logSnrCurve.ts). */
  customCurve: string;
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
  grid: 'linspace',
  ztsnr: false,
  customCurve: '0:6,0.5:0,1:-6',
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
 * floor only trims the last fraction of a percent of t for the others. It does not apply to the
 * custom curve, which stays within its own validated range, nor with `ztsnr`, whose whole point
 * is alpha = 0 at t = 1.
 */
export const LAMBDA_MIN = -6;
const ALPHA_BAR_MIN = 1 / (1 + Math.exp(-2 * LAMBDA_MIN));

export function isVariancePreserving(id: ScheduleId): boolean {
  return id === 'linear' || id === 'cosine' || id === 'sigmoid' || id === 'custom';
}

/** Variance exploding (alpha = 1, sigma from sigmaMin to sigmaMax): karras and ve. */
export function isVarianceExploding(id: ScheduleId): boolean {
  return id === 'karras' || id === 've';
}

/**
 * Rectified flow / flow matching's straight path (Liu et al. 2022, "Flow straight and fast";
 * Lipman et al. 2022, "Flow matching for generative modeling", the conditional OT path with
 * sigma_min = 0): x_t = (1 - t) x0 + t eps, neither VP nor VE. alpha reaches 0 at t = 1 (zero
 * terminal SNR by construction), where the samplers already take the steps that stay finite
 * (src/sim/run/plan.ts). No floor and no parameters.
 */
const rectifiedLevel = (t: number): Level => ({ t, alpha: 1 - t, sigma: t });

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** A VP schedule: t -> (alpha_bar(t), 1 - alpha_bar(t)), the second without cancellation near 0. */
type AlphaBar = (t: number) => [number, number];

/** The custom curve's points; throws when the text is not a valid curve. */
function customPoints(text: string): CurvePoint[] {
  let points: CurvePoint[];
  try {
    points = parseCurve(text);
  } catch (e) {
    throw new Error(`customCurve: ${e instanceof Error ? e.message : String(e)}`);
  }
  const problem = curveProblem(points);
  if (problem) throw new Error(`customCurve: ${problem}`);
  return points;
}

function vpAlphaBar(id: ScheduleId, p: ScheduleParams): AlphaBar {
  switch (id) {
    case 'linear':
      return (t) => {
        const e = -0.5 * t * t * (p.betaMax - p.betaMin) - t * p.betaMin;
        return [Math.exp(e), -Math.expm1(e)];
      };
    case 'cosine': {
      const f = (u: number): number =>
        Math.cos(((u + p.cosineS) / (1 + p.cosineS)) * (Math.PI / 2)) ** 2;
      const f0 = f(0);
      return (t) => {
        const ab = f(t) / f0;
        return [ab, 1 - ab];
      };
    }
    case 'sigmoid': {
      const { sigmoidStart: start, sigmoidEnd: end, sigmoidTau: tau } = p;
      const vStart = sigmoid(start / tau);
      const vEnd = sigmoid(end / tau);
      return (t) => {
        const v = sigmoid((t * (end - start) + start) / tau);
        return [(vEnd - v) / (vEnd - vStart), (v - vStart) / (vEnd - vStart)];
      };
    }
    case 'custom': {
      // alpha^2 = sigmoid(2 lambda), sigma^2 = sigmoid(-2 lambda).
      const points = customPoints(p.customCurve);
      return (t) => {
        const lambda = evaluateCurve(points, t);
        return [sigmoid(2 * lambda), sigmoid(-2 * lambda)];
      };
    }
    default:
      throw new Error(`${id} is not a variance-preserving schedule`);
  }
}

/** Floors alpha_bar at ALPHA_BAR_MIN (lambda >= LAMBDA_MIN) unless `floor` is false. */
function plainLevels(ab: AlphaBar, floor: boolean): (t: number) => Level {
  return (t) => {
    let [a, oneMinus] = ab(t);
    if (floor && a < ALPHA_BAR_MIN) {
      a = ALPHA_BAR_MIN;
      oneMinus = 1 - ALPHA_BAR_MIN;
    }
    return { t, alpha: Math.sqrt(a), sigma: Math.sqrt(Math.max(0, oneMinus)) };
  };
}

/**
 * Zero terminal SNR (Lin et al. 2024, Algorithm 1) in continuous t: alpha is rescaled linearly,
 * alpha' = (alpha - alpha(1)) / (alpha(0) - alpha(1)) * alpha(0), so alpha'(1) = 0 exactly and
 * alpha'(0) = alpha(0); sigma' = sqrt(1 - alpha'^2). The paper keeps alpha at its first discrete
 * timestep; here that is t = 0, so a run still ends on clean data.
 */
function ztsnrLevels(ab: AlphaBar): (t: number) => Level {
  const [ab0, oneMinus0] = ab(0);
  const a0 = Math.sqrt(ab0);
  const a1 = Math.sqrt(ab(1)[0]);
  return (t) => {
    const [a, oneMinus] = ab(t);
    const alpha = Math.sqrt(a);
    const scaled = ((alpha - a1) / (a0 - a1)) * a0;
    // Near t = 0, 1 - alpha'^2 would cancel: take 1 - alpha' = (a0 (1 - alpha) - a1 (1 - a0)) /
    // (a0 - a1) with 1 - alpha = (1 - alpha^2) / (1 + alpha). Near t = 1, 1 - alpha'^2 is exact.
    const gap = (a0 * (oneMinus / (1 + alpha)) - a1 * (oneMinus0 / (1 + a0))) / (a0 - a1);
    const sigma2 = scaled < 0.5 ? 1 - scaled * scaled : gap * (1 + scaled);
    return { t, alpha: scaled, sigma: Math.sqrt(Math.max(0, sigma2)) };
  };
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

/** The schedule as a function of t, set up once (a custom curve is parsed here). */
function schedule(id: ScheduleId, p: ScheduleParams): (t: number) => Level {
  if (id === 'rectified') return rectifiedLevel;
  if (isVarianceExploding(id)) return (t) => ({ t, alpha: 1, sigma: veSigma(id, p, t) });
  const ab = vpAlphaBar(id, p);
  return p.ztsnr ? ztsnrLevels(ab) : plainLevels(ab, id !== 'custom');
}

/** (alpha_t, sigma_t) of a schedule at continuous t in [0, 1]. Throws on an invalid customCurve. */
export function levelAt(id: ScheduleId, p: ScheduleParams, t: number): Level {
  return schedule(id, p)(t);
}

/** Half log-SNR lambda = log(alpha / sigma). */
export function logSnr(level: Level): number {
  return Math.log(level.alpha / level.sigma);
}

/** T: the timesteps of the discrete model the grids are defined for (Ho et al. 2020). */
export const TRAIN_STEPS = 1000;

/**
 * VP runs step down to t = T_MIN = 1 / T, the first training timestep, and then take a last step
 * to clean data (Song et al. 2021 likewise stop at eps = 1e-3 and denoise). Stepping uniformly all
 * the way to t = 0 would leave the last noise level at t = 1 / steps, coarse enough (sigma ~ 0.02
 * to 0.04 at 100 steps) to visibly shrink narrow modes when the last step returns the
 * denoiser's estimate.
 */
export const T_MIN = 1 / TRAIN_STEPS;

/** Rounds half to even, as numpy's np.round in Lin et al.'s code does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The `steps` noise times of a VP run, noisiest first, strictly decreasing, for a model trained on
 * T = TRAIN_STEPS timesteps k = 0..T-1 at t = (k + 1) / T (Lin et al. 2024, Table 2, no offset):
 * - linspace: uniform from t = 1 to T_MIN, i.e. linspace(0, T - 1, S) reversed, not rounded to
 *   whole timesteps (at most half a timestep from the paper's);
 * - leading: k_i = (S - 1 - i) floor(T / S); it ends at T_MIN but starts below t = 1 (at T_MIN
 *   for one step), never visiting the noisiest level: the flaw the paper points out;
 * - trailing: k_i = round(T (S - i) / S) - 1, from t = 1 down to about t = 1 / S.
 * With steps >= T every timestep is visited once and the three coincide; beyond T there are no
 * more timesteps to pick, so all three take the continuous linspace grid, uniform from 1 to T_MIN.
 */
export function gridTimes(grid: GridId, steps: number): number[] {
  const T = TRAIN_STEPS;
  const S = steps;
  if (grid === 'linspace' || S >= T)
    return Array.from({ length: S }, (_, i) => (S === 1 ? 1 : 1 + (i / (S - 1)) * (T_MIN - 1)));
  // T (S - i) is a whole number, so an exact half stays exact through the one division.
  const k = (i: number): number =>
    grid === 'leading' ? (S - 1 - i) * Math.floor(T / S) : roundHalfEven((T * (S - i)) / S) - 1;
  return Array.from({ length: S }, (_, i) => (k(i) + 1) / T);
}

/**
 * The levels a reverse run visits: steps + 1 of them, from the noisiest down to clean data
 * (sigma = 0). Like k-diffusion's get_sigmas_*, every schedule places `steps` noise levels and
 * appends sigma = 0: VP schedules (custom included) at the times of `p.grid` (`gridTimes`),
 * karras and ve where their papers place their sigmas (uniform in their own t from 1 to 0;
 * `grid` does not apply to them), rectified at t = 1 - i / steps: with the appended t = 0, the
 * uniform grid linspace(1, 0, steps + 1) of flow matching's Euler sampler (Lipman et al. 2022;
 * Liu et al. 2022). Its t is continuous, with no discrete training timesteps for `grid` to pick
 * from, and its t = 0 is already clean data, so neither `grid` nor T_MIN applies to it.
 */
export function reverseLevels(id: ScheduleId, p: ScheduleParams, steps: number): Level[] {
  const level = schedule(id, p);
  const times = isVariancePreserving(id)
    ? gridTimes(p.grid, steps)
    : id === 'rectified'
      ? Array.from({ length: steps }, (_, i) => 1 - i / steps)
      : Array.from({ length: steps }, (_, i) => (steps === 1 ? 1 : 1 - i / (steps - 1)));
  const levels = times.map(level);
  levels.push({ t: 0, alpha: 1, sigma: 0 });
  return levels;
}

/** The levels a forward run visits: the reverse run's, from clean data up to its noisiest. */
export function forwardLevels(id: ScheduleId, p: ScheduleParams, steps: number): Level[] {
  return reverseLevels(id, p, steps).reverse();
}

/** Why a set of schedule parameters is unusable, or null when it is fine. */
export function scheduleProblem(id: ScheduleId, p: ScheduleParams): string | null {
  const bad = (name: string, why: string): string => `${name} ${why}`;
  if (isVariancePreserving(id) && !GRIDS.includes(p.grid))
    return bad('grid', `must be one of ${GRIDS.join(', ')}, not '${p.grid}'`);
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
    case 'rectified':
      return null;
    case 'custom':
      try {
        customPoints(p.customCurve);
        return null;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
  }
}
