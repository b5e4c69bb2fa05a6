/**
 * The learned networks' prediction targets (src/maths/learn/network.ts): eps, x0, v and flow
 * matching's velocity u = eps - x0. For each, on random levels of every schedule and random
 * (x0, eps):
 * - x0 comes back from the target at x = alpha x0 + sigma eps (x0FromOutput inverts targetOf);
 * - the Min-SNR weight times the target's sensitivity to x0 squared is min(snr, 5) on every
 *   variance-preserving level, so the weighting means the same thing whatever is predicted;
 * - on the rectified schedule the velocity is dx_t/dt of the path x_t = (1 - t) x0 + t eps.
 *
 * Error model (float64, u = 2^-53): each value is a few correctly rounded operations on numbers of
 * size at most |x0| + |eps| + 1 over (alpha + sigma) or alpha^2 + sigma^2, both at least 1/sqrt(2)
 * on these levels (x0 at alpha near 0 excepted for eps, which divides by alpha and is left out
 * there), so 64 u relative to that size is an order above the roundings and far below a formula
 * error, which is O(1).
 */
import { describe, expect, test } from 'vitest';
import { lossWeight, targetOf, TARGETS, x0FromOutput } from '../../src/maths/learn/network';
import { Rng } from '../../src/maths/rng';
import {
  DEFAULT_SCHEDULE_PARAMS,
  isVariancePreserving,
  levelAt,
  SCHEDULES,
} from '../../src/maths/schedules';
import { SEED, seeded } from '../random';

const U = 2 ** -53;
const rng = new Rng(SEED, 0x7a67);
const normal = (): number =>
  Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
const SCHEDULED = SCHEDULES.filter((id) => id !== 'custom');

describe(seeded('prediction targets'), () => {
  test('x0 comes back from every target, on every schedule', () => {
    for (const id of SCHEDULED) {
      for (let k = 0; k < 200; k++) {
        const { alpha, sigma } = levelAt(id, DEFAULT_SCHEDULE_PARAMS, rng.uniform());
        const [x0, eps] = [normal(), normal()];
        const x = alpha * x0 + sigma * eps;
        for (const t of TARGETS) {
          // eps carries no x0 where alpha vanishes: it floors alpha, so skip those levels.
          if (t === 'eps' && alpha < 1e-2) continue;
          const back = x0FromOutput(t, x, targetOf(t, x0, eps, alpha, sigma), alpha, sigma);
          const scale = (Math.abs(x0) + Math.abs(eps) + 1) / (t === 'eps' ? alpha : 0.5);
          expect(Math.abs(back - x0), `${t} on ${id} at alpha ${alpha}`).toBeLessThanOrEqual(
            64 * U * scale,
          );
        }
      }
    }
  });

  test('the Min-SNR weight is min(snr, 5) on the x0 error, whatever the target', () => {
    for (const id of SCHEDULED.filter((s) => isVariancePreserving(s))) {
      for (let k = 0; k < 200; k++) {
        const { alpha, sigma } = levelAt(
          id,
          DEFAULT_SCHEDULE_PARAMS,
          0.001 + 0.998 * rng.uniform(),
        );
        const snr = (alpha / sigma) ** 2;
        const want = Math.min(snr, 5);
        for (const t of TARGETS) {
          // The target's change per unit of x0 at fixed x = alpha x0 + sigma eps: move x0 by h
          // and eps by -alpha h / sigma (the target is linear, so any h gives it exactly).
          const [x0, eps, h] = [normal(), normal(), 0.5];
          const moved = targetOf(t, x0 + h, eps - (alpha * h) / sigma, alpha, sigma);
          const slope = (moved - targetOf(t, x0, eps, alpha, sigma)) / h;
          const got = lossWeight('min-snr', t, alpha, sigma) * slope * slope;
          // The slope's cancellation costs (|target| + |moved|) u / h, squared into the weight.
          const size = (Math.abs(x0) + Math.abs(eps) + 1) * (1 + alpha / sigma) ** 2;
          expect(Math.abs(got - want), `${t} on ${id} at snr ${snr}`).toBeLessThanOrEqual(
            256 * U * size * Math.max(1, want),
          );
        }
      }
    }
  });

  test('on the rectified schedule the velocity is the path derivative dx_t/dt', () => {
    for (let k = 0; k < 200; k++) {
      const t = 0.01 + 0.98 * rng.uniform();
      const [x0, eps] = [normal(), normal()];
      const { alpha, sigma } = levelAt('rectified', DEFAULT_SCHEDULE_PARAMS, t);
      // d/dt ((1 - t) x0 + t eps) = eps - x0, exactly; alpha, sigma are the path's.
      expect(alpha).toBe(1 - t);
      expect(sigma).toBe(t);
      const u = targetOf('velocity', x0, eps, alpha, sigma);
      expect(Math.abs(u - (eps - x0))).toBeLessThanOrEqual(4 * U * (Math.abs(x0) + Math.abs(eps)));
    }
  });
});
