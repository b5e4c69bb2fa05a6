/**
 * Float64 references of whole reverse runs for the end-to-end tests: the kernels' references
 * (src/maths/steps.ts) in the run's plan with its step table, from the settings' prior draws, as
 * the GPU runs them; and the paths' straightness (src/maths/straightness.ts, as
 * run/path_step.wgsl records it) over the positions after each step.
 */
import { reverseLevels, type ScheduleId } from '../../src/maths/schedules';
import { pathStraightness } from '../../src/maths/straightness';
import { cpuState, ddim, euler, heunCorrect, heunPredict, prior } from '../../src/maths/steps';
import type { Settings } from '../../src/settings/settings';
import { runPlan } from '../../src/sim/run/plan';
import { stepTable } from '../../src/sim/run/stepTable';

/** A denoiser's x0_hat of the particles x (interleaved) at the level (alpha, sigma). */
export type CpuDenoiser = (x: Float64Array, alpha: number, sigma: number) => Float64Array;

/**
 * A reverse run of `steps` steps of ddim (with the settings' eta), euler or heun on `schedule` (the
 * settings' parameters), of the first `points` particles of the settings' seed: the particles at
 * the end and the mean excess path length L / D - 1 of their paths.
 */
export function cpuRun(
  settings: Settings,
  run: { sampler: 'ddim' | 'euler' | 'heun'; schedule: ScheduleId; steps: number },
  denoise: CpuDenoiser,
  points: number,
): { x: Float64Array; straightness: number } {
  const levels = reverseLevels(run.schedule, settings, run.steps);
  // k and m matter to no kernel used here (the mixture's and the data's draws).
  const table = stepTable(levels, {
    eta: settings.eta,
    n: points,
    m: 1,
    k: 1,
    seed: settings.seed,
  });
  const state = cpuState(points);
  prior(state, table[0]!);
  const path = [Float64Array.from(state.x)];
  for (const passes of runPlan('reverse', run.sampler, levels)) {
    for (const { kernel, slot } of passes) {
      const p = table[slot]!;
      if (kernel === 'denoise') state.x0hat.set(denoise(state.x, p.alpha, p.sigma));
      else if (kernel === 'ddim') ddim(state, p);
      else if (kernel === 'euler') euler(state, p);
      else if (kernel === 'heun_predict') heunPredict(state, p);
      else if (kernel === 'heun_correct') heunCorrect(state, p);
      else throw new Error(`no reference for ${kernel} here`);
    }
    path.push(Float64Array.from(state.x));
  }
  return { x: Float64Array.from(state.x), straightness: pathStraightness(path, points).mean };
}
