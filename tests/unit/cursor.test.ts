/**
 * The run cursor (src/sim/run/cursor.ts): the one rule for the level a run's particles are at
 * (currentLevelIndex), which status().t, currentLevel() and the measured slot all follow, over
 * every mode and Langevin sampler and a random number of steps; and a scrub's level while the
 * particles sit there.
 */
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_SCHEDULE_PARAMS,
  forwardLevels,
  levelAt,
  reverseLevels,
} from '../../src/maths/schedules';
import { RunCursor } from '../../src/sim/run/cursor';
import { currentLevelIndex, type RunSpec } from '../../src/settings/runSpec';
import { langevinSlot, scrubSlot } from '../../src/sim/run/plan';
import type { LangevinId } from '../../src/settings/settings';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

const rng = new Rng(SEED, 93);
const base = { sampler: 'ddim', denoiser: 'exact', eta: 0, seed: 1 } as const;
const langevin = (kind: LangevinId) => ({
  kind,
  temperature: 1,
  stepSize: 0.01,
  gamma: 1,
  snr: 0.16,
  correctorSteps: 2,
});

describe(`the current level of a run (SEED=${SEED})`, () => {
  const steps = 2 + rng.int(30);
  const reverse = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps);
  const one = levelAt('cosine', DEFAULT_SCHEDULE_PARAMS, 0.3);
  const runs: [string, RunSpec, (k: number) => number][] = [
    ['reverse', { ...base, mode: 'reverse', levels: reverse }, (k) => k],
    [
      'forward',
      { ...base, mode: 'forward', levels: forwardLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps) },
      (k) => k,
    ],
    [
      'langevin annealed',
      { ...base, mode: 'langevin', levels: reverse, langevin: langevin('annealed') },
      (k) => Math.min(k, steps - 1),
    ],
    [
      'langevin pc',
      { ...base, mode: 'langevin', levels: reverse, langevin: langevin('pc') },
      (k) => k,
    ],
    ...(['ula', 'mala', 'underdamped'] as const).map(
      (kind): [string, RunSpec, (k: number) => number] => [
        `langevin ${kind}`,
        {
          ...base,
          mode: 'langevin',
          levels: Array.from({ length: steps + 1 }, () => ({ ...one })),
          langevin: langevin(kind),
        },
        (k) => k,
      ],
    ),
  ];
  for (const [name, spec, want] of runs)
    test(`${name}, ${steps} steps: status().t and currentLevel() follow currentLevelIndex at every step`, () => {
      const cursor = new RunCursor();
      expect(cursor.currentLevel()).toBeNull();
      expect(cursor.status().t).toBe(0);
      cursor.start(spec);
      expect(cursor.steps).toBe(steps);
      for (let k = 0; k <= steps; k++) {
        cursor.step = k;
        const i = currentLevelIndex(spec.mode, spec.langevin?.kind, k, steps);
        expect(i).toBe(want(k));
        expect(cursor.currentLevel()).toBe(spec.levels[i]);
        expect(cursor.status()).toMatchObject({ t: spec.levels[i]!.t, step: k, steps });
      }
      expect(cursor.done).toBe(true);
      if (spec.mode === 'langevin' && spec.langevin?.kind !== 'pc')
        expect(cursor.measuredSlot()).toBe(langevinSlot(steps - 1, 0));
    });

  test('a scrub: the scrubbed level, at the scrub slot, until the run moves on', () => {
    const spec = runs[1]![1];
    const cursor = new RunCursor();
    cursor.start(spec);
    const level = levelAt('cosine', DEFAULT_SCHEDULE_PARAMS, rng.uniform());
    cursor.scrubbed = level;
    cursor.step = 1;
    expect(cursor.currentLevel()).toBe(level);
    expect(cursor.status().t).toBe(level.t);
    expect(cursor.measuredSlot()).toBe(scrubSlot(steps));
    cursor.rewind();
    expect(cursor.currentLevel()).toBe(spec.levels[0]);
    cursor.clear();
    expect(cursor.currentLevel()).toBeNull();
    expect(cursor.done).toBe(true);
  });
});
