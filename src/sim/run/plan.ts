/**
 * Which kernels run for each step of a run, as data: a pure function of the mode, the sampler, the
 * levels and the score error, shared by the GPU simulation and its float64 CPU reference. NFE is
 * counted from it.
 */
import type { Level } from '../../maths/schedules';
import type { LangevinId, Mode, SamplerId } from '../../settings/settings';

export type KernelName =
  | 'prior'
  | 'forward_jump'
  | 'forward_step'
  | 'denoise'
  | 'ddpm'
  | 'ddim'
  | 'euler'
  | 'heun_predict'
  | 'heun_correct'
  | 'em'
  | 'dpmpp2m'
  | 'perturb'
  | 'ula'
  | 'mala_propose'
  | 'mala_accept'
  | 'baoab_baoa'
  | 'baoab_b';

import type { ScoreError } from '../../settings/runSpec';
export type { ScoreError };

/** Whether a score error changes anything: the plan has perturb passes only then. */
export function perturbs(error: ScoreError | undefined): boolean {
  return !!error && (error.scale !== 0 || error.bias !== 0 || error.noise !== 0);
}

/** One dispatch: a kernel over all particles with one slot of the step table. */
export interface Pass {
  kernel: KernelName;
  slot: number;
}

/**
 * Slots of the step table: step i (level i to level i + 1) owns slot 2i, where the denoiser
 * evaluates at level i, and slot 2i + 1, where it evaluates at level i + 1 (Heun's correction).
 * One more slot after them holds a scrubbed position.
 */
export const stepSlot = (i: number): number => 2 * i;
export const correctorSlot = (i: number): number => 2 * i + 1;
export const scrubSlot = (steps: number): number => 2 * steps;
export const slotCount = (steps: number): number => 2 * steps + 1;

/**
 * Langevin runs (mode 'langevin') own four slots per step: part 0 and 1 are the reverse run's
 * step and corrector slots (pc's predictor; ula, mala and underdamped use part 0), part 2 holds
 * the Langevin moves at the step's energy and part 3 the last of them (close = 1). One more slot
 * after them starts the run (prior and langevin_init).
 */
export const langevinSlot = (i: number, part: 0 | 1 | 2 | 3): number => 4 * i + part;
export const langevinInitSlot = (steps: number): number => 4 * steps;
export const langevinSlotCount = (steps: number): number => 4 * steps + 1;

/** What a Langevin run's plan depends on besides the levels. */
export interface LangevinPlan {
  kind: LangevinId;
  /** Annealed and pc: Langevin moves per level. */
  correctorSteps: number;
}

const evaluation = (at: number, error: ScoreError | undefined): Pass[] =>
  perturbs(error)
    ? [
        { kernel: 'denoise', slot: at },
        { kernel: 'perturb', slot: at },
      ]
    : [{ kernel: 'denoise', slot: at }];

/**
 * The passes of step i of a Langevin run. ula: evaluate, move. mala: propose, evaluate at the
 * proposal, accept (the first step evaluates at the start first; a rejection restores x0_hat and U,
 * so later steps cost one evaluation). underdamped (BAOAB): B-A-O-A, evaluate, B (the first step
 * evaluates at the start first). annealed: correctorSteps moves at level i (levels.length - 1
 * noise levels; the last level, sigma = 0, is not visited). pc: the reverse sampler's step i as
 * predictor, then correctorSteps moves at level i + 1, none at sigma = 0.
 */
export function langevinPasses(
  lv: LangevinPlan,
  sampler: SamplerId,
  levels: readonly Level[],
  i: number,
  error?: ScoreError,
): Pass[] {
  const slot = langevinSlot(i, 0);
  const first = i === 0 ? evaluation(slot, error) : [];
  const moves = (): Pass[] => {
    const out: Pass[] = [];
    for (let j = 0; j < lv.correctorSteps; j++) {
      const at = langevinSlot(i, j + 1 < lv.correctorSteps ? 2 : 3);
      out.push(...evaluation(at, error), { kernel: 'ula', slot: at });
    }
    return out;
  };
  switch (lv.kind) {
    case 'ula':
      return [...evaluation(slot, error), { kernel: 'ula', slot }];
    case 'mala':
      return [
        ...first,
        { kernel: 'mala_propose', slot },
        ...evaluation(slot, error),
        { kernel: 'mala_accept', slot },
      ];
    case 'underdamped':
      return [
        ...first,
        { kernel: 'baoab_baoa', slot },
        ...evaluation(slot, error),
        { kernel: 'baoab_b', slot },
      ];
    case 'annealed':
      return moves();
    case 'pc': {
      const predictor = stepPasses('reverse', sampler, levels, i, error).map((p) => ({
        kernel: p.kernel,
        slot: langevinSlot(i, p.slot === stepSlot(i) ? 0 : 1),
      }));
      return levels[i + 1]!.sigma > 0 ? [...predictor, ...moves()] : predictor;
    }
  }
}

/**
 * The passes of step i of a run over `levels` (levels.length - 1 steps). Every sampler kernel runs
 * at the slot of its denoiser evaluation, and a perturb pass follows each evaluation when `error`
 * changes anything. The step from a level with alpha = 0 (zero terminal SNR) runs a kernel that
 * stays finite there: Heun takes a plain Euler step (the trapezoid over an infinite sigma_hat
 * interval is undefined) and Euler-Maruyama a DDPM ancestral step (its F is infinite).
 */
export function stepPasses(
  mode: Mode,
  sampler: SamplerId,
  levels: readonly Level[],
  i: number,
  error?: ScoreError,
): Pass[] {
  const slot = stepSlot(i);
  if (mode === 'forward') return [{ kernel: 'forward_step', slot }];
  const evaluate = (at: number): Pass[] => evaluation(at, error);
  const from = levels[i]!;
  const to = levels[i + 1]!;
  const infinite = from.alpha === 0;
  switch (sampler) {
    case 'heun':
      if (infinite) return [...evaluate(slot), { kernel: 'euler', slot }];
      // Heun's correction is skipped on the step to sigma = 0 (Karras et al. 2022, Algorithm 1).
      if (to.sigma === 0) return [...evaluate(slot), { kernel: 'heun_predict', slot }];
      return [
        ...evaluate(slot),
        { kernel: 'heun_predict', slot },
        ...evaluate(correctorSlot(i)),
        { kernel: 'heun_correct', slot: correctorSlot(i) },
      ];
    case 'em':
      return [...evaluate(slot), { kernel: infinite ? 'ddpm' : 'em', slot }];
    default:
      return [...evaluate(slot), { kernel: sampler, slot }];
  }
}

/** The passes of every step of a run, built once per run; Langevin runs need `langevin`. */
export function runPlan(
  mode: Mode,
  sampler: SamplerId,
  levels: readonly Level[],
  error?: ScoreError,
  langevin?: LangevinPlan,
): Pass[][] {
  if (mode === 'langevin' && !langevin) throw new Error('a Langevin run needs its sampler');
  const plan: Pass[][] = [];
  for (let i = 0; i + 1 < levels.length; i++)
    plan.push(
      langevin && mode === 'langevin'
        ? langevinPasses(langevin, sampler, levels, i, error)
        : stepPasses(mode, sampler, levels, i, error),
    );
  return plan;
}

/**
 * Denoiser evaluations (NFE) after 0, 1, ..., all steps of a plan. A guided run evaluates its
 * denoiser twice (conditional and unconditional) at each slot where w != 1: `guided[slot]` is 1
 * there (none: no slot is guided).
 */
export function cumulativeNfe(plan: readonly Pass[][], guided?: ArrayLike<number>): Uint32Array {
  const nfe = new Uint32Array(plan.length + 1);
  plan.forEach((passes, i) => {
    const denoise = passes.filter((p) => p.kernel === 'denoise');
    nfe[i + 1] = nfe[i]! + denoise.reduce((sum, p) => sum + 1 + (guided?.[p.slot] ?? 0), 0);
  });
  return nfe;
}

/** Denoiser evaluations in the first `done` steps of a plan (`guided` as cumulativeNfe). */
export function countNfe(
  plan: readonly Pass[][],
  done: number,
  guided?: ArrayLike<number>,
): number {
  return cumulativeNfe(plan, guided)[Math.min(done, plan.length)]!;
}
