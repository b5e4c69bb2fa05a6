/**
 * What the landscape's arrows are of (src/sandbox/fieldSource.ts): the score by default, the
 * velocity with arrowField 'velocity' and the run's schedule rates at the level's t, the score
 * again in Langevin mode (no flow in t), and a new run's schedule taking effect. The GPU buffers
 * are stand-ins: only their identity is read here.
 */
import { describe, expect, test } from 'vitest';
import { levelRateAt } from '../../src/maths/scheduleRates';
import { levelAt } from '../../src/maths/schedules';
import { FieldSource } from '../../src/sandbox/fieldSource';
import { runSpec } from '../../src/settings/runSpec';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import type { Simulation } from '../../src/sim/run/simulation';

const buffer = {} as GPUBuffer;
const sim = {
  data: buffer,
  mixture: buffer,
  gaussian: buffer,
  labels: buffer,
  dataPoints: 100,
  components: 0,
} as unknown as Simulation;

function source(s: Settings): FieldSource {
  const f = new FieldSource();
  f.setRun(runSpec(s));
  return f;
}

describe('field source: score or velocity arrows', () => {
  test('the score by default', () => {
    const s = { ...DEFAULTS };
    expect(source(s).at(s, levelAt(s.schedule, s, 0.5), sim).arrows).toBe('score');
  });

  test.each(['cosine', 'rectified', 'karras'] as const)(
    'velocity on %s: the schedule rates at the level, in one object filled in place',
    (schedule) => {
      const s: Settings = { ...DEFAULTS, schedule, arrowField: 'velocity' };
      const f = source(s);
      const first = f.at(s, levelAt(schedule, s, 0.3), sim);
      const p = f.at(s, levelAt(schedule, s, 0.7), sim);
      expect(p).toBe(first);
      const rate = levelRateAt(schedule, s, 0.7);
      expect([p.arrows, p.alphaDot, p.halfVarianceDot]).toEqual([
        'velocity',
        rate.alphaDot,
        rate.halfVarianceDot,
      ]);
    },
  );

  test('Langevin mode: the score, whatever arrowField says', () => {
    const s: Settings = { ...DEFAULTS, mode: 'langevin', arrowField: 'velocity' };
    expect(source(s).at(s, levelAt(s.schedule, s, s.noiseLevel), sim).arrows).toBe('score');
  });

  test("a new run's schedule gives its own rates", () => {
    const a: Settings = { ...DEFAULTS, schedule: 'cosine', arrowField: 'velocity' };
    const f = source(a);
    f.at(a, levelAt('cosine', a, 0.5), sim);
    const b: Settings = { ...a, schedule: 'rectified' };
    f.setRun(runSpec(b));
    const p = f.at(b, levelAt('rectified', b, 0.5), sim);
    expect([p.alphaDot, p.halfVarianceDot]).toEqual([-1, 0.5]);
  });
});
