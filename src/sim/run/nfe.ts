/**
 * The NFE of a whole run from its spec alone, before any GPU work: the denoiser passes of its plan,
 * two at each slot where guidance applies (w != 1 there: the conditional and the unconditional
 * evaluation), as the Simulation counts them (cumulativeNfe of src/sim/run/plan.ts with the slots
 * of the guided step table, stepTable.ts guidedTable; tests/unit/sweepSteps.test.ts checks the
 * two agree). The quality-vs-NFE sweep picks its steps by it.
 */
import { runSpec, type RunSpec } from '../../settings/runSpec';
import type { Settings } from '../../settings/settings';
import { planOf } from './cursor';
import { guides, type DataShape } from './kernels';
import { guidanceAt } from '../../maths/guidance';
import { correctorSlot, cumulativeNfe, stepSlot } from './plan';
import { guidedTable, langevinTable, type RunConstants } from './stepTable';

export function runNfe(spec: RunSpec, data: DataShape): number {
  const plan = planOf(spec);
  const c = spec.condition;
  if (!c || !guides(spec, data)) return cumulativeNfe(plan)[plan.length]!;
  if (spec.mode === 'langevin' && spec.langevin) {
    // Only each slot's guidance matters here; the sizes are placeholders.
    const constants: RunConstants = {
      eta: spec.eta,
      n: 1,
      m: 1,
      k: 1,
      seed: spec.seed,
      condition: c,
    };
    const table = langevinTable(spec.levels, constants, spec.langevin);
    return cumulativeNfe(plan, guidedTable(table, true).slots)[plan.length]!;
  }
  // stepTable's rule without its rows (the sweep asks for many runs): step i's slot evaluates at
  // its level t_i, its corrector's at t_(i+1); guided where w != 1 there.
  const { levels } = spec;
  const slots = new Uint8Array(2 * plan.length);
  for (let i = 0; i < plan.length; i++) {
    slots[stepSlot(i)] = guidanceAt(c, levels[i]!.t) !== 1 ? 1 : 0;
    slots[correctorSlot(i)] = guidanceAt(c, levels[i + 1]!.t) !== 1 ? 1 : 0;
  }
  return cumulativeNfe(plan, slots)[plan.length]!;
}

/**
 * The steps whose run spends the most denoiser evaluations not above `nfe`, counted as the run
 * counts them (runNfe: Heun's two per step but the last, and two for each guided evaluation, w !=
 * 1 inside the guidance interval); among steps of equal NFE the most. Where even one step costs
 * more (nfe 1 with guidance at t = 1: one guided step is 2), one step: the closest there is. The
 * NFE is not quite monotone in the steps (an interval holds a varying number of levels), so every
 * count is tried, from the most steps down, until the NFE asked is met or no fewer steps can
 * reach the best found (a step costs at most 4: Heun's two evaluations, each guided).
 */
export function stepsForNfe(base: Readonly<Settings>, nfe: number, data: DataShape): number {
  const target = Math.max(1, Math.round(nfe));
  let best = { steps: 1, nfe: -1 };
  for (let steps = target; steps >= 1 && 4 * steps >= best.nfe; steps--) {
    const spent = runNfe(runSpec({ ...base, mode: 'reverse', steps }), data);
    if (spent <= target && spent > best.nfe) best = { steps, nfe: spent };
    if (best.nfe === target) break;
  }
  return best.steps;
}
