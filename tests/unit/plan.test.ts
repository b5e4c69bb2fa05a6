/**
 * The run plan (src/sim/run/plan.ts): which kernels each step dispatches, with which step-table slot,
 * and the NFE counted from it (../shared/docs/maths.md section 3: Heun costs 2 per step but the
 * last, Karras et al. 2022, Algorithm 1, and but a first step from alpha = 0; every other sampler
 * 1 per step), with and without the deliberate score error.
 */
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_SCHEDULE_PARAMS,
  SCHEDULES,
  forwardLevels,
  levelAt,
  reverseLevels,
  type Level,
} from '../../src/maths/schedules';
import {
  correctorSlot,
  countNfe,
  cumulativeNfe,
  langevinInitSlot,
  langevinSlot,
  langevinSlotCount,
  perturbs,
  runPlan,
  scrubSlot,
  slotCount,
  stepSlot,
  type Pass,
} from '../../src/sim/run/plan';
import { SAMPLERS } from '../../src/settings/settings';

const P = DEFAULT_SCHEDULE_PARAMS;
const STEPS = [1, 2, 3, 10, 57];

const denoises = (passes: readonly Pass[]): number =>
  passes.filter((p) => p.kernel === 'denoise').length;

describe('slots', () => {
  test('step i owns slots 2i and 2i + 1; the scrub slot is the last of 2 steps + 1', () => {
    for (const i of [0, 1, 5, 99]) {
      expect(stepSlot(i)).toBe(2 * i);
      expect(correctorSlot(i)).toBe(2 * i + 1);
    }
    for (const steps of STEPS) {
      expect(slotCount(steps)).toBe(2 * steps + 1);
      expect(scrubSlot(steps)).toBe(2 * steps);
    }
  });
});

describe('reverse runs', () => {
  for (const schedule of SCHEDULES) {
    test.each(STEPS)(`${schedule}, %i steps: NFE per sampler`, (steps) => {
      const levels = reverseLevels(schedule, P, steps);
      // rectified starts at alpha = 0, where Heun takes one Euler step (1 NFE).
      const euler = levels[0]!.alpha === 0 && steps > 1 ? 1 : 0;
      for (const sampler of SAMPLERS) {
        const plan = runPlan('reverse', sampler, levels);
        expect(plan).toHaveLength(steps);
        const nfe = sampler === 'heun' ? 2 * steps - 1 - euler : steps;
        expect(countNfe(plan, steps)).toBe(nfe);
        // Counting past the end of the run counts the whole run.
        expect(countNfe(plan, steps + 5)).toBe(nfe);
        expect(countNfe(plan, 0)).toBe(0);
        // Part way: every step but the last (and the first from alpha = 0) costs 2 with Heun.
        for (let done = 0; done < steps; done++) {
          const heun = 2 * done - (done > 0 ? euler : 0);
          expect(countNfe(plan, done)).toBe(sampler === 'heun' ? heun : done);
        }
      }
    });
  }

  test.each(SAMPLERS.filter((s) => s !== 'heun'))(
    '%s: each step denoises at slot 2i, then runs the sampler kernel at the same slot',
    (sampler) => {
      const steps = 6;
      const plan = runPlan('reverse', sampler, reverseLevels('cosine', P, steps));
      plan.forEach((passes, i) => {
        expect(passes).toEqual([
          { kernel: 'denoise', slot: 2 * i },
          { kernel: sampler, slot: 2 * i },
        ]);
      });
    },
  );

  test('heun: predict at slot 2i, correct at slot 2i + 1, no correction on the step to 0', () => {
    const steps = 5;
    const plan = runPlan('reverse', 'heun', reverseLevels('karras', P, steps));
    plan.forEach((passes, i) => {
      const predict = [
        { kernel: 'denoise', slot: 2 * i },
        { kernel: 'heun_predict', slot: 2 * i },
      ];
      const correct = [
        { kernel: 'denoise', slot: 2 * i + 1 },
        { kernel: 'heun_correct', slot: 2 * i + 1 },
      ];
      expect(passes).toEqual(i === steps - 1 ? predict : [...predict, ...correct]);
    });
  });

  test('heun corrects every step of a run that does not end at sigma = 0', () => {
    // A run cut short of clean data: its last step has a noise level to correct at.
    const levels: Level[] = reverseLevels('ve', P, 8).slice(0, -1);
    const plan = runPlan('reverse', 'heun', levels);
    expect(plan).toHaveLength(levels.length - 1);
    expect(plan.every((passes) => denoises(passes) === 2)).toBe(true);
    expect(countNfe(plan, plan.length)).toBe(2 * plan.length);
  });

  test('every slot a plan uses lies before the scrub slot', () => {
    for (const sampler of SAMPLERS) {
      for (const steps of STEPS) {
        const plan = runPlan('reverse', sampler, reverseLevels('linear', P, steps));
        const slots = plan.flat().map((p) => p.slot);
        expect(Math.max(...slots)).toBeLessThan(scrubSlot(steps));
        expect(Math.min(...slots)).toBe(0);
      }
    }
  });
});

describe('forward runs', () => {
  test.each(SAMPLERS)('with sampler %s: one forward_step per step at slot 2i, no denoiser', (s) => {
    for (const steps of STEPS) {
      const plan = runPlan('forward', s, forwardLevels('cosine', P, steps));
      expect(plan).toHaveLength(steps);
      plan.forEach((passes, i) =>
        expect(passes).toEqual([{ kernel: 'forward_step', slot: 2 * i }]),
      );
      expect(countNfe(plan, steps)).toBe(0);
    }
  });
});

/** A zero-terminal-SNR run (Lin et al. 2024): cosine levels whose first has alpha = 0 exactly. */
function ztsnrLevels(steps: number): Level[] {
  const levels = reverseLevels('cosine', P, steps);
  levels[0] = { t: 1, alpha: 0, sigma: 1 };
  return levels;
}

describe('zero terminal SNR: a first level with alpha = 0', () => {
  test.each(STEPS)(
    '%i steps: NFE per sampler, Heun without a correction from alpha = 0',
    (steps) => {
      const levels = ztsnrLevels(steps);
      for (const sampler of SAMPLERS) {
        const plan = runPlan('reverse', sampler, levels);
        // Heun: the first step is Euler (1), the last has no correction (1), the rest cost 2.
        const nfe = sampler === 'heun' ? Math.max(2 * steps - 2, 1) : steps;
        expect(countNfe(plan, steps)).toBe(nfe);
        if (sampler === 'heun' && steps > 1) {
          expect(countNfe(plan, 1)).toBe(1);
          for (let done = 1; done < steps; done++) expect(countNfe(plan, done)).toBe(2 * done - 1);
        }
      }
    },
  );

  test('the first step: heun takes an Euler step, em a DDPM step, the others their own', () => {
    const steps = 5;
    const levels = ztsnrLevels(steps);
    const first: Record<string, string> = { heun: 'euler', em: 'ddpm' };
    for (const sampler of SAMPLERS) {
      const plan = runPlan('reverse', sampler, levels);
      expect(plan[0]).toEqual([
        { kernel: 'denoise', slot: 0 },
        { kernel: first[sampler] ?? sampler, slot: 0 },
      ]);
      // Every later step is the sampler's usual one.
      const usual = runPlan('reverse', sampler, reverseLevels('cosine', P, steps));
      expect(plan.slice(1)).toEqual(usual.slice(1));
    }
  });
});

describe('the deliberate score error', () => {
  const none = { scale: 0, bias: 0, noise: 0 };

  test('perturbs only when some magnitude is non-zero', () => {
    expect(perturbs(undefined)).toBe(false);
    expect(perturbs(none)).toBe(false);
    expect(perturbs({ ...none, scale: -0.1 })).toBe(true);
    expect(perturbs({ ...none, bias: 0.1 })).toBe(true);
    expect(perturbs({ ...none, noise: 0.1 })).toBe(true);
  });

  test('all magnitudes 0: the same plan as without an error', () => {
    for (const sampler of SAMPLERS) {
      const levels = reverseLevels('karras', P, 7);
      expect(runPlan('reverse', sampler, levels, none)).toEqual(
        runPlan('reverse', sampler, levels),
      );
    }
  });

  test.each([
    ['cosine', reverseLevels('cosine', P, 9)],
    ['zero terminal SNR', ztsnrLevels(9)],
  ] as const)(
    '%s: a perturb pass right after each denoise, at its slot; NFE unchanged',
    (_, levels) => {
      for (const sampler of SAMPLERS) {
        for (const error of [
          { ...none, noise: 0.05 },
          { scale: 0.1, bias: 0.2, noise: 0 },
        ]) {
          const plain = runPlan('reverse', sampler, levels);
          const plan = runPlan('reverse', sampler, levels, error);
          expect(countNfe(plan, plan.length)).toBe(countNfe(plain, plain.length));
          plan.forEach((passes, i) => {
            // Without the perturb passes it is the plain plan.
            expect(passes.filter((p) => p.kernel !== 'perturb')).toEqual(plain[i]);
            passes.forEach((p, j) => {
              if (p.kernel === 'denoise')
                expect(passes[j + 1]).toEqual({ kernel: 'perturb', slot: p.slot });
              if (p.kernel === 'perturb')
                expect(passes[j - 1]).toEqual({ kernel: 'denoise', slot: p.slot });
            });
            expect(passes.filter((p) => p.kernel === 'perturb')).toHaveLength(denoises(passes));
          });
        }
      }
    },
  );

  test('forward runs never perturb', () => {
    const plan = runPlan('forward', 'ddim', forwardLevels('cosine', P, 5), {
      scale: 1,
      bias: 1,
      noise: 1,
    });
    expect(plan.flat().every((p) => p.kernel === 'forward_step')).toBe(true);
  });
});

test('a single level has no steps', () => {
  expect(runPlan('reverse', 'ddim', [{ t: 0, alpha: 1, sigma: 0 }])).toEqual([]);
});

describe('Langevin runs', () => {
  const level = levelAt('cosine', P, 0.05);
  const fixed = (steps: number): Level[] => Array.from({ length: steps + 1 }, () => level);
  const plain = (kind: 'ula' | 'mala' | 'underdamped' | 'annealed' | 'pc', j = 1) => ({
    kind,
    correctorSteps: j,
  });

  test('slots: four per step, then the init slot', () => {
    for (const steps of STEPS) {
      expect(langevinSlotCount(steps)).toBe(4 * steps + 1);
      expect(langevinInitSlot(steps)).toBe(4 * steps);
      for (const part of [0, 1, 2, 3] as const)
        expect(langevinSlot(steps - 1, part)).toBe(4 * (steps - 1) + part);
    }
  });

  test.each(STEPS)('ula, %i steps: evaluate then move, one NFE per step', (steps) => {
    const plan = runPlan('langevin', 'ddim', fixed(steps), undefined, plain('ula'));
    expect(plan).toHaveLength(steps);
    plan.forEach((passes, i) =>
      expect(passes).toEqual([
        { kernel: 'denoise', slot: 4 * i },
        { kernel: 'ula', slot: 4 * i },
      ]),
    );
    expect(Array.from(cumulativeNfe(plan))).toEqual(Array.from({ length: steps + 1 }, (_, k) => k));
  });

  test.each(STEPS)(
    'mala, %i steps: 2 NFE on the first step, then 1 (a rejection restores U)',
    (steps) => {
      const plan = runPlan('langevin', 'ddim', fixed(steps), undefined, plain('mala'));
      const move = (i: number): Pass[] => [
        { kernel: 'mala_propose', slot: 4 * i },
        { kernel: 'denoise', slot: 4 * i },
        { kernel: 'mala_accept', slot: 4 * i },
      ];
      plan.forEach((passes, i) =>
        expect(passes).toEqual(i === 0 ? [{ kernel: 'denoise', slot: 0 }, ...move(0)] : move(i)),
      );
      expect(countNfe(plan, steps)).toBe(steps + 1);
    },
  );

  test.each(STEPS)(
    'underdamped, %i steps: BAOA, evaluate, B; one NFE per step but the first',
    (steps) => {
      const plan = runPlan('langevin', 'ddim', fixed(steps), undefined, plain('underdamped'));
      const move = (i: number): Pass[] => [
        { kernel: 'baoab_baoa', slot: 4 * i },
        { kernel: 'denoise', slot: 4 * i },
        { kernel: 'baoab_b', slot: 4 * i },
      ];
      plan.forEach((passes, i) =>
        expect(passes).toEqual(i === 0 ? [{ kernel: 'denoise', slot: 0 }, ...move(0)] : move(i)),
      );
      expect(countNfe(plan, steps)).toBe(steps + 1);
    },
  );

  test.each([1, 2, 5])('annealed, %i corrector steps: that many moves per level', (j) => {
    const steps = 7;
    const plan = runPlan(
      'langevin',
      'ddim',
      reverseLevels('ve', P, steps),
      undefined,
      plain('annealed', j),
    );
    expect(plan).toHaveLength(steps);
    plan.forEach((passes, i) => {
      const want: Pass[] = [];
      for (let k = 0; k < j; k++) {
        const slot = 4 * i + (k === j - 1 ? 3 : 2);
        want.push({ kernel: 'denoise', slot }, { kernel: 'ula', slot });
      }
      expect(passes).toEqual(want);
    });
    expect(countNfe(plan, steps)).toBe(steps * j);
  });

  test.each(SAMPLERS)(
    'pc with predictor %s: its reverse passes, then moves but at sigma = 0',
    (sampler) => {
      for (const j of [1, 3]) {
        for (const steps of STEPS) {
          const levels = reverseLevels('karras', P, steps);
          const reverse = runPlan('reverse', sampler, levels);
          const plan = runPlan('langevin', sampler, levels, undefined, plain('pc', j));
          expect(plan).toHaveLength(steps);
          plan.forEach((passes, i) => {
            const predictor = reverse[i]!.map((p) => ({
              kernel: p.kernel,
              slot: 2 * p.slot - (p.slot % 2),
            }));
            expect(passes.slice(0, predictor.length)).toEqual(predictor);
            const moves = passes.slice(predictor.length);
            expect(moves.filter((p) => p.kernel === 'ula')).toHaveLength(i === steps - 1 ? 0 : j);
            moves.forEach((p) => expect([4 * i + 2, 4 * i + 3]).toContain(p.slot));
          });
          // NFE: the predictor's, plus j per level with sigma > 0 after it.
          expect(countNfe(plan, steps)).toBe(countNfe(reverse, steps) + j * (steps - 1));
        }
      }
    },
  );

  test('a score error perturbs every Langevin evaluation', () => {
    const error = { scale: 0.1, bias: 0, noise: 0 };
    for (const kind of ['ula', 'mala', 'underdamped', 'annealed', 'pc'] as const) {
      const plan = runPlan('langevin', 'heun', reverseLevels('ve', P, 5), error, plain(kind, 2));
      for (const passes of plan)
        passes.forEach((p, k) => {
          if (p.kernel === 'denoise')
            expect(passes[k + 1]).toEqual({ kernel: 'perturb', slot: p.slot });
        });
    }
  });

  test('every Langevin slot lies before the init slot; a Langevin plan needs its sampler', () => {
    for (const kind of ['ula', 'mala', 'underdamped', 'annealed', 'pc'] as const) {
      const plan = runPlan(
        'langevin',
        'heun',
        reverseLevels('karras', P, 9),
        undefined,
        plain(kind, 3),
      );
      expect(Math.max(...plan.flat().map((p) => p.slot))).toBeLessThan(langevinInitSlot(9));
    }
    expect(() => runPlan('langevin', 'ddim', fixed(3))).toThrow();
  });
});
