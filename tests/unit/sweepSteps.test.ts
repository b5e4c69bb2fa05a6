/**
 * The quality-vs-NFE sweep's step choice (src/sim/run/nfe.ts stepsForNfe, src/sim/experiments/sweep.ts): the steps
 * whose run's NFE, counting guidance as the run counts it, is the largest not above the NFE
 * asked, the most steps among equals, one step where even one costs more. Checked against every
 * step count up to the NFE asked, each count's NFE as the Simulation counts it (cumulativeNfe of
 * src/sim/run/plan.ts with the guided slots of the step table, stepTable.ts guidedTable, as
 * tests/unit/guidedNfe.test.ts), which runNfe (the sweep's count, from the levels) must equal.
 */
import { describe, expect, test } from 'vitest';
import { isGuided } from '../../src/maths/guidance';
import { runSpec } from '../../src/settings/runSpec';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import { planOf } from '../../src/sim/run/cursor';
import { runNfe, stepsForNfe } from '../../src/sim/run/nfe';
import { cumulativeNfe } from '../../src/sim/run/plan';
import { guidedTable, stepTable, type RunConstants } from '../../src/sim/run/stepTable';

const POINTS = { dim: 2, mixture: true };
const CONSTANTS: RunConstants = { eta: 0, n: 16, m: 8, k: 8, seed: 1 };

/** The run's NFE as the Simulation counts it: the step table's guided slots, the cursor's count. */
function nfeOf(s: Settings): number {
  const spec = runSpec(s);
  const c = spec.condition;
  const table = stepTable(spec.levels, { ...CONSTANTS, ...(c ? { condition: c } : {}) });
  const guided = guidedTable(table, isGuided(c, spec.levels));
  return cumulativeNfe(planOf(spec), guided.slots)[spec.levels.length - 1]!;
}

const settings = (patch: Partial<Settings>): Settings => ({
  ...DEFAULTS,
  dataset: 'gaussians8',
  mode: 'reverse',
  ...patch,
});

describe('the sweep picks the steps by the NFE it will measure', () => {
  const cases: Partial<Settings>[] = [
    { sampler: 'ddim' },
    { sampler: 'heun', schedule: 'karras' },
    { sampler: 'ddim', class: 0, guidance: 3 },
    { sampler: 'ddim', class: 0, guidance: 3, guidanceInterval: '0.3,0.7' },
    { sampler: 'heun', schedule: 'karras', class: 2, guidance: 2, guidanceInterval: '0,0.5' },
    { sampler: 'euler', schedule: 'cosine', class: 1, guidance: 0, guidanceInterval: '0.6,1' },
    { sampler: 'dpmpp2m', class: 1, guidance: 1 },
  ];
  for (const patch of cases)
    test(JSON.stringify(patch), () => {
      const base = settings(patch);
      for (const asked of [1, 2, 3, 4, 7, 10, 25, 40]) {
        const steps = stepsForNfe(base, asked, POINTS);
        const spent = nfeOf({ ...base, steps });
        // runNfe (the sweep's count, from the levels) is the Simulation's count.
        expect(runNfe(runSpec({ ...base, steps }), POINTS)).toBe(spent);
        const all = Array.from({ length: asked }, (_, k) => nfeOf({ ...base, steps: k + 1 }));
        const fit = all.filter((n) => n <= asked);
        if (fit.length === 0) {
          expect(steps, `asked ${asked}: nothing fits, so one step`).toBe(1);
          continue;
        }
        const best = Math.max(...fit);
        expect(spent, `asked ${asked}`).toBe(best);
        expect(steps, `asked ${asked}: the most steps of NFE ${best}`).toBe(
          all.lastIndexOf(best) + 1,
        );
      }
    });

  test('unguided DDIM spends the NFE asked; guided over the whole run, half the steps', () => {
    expect(stepsForNfe(settings({ sampler: 'ddim' }), 20, POINTS)).toBe(20);
    const guided = settings({ sampler: 'ddim', class: 0, guidance: 3 });
    expect(stepsForNfe(guided, 20, POINTS)).toBe(10);
    expect(stepsForNfe(guided, 21, POINTS)).toBe(10);
    // One guided step costs 2: asked 1, the closest is one step.
    expect(stepsForNfe(guided, 1, POINTS)).toBe(1);
  });
});
