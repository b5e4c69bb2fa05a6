/**
 * The distance and straightness a sweep row measures (src/sim/experiments/sweep.ts), computed on
 * the CPU in float64: a reverse run of `steps` steps of ddim (eta 0) or heun on `schedule`, from
 * the settings' prior draws for the first 256 particles, with the exact denoiser of gaussians8, by
 * the kernels' references (src/maths/steps.ts) in the run's plan with its step table; with a
 * `condition`, the class's mixture guided by w against the unconditional one at each slot whose
 * guidance is not 1 (src/maths/guidance.ts guide, as run/guide.wgsl). Then the sliced
 * Wasserstein-2 distance over the sweep's 64 directions (seed 0) to its reference sample (seed 0)
 * of 256 of `reference`'s points (the data's, or the class's), and the mean excess path length
 * over the positions after each step (src/maths/straightness.ts, as run/path_step.wgsl records
 * them).
 */
import { datasetMixture } from '../../src/maths/datasets';
import { denoiseMixture } from '../../src/maths/denoisers';
import { classMixture, guide, type Condition } from '../../src/maths/guidance';
import { reverseLevels, type ScheduleId } from '../../src/maths/schedules';
import { slicedWasserstein2 } from '../../src/maths/stats';
import { pathStraightness } from '../../src/maths/straightness';
import { cpuState, ddim, heunCorrect, heunPredict, prior } from '../../src/maths/steps';
import type { Settings } from '../../src/settings/settings';
import { referenceSample } from '../../src/sim/distance/slicedWasserstein';
import { runPlan } from '../../src/sim/run/plan';
import { stepTable } from '../../src/sim/run/stepTable';

export function cpuSweepRow(
  settings: Settings,
  sampler: 'ddim' | 'heun',
  schedule: ScheduleId,
  steps: number,
  reference: readonly number[],
  condition?: Condition,
): { distance: number; straightness: number } {
  const points = 256;
  const mixture = datasetMixture('gaussians8')!;
  const own = condition ? classMixture(mixture, condition.label) : null;
  const levels = reverseLevels(schedule, settings, steps);
  const table = stepTable(levels, {
    eta: settings.eta,
    n: points,
    m: reference.length / 2,
    k: mixture.components.length,
    seed: settings.seed,
    ...(condition ? { condition } : {}),
  });
  const state = cpuState(points);
  prior(state, table[0]!);
  const path = [Float64Array.from(state.x)];
  const denoise = (alpha: number, sigma: number, w: number): Float64Array => {
    const all = denoiseMixture(state.x, mixture, alpha, sigma).x0hat;
    if (!own) return Float64Array.from(all);
    const cond = denoiseMixture(state.x, own, alpha, sigma).x0hat;
    return w === 1 ? Float64Array.from(cond) : guide(cond, all, w);
  };
  for (const passes of runPlan('reverse', sampler, levels)) {
    for (const { kernel, slot } of passes) {
      const p = table[slot]!;
      if (kernel === 'denoise') state.x0hat.set(denoise(p.alpha, p.sigma, p.guidance ?? 1));
      else if (kernel === 'ddim') ddim(state, p);
      else if (kernel === 'heun_predict') heunPredict(state, p);
      else if (kernel === 'heun_correct') heunCorrect(state, p);
      else throw new Error(`no reference for ${kernel} here`);
    }
    path.push(Float64Array.from(state.x));
  }
  return {
    distance: slicedWasserstein2(state.x, referenceSample(reference, points, 0), 64, 0),
    straightness: pathStraightness(path, points).mean,
  };
}
