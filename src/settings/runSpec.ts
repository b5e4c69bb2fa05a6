/**
 * What a run is, from the settings: the levels it visits, the spec the simulation runs, its
 * one-line description, and which level a step is at. Pure functions of the settings.
 */
import {
  forwardLevels,
  isVarianceExploding,
  levelAt,
  reverseLevels,
  type Level,
} from '../maths/schedules';
import { normalCdf } from '../maths/stats';
import type { Condition } from '../maths/guidance';
import { guidanceInterval } from './validate';
import {
  SMOOTHING_DRAWS,
  type DenoiserId,
  type LangevinId,
  type Mode,
  type SamplerId,
  type Settings,
} from './settings';

/**
 * A deliberate error in the denoiser, applied after every evaluation (shaders/run/perturb.wgsl):
 * x0_hat -> (1 + scale) x0_hat + bias u + noise z, u a fixed unit vector, z fresh per evaluation.
 */
export interface ScoreError {
  scale: number;
  bias: number;
  noise: number;
}

/** A Langevin run's parameters (../shared/docs/maths.md section 4). */
export interface LangevinConstants {
  kind: LangevinId;
  temperature: number;
  /** ula, mala, underdamped: the step size; annealed: e at the last level (Song & Ermon's e). */
  stepSize: number;
  gamma: number;
  /** pc: the corrector's target signal-to-noise ratio r. */
  snr: number;
}

export interface RunSpec {
  mode: Mode;
  sampler: SamplerId;
  denoiser: DenoiserId;
  levels: readonly Level[];
  eta: number;
  seed: number;
  /** A deliberate error in the denoiser after every evaluation (none when absent). */
  error?: ScoreError;
  /** The smoothed denoiser: the query noise std and the Monte Carlo draws averaged. */
  smoothing?: { std: number; draws: number };
  /**
   * Mode 'langevin': the sampler and its parameters. ula, mala, underdamped: `levels` repeats
   * the one level of the energy, once per step and once more; annealed: the reverse run's levels,
   * each but the last (sigma = 0) visited in turn; pc: the reverse run's levels, `sampler` the
   * predictor.
   */
  langevin?: LangevinConstants & { correctorSteps: number };
  /** A class-conditional run (class not 'all'): the class, the guidance w and its interval. */
  condition?: Condition;
}

/**
 * The levels a run over these settings visits. Langevin: annealed and pc walk the reverse run's
 * levels; ula, mala and underdamped sample the one energy at noiseLevel, repeated once per step.
 */
export function runLevels(s: Readonly<Settings>): Level[] {
  if (s.mode === 'langevin') {
    if (s.langevin === 'annealed' || s.langevin === 'pc')
      return reverseLevels(s.schedule, s, s.steps);
    const level = levelAt(s.schedule, s, s.noiseLevel);
    return Array.from({ length: s.steps + 1 }, () => ({ ...level }));
  }
  return s.mode === 'reverse'
    ? reverseLevels(s.schedule, s, s.steps)
    : forwardLevels(s.schedule, s, s.steps);
}

/** "ddim η 0 · cosine · 100 steps": the run a view shows, for labels and captions. */
export function describeRun(s: Readonly<Settings>): string {
  if (s.mode === 'langevin')
    return `langevin ${s.langevin} · T ${s.temperature} · h ${s.stepSize} · t ${s.noiseLevel}`;
  const sampler =
    s.mode === 'forward' ? 'forward' : `${s.sampler}${s.sampler === 'ddim' ? ` η ${s.eta}` : ''}`;
  return `${sampler} · ${s.schedule} · ${s.steps} steps`;
}

/** Share of N(0, sigma^2 I) in 2D inside the square [-half, half]^2. */
function shareInSquare(sigma: number, half: number): number {
  return (2 * normalCdf(half / sigma) - 1) ** 2;
}

/**
 * What a lane's caption adds while most of its particles lie outside the view's square of
 * half-width `half` (world units at zoom 1): the noise level, and the t below which most are
 * back on screen; '' otherwise. Only variance-exploding schedules (sigma_max >> the data) get
 * there: variance-preserving and rectified runs' particles have sigma <= 1. The data's own
 * spread (|x| <= 1.5) is small beside such noise, so the share on screen is that of the noise
 * alone.
 */
export function offScreenNote(s: Readonly<Settings>, t: number, half: number): string {
  if (!isVarianceExploding(s.schedule)) return '';
  const sigmaAt = (u: number): number => levelAt(s.schedule, s, u).sigma;
  const hidden = (u: number): boolean => shareInSquare(sigmaAt(u), half) < 0.5;
  if (!hidden(t)) return '';
  // sigma grows with t: bisect for where half the particles are on screen.
  let [lo, hi] = [0, t];
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (hidden(mid)) hi = mid;
    else lo = mid;
  }
  const sigma = Number(sigmaAt(t).toPrecision(2));
  return `σ ${sigma}: most particles off screen until t ≈ ${hi.toFixed(2)}`;
}

/**
 * What to tell the user when `bad` particles of a run went non-finite or escaped by `step`: what
 * diverged and which setting to lower.
 */
export function divergenceAdvice(s: Readonly<Settings>, bad: number, step: number): string {
  const what = `${bad} of ${s.n} particles diverged (NaN, or escaped beyond |x| = 1000) by step ${step}`;
  if (s.mode === 'langevin') {
    const h = s.stepSize;
    const hint = s.langevin === 'underdamped' ? ', or raise the friction γ' : '';
    return `${what}: the step size h = ${h} is too large for this energy. Lower stepSize (try ${Number((h / 10).toPrecision(2))})${hint}. Paused.`;
  }
  if (s.errorScale !== 0 || s.errorBias !== 0 || s.errorNoise !== 0)
    return `${what}: the deliberate model error is too large. Lower errorScale, errorBias or errorNoise. Paused.`;
  return `${what}. Try more steps or another sampler. Paused.`;
}

/** What the simulation needs of the settings for one run. */
export function runSpec(s: Readonly<Settings>): RunSpec {
  // The deliberate score error, points and images alike (the bias along a unit vector of R^d).
  const error =
    s.errorScale !== 0 || s.errorBias !== 0 || s.errorNoise !== 0
      ? { scale: s.errorScale, bias: s.errorBias, noise: s.errorNoise }
      : undefined;
  return {
    mode: s.mode,
    sampler: s.sampler,
    denoiser: s.denoiser,
    levels: runLevels(s),
    eta: s.eta,
    seed: s.seed,
    ...(error ? { error } : {}),
    ...(s.denoiser === 'smoothed'
      ? { smoothing: { std: s.smoothing, draws: SMOOTHING_DRAWS } }
      : {}),
    ...(s.class !== -1
      ? {
          condition: {
            label: s.class,
            guidance: s.guidance,
            interval: guidanceInterval(s.guidanceInterval) ?? [0, 1],
          },
        }
      : {}),
    ...(s.mode === 'langevin'
      ? {
          langevin: {
            kind: s.langevin,
            temperature: s.temperature,
            stepSize: s.stepSize,
            gamma: s.gamma,
            snr: s.snr,
            correctorSteps: s.correctorSteps,
          },
        }
      : {}),
  };
}

/**
 * The index into a run's levels of the level its particles are at after `step` of its `steps`
 * steps: level `step` (the level the next step starts from; the last at the end). In Langevin
 * mode it is the level of the energy being sampled: annealed Langevin samples the level of its
 * current step, and at the end that of its last step (it never visits the last level, sigma = 0).
 */
export function currentLevelIndex(
  mode: Mode,
  langevin: LangevinId | undefined,
  step: number,
  steps: number,
): number {
  return mode === 'langevin' && langevin === 'annealed' ? Math.min(step, steps - 1) : step;
}
