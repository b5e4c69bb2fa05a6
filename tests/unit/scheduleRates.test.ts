/**
 * The schedules' time derivatives (src/maths/scheduleRates.ts) against float64 central finite
 * differences of the schedules themselves (src/maths/schedules.ts levelAt), at random t (seed in
 * the names), for every schedule, with and without zero terminal SNR; and rectified's exact
 * alpha' = -1, sigma' = 1.
 */
import { describe, expect, test } from 'vitest';
import { levelRateAt, levelRates } from '../../src/maths/scheduleRates';
import {
  DEFAULT_SCHEDULE_PARAMS,
  SCHEDULES,
  isVariancePreserving,
  levelAt,
  type ScheduleId,
  type ScheduleParams,
} from '../../src/maths/schedules';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';

const rng = new Rng(SEED, 91);
const H = 1e-6;
/**
 * Central differences: truncation h^2 |f'''| / 6 and rounding 2^-52 |f| / h (~1e-10 here); the
 * tolerance, 1e-6 (1 + |f'|), covers |f'''| up to ~1e6 (karras's sigma at rho = 7 stays far
 * below that on t in [0.05, 0.95]).
 */
const MODEL = 'central difference, h = 1e-6: 1e-6 (1 + |rate|)';

const custom: ScheduleParams = { ...DEFAULT_SCHEDULE_PARAMS, customCurve: '0:7,0.3:2,0.8:-1,1:-6' };
const cases: [string, ScheduleId, ScheduleParams][] = SCHEDULES.flatMap((id) => {
  const p = id === 'custom' ? custom : DEFAULT_SCHEDULE_PARAMS;
  const plain: [string, ScheduleId, ScheduleParams] = [id, id, p];
  return isVariancePreserving(id) ? [plain, [`${id} ztsnr`, id, { ...p, ztsnr: true }]] : [plain];
});

/** Whether [t - h, t + h] crosses a kink: a custom curve's point or the log-SNR floor. */
function nearKink(id: ScheduleId, p: ScheduleParams, t: number): boolean {
  if (id === 'custom' && [0.3, 0.8].some((k) => Math.abs(t - k) < 2 * H)) return true;
  const floored = (u: number): boolean => levelAt(id, p, u).alpha === levelAt(id, p, 1).alpha;
  return !p.ztsnr && id !== 'custom' && floored(t - H) !== floored(t + H);
}

describe(`schedule rates (SEED=${SEED})`, () => {
  for (const [name, id, p] of cases) {
    test(`${name}: alpha', sigma' and sigma sigma' match finite differences`, () => {
      const rate = levelRates(id, p);
      const out = { alphaDot: 0, sigmaDot: 0, halfVarianceDot: 0 };
      let checked = 0;
      for (let k = 0; k < 40; k++) {
        const t = 0.02 + 0.96 * rng.uniform();
        if (nearKink(id, p, t)) continue;
        const [a, b] = [levelAt(id, p, t - H), levelAt(id, p, t + H)];
        const fd = {
          alphaDot: (b.alpha - a.alpha) / (2 * H),
          sigmaDot: (b.sigma - a.sigma) / (2 * H),
          halfVarianceDot: (b.sigma ** 2 - a.sigma ** 2) / (4 * H),
        };
        rate(t, out);
        for (const key of ['alphaDot', 'sigmaDot', 'halfVarianceDot'] as const) {
          const error = Math.abs(out[key] - fd[key]);
          within(error, 1e-6 * (1 + Math.abs(fd[key])), `${name} ${key} at t = ${t}: ${MODEL}`);
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(30);
    });
  }

  test('rectified: alpha = 1 - t, sigma = t, so alpha = -1, sigma = 1 and sigma sigma = t', () => {
    const t = rng.uniform();
    expect(levelRateAt('rectified', DEFAULT_SCHEDULE_PARAMS, t)).toEqual({
      alphaDot: -1,
      sigmaDot: 1,
      halfVarianceDot: t,
    });
  });

  test('VP at t = 0: sigma is infinite but sigma sigma = -alpha_bar / 2 stays finite', () => {
    const r = levelRateAt('linear', DEFAULT_SCHEDULE_PARAMS, 0);
    expect(r.sigmaDot).toBe(Infinity);
    // alpha_bar'(0) = -betaMin for the linear schedule.
    expect(r.halfVarianceDot).toBeCloseTo(DEFAULT_SCHEDULE_PARAMS.betaMin / 2, 12);
  });
});
