/**
 * NFE of guided runs (src/sim/run/plan.ts cumulativeNfe, stepTable.ts guidedTable): a guided run
 * evaluates its denoiser twice (conditional and unconditional) at each evaluation whose level lies
 * in the guidance interval (w != 1 there), once outside it, where w = 1 is the conditional
 * denoiser alone. Counted here from the levels themselves, apart from the slots.
 */
import { describe, expect, test } from 'vitest';
import { guidanceAt, type Condition } from '../../src/maths/guidance';
import { RunCursor } from '../../src/sim/run/cursor';
import { guidedTable, stepTable, type RunConstants } from '../../src/sim/run/stepTable';
import { planOf } from '../../src/sim/run/cursor';
import { runSpec } from '../../src/settings/runSpec';
import { DEFAULTS, type Settings } from '../../src/settings/settings';

const CONSTANTS: RunConstants = { eta: 0, n: 16, m: 8, k: 8, seed: 1 };

/** The run's NFE as the cursor reports it at its end, guided as the simulation guides it. */
function runNfe(patch: Partial<Settings>): { nfe: number; levels: readonly { t: number }[] } {
  const spec = runSpec({ ...DEFAULTS, dataset: 'gaussians8', ...patch });
  const c = spec.condition;
  const table = stepTable(spec.levels, { ...CONSTANTS, ...(c ? { condition: c } : {}) });
  const guided = guidedTable(table, !!c && spec.levels.some((l) => guidanceAt(c, l.t) !== 1));
  const cursor = new RunCursor();
  cursor.start(spec, planOf(spec), guided.slots);
  cursor.step = cursor.steps;
  return { nfe: cursor.status().nfe, levels: spec.levels };
}

const inside = (c: Condition, t: number): number => (guidanceAt(c, t) !== 1 ? 1 : 0);

describe('NFE of guided runs', () => {
  test('one evaluation per step unguided, with class -1 and with w = 1', () => {
    for (const patch of [{}, { guidance: 3 }, { class: 2, guidance: 1 }])
      expect(runNfe({ steps: 12, sampler: 'ddim', ...patch }).nfe).toBe(12);
  });

  test('ddim: two evaluations at each level in the interval, one outside', () => {
    const c: Condition = { label: 2, guidance: 3, interval: [0.3, 0.7] };
    for (const steps of [1, 7, 40]) {
      const { nfe, levels } = runNfe({ steps, class: 2, guidance: 3, guidanceInterval: '0.3,0.7' });
      let expected = 0;
      for (let i = 0; i < steps; i++) expected += 1 + inside(c, levels[i]!.t);
      expect(nfe).toBe(expected);
      if (steps >= 7) expect(nfe).toBeGreaterThan(steps);
      expect(nfe).toBeLessThan(2 * steps + (steps === 1 ? 1 : 0));
    }
  });

  test('the whole interval doubles every evaluation, Heun corrections included', () => {
    const steps = 9;
    const plain = runNfe({ steps, sampler: 'heun' }).nfe;
    expect(runNfe({ steps, sampler: 'heun', class: 0, guidance: 0 }).nfe).toBe(2 * plain);
    expect(runNfe({ steps, sampler: 'ddim', class: 0, guidance: 5 }).nfe).toBe(2 * steps);
  });
});
