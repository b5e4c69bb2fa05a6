/**
 * Which kernels run for each step of a run, as data: a pure function of the mode, the sampler and
 * the levels, shared by the GPU simulation and its float64 CPU reference. NFE is counted from it.
 */
import type { Level } from '../maths/schedules';
import type { Mode, SamplerId } from '../settings';

export type KernelName =
  | 'prior'
  | 'forward_jump'
  | 'forward_step'
  | 'denoise'
  | 'ddpm'
  | 'ddim'
  | 'euler'
  | 'heun_predict'
  | 'heun_correct';

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

/** The passes of step i of a run over `levels` (levels.length - 1 steps). */
export function stepPasses(
  mode: Mode,
  sampler: SamplerId,
  levels: readonly Level[],
  i: number,
): Pass[] {
  const slot = stepSlot(i);
  if (mode === 'forward') return [{ kernel: 'forward_step', slot }];
  if (sampler !== 'heun')
    return [
      { kernel: 'denoise', slot },
      { kernel: sampler, slot },
    ];
  // Heun's correction is skipped on the step to sigma = 0 (Karras et al. 2022, Algorithm 1).
  const last = levels[i + 1]!.sigma === 0;
  return last
    ? [
        { kernel: 'denoise', slot },
        { kernel: 'heun_predict', slot },
      ]
    : [
        { kernel: 'denoise', slot },
        { kernel: 'heun_predict', slot },
        { kernel: 'denoise', slot: correctorSlot(i) },
        { kernel: 'heun_correct', slot: correctorSlot(i) },
      ];
}

/** The passes of every step of a run, built once per run. */
export function runPlan(mode: Mode, sampler: SamplerId, levels: readonly Level[]): Pass[][] {
  const plan: Pass[][] = [];
  for (let i = 0; i + 1 < levels.length; i++) plan.push(stepPasses(mode, sampler, levels, i));
  return plan;
}

/** Denoiser evaluations (NFE) after 0, 1, ..., all steps of a plan. */
export function cumulativeNfe(plan: readonly Pass[][]): Uint32Array {
  const nfe = new Uint32Array(plan.length + 1);
  plan.forEach((passes, i) => {
    nfe[i + 1] = nfe[i]! + passes.filter((p) => p.kernel === 'denoise').length;
  });
  return nfe;
}

/** Denoiser evaluations in the first `done` steps of a plan. */
export function countNfe(plan: readonly Pass[][], done: number): number {
  return cumulativeNfe(plan)[Math.min(done, plan.length)]!;
}
