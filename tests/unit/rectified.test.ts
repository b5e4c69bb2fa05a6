/**
 * The rectified schedule (src/maths/schedules.ts) and flow matching's velocity and Euler step
 * (src/maths/flow.ts) against float64 closed forms written out again here (Liu et al. 2022;
 * Lipman et al. 2022, conditional OT path with sigma_min = 0): alpha = 1 - t, sigma = t,
 * lambda = log((1 - t) / t), levels uniform in t from 1 to 0. Random inputs come from SEED.
 *
 * Error model (float64, u = 2^-53): each value is a handful of correctly rounded operations, so
 * it is within a small multiple of u of the closed form relative to the magnitudes it is formed
 * from; the tolerances below are 16 u times those magnitudes, an order above the count of
 * roundings, and far below any formula error (which would be O(1) relative).
 */
import { describe, expect, test } from 'vitest';
import { flowEuler, velocityFromX0 } from '../../src/maths/flow';
import { conditioning, targetOf, x0FromOutput } from '../../src/maths/learn/network';
import { trainingLevels } from '../../src/maths/learn/training';
import { Rng } from '../../src/maths/rng';
import {
  DEFAULT_SCHEDULE_PARAMS,
  GRIDS,
  forwardLevels,
  levelAt,
  logSnr,
  reverseLevels,
  scheduleProblem,
  type ScheduleParams,
} from '../../src/maths/schedules';
import { cpuState, ddim, euler, type StepParams } from '../../src/maths/steps';
import { runPlan } from '../../src/sim/run/plan';
import { stepParams, type RunConstants } from '../../src/sim/run/stepTable';
import { SEED, seeded } from '../random';

const U = 2 ** -53;
const D = DEFAULT_SCHEDULE_PARAMS;
const rng = new Rng(SEED, 0x5ec7);
const uniform = (a: number, b: number): number => a + (b - a) * rng.uniform();
/** Random t in (0, 1), some of them near the ends where alpha or sigma is small. */
const randomTs = (k: number): number[] =>
  Array.from({ length: k }, (_, i) =>
    i % 3 === 0 ? 10 ** uniform(-8, -1) : i % 3 === 1 ? 1 - 10 ** uniform(-8, -1) : rng.uniform(),
  );

function expectNear(actual: number, expected: number, scale: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(16 * U * scale);
}

describe(seeded('the rectified schedule: alpha = 1 - t, sigma = t'), () => {
  test('levelAt at random t: alpha, sigma and the half log-SNR log((1 - t) / t)', () => {
    for (const t of [...randomTs(300), 0.5]) {
      const level = levelAt('rectified', D, t);
      expect(level.t).toBe(t);
      expectNear(level.alpha, 1 - t, 1);
      expectNear(level.sigma, t, t);
      // log((1 - t) / t) as log1p(-t) - log(t): no cancellation near either end.
      const lambda = Math.log1p(-t) - Math.log(t);
      expectNear(logSnr(level), lambda, 1 + Math.abs(lambda));
    }
    expect(logSnr(levelAt('rectified', D, 0.5))).toBe(0);
  });

  test('the ends: clean data at t = 0, pure noise (alpha = 0, zero terminal SNR) at t = 1', () => {
    expect(levelAt('rectified', D, 0)).toEqual({ t: 0, alpha: 1, sigma: 0 });
    expect(levelAt('rectified', D, 1)).toEqual({ t: 1, alpha: 0, sigma: 1 });
    expect(logSnr(levelAt('rectified', D, 1))).toBe(-Infinity);
  });

  test('no parameters: every other knob, the grid and ztsnr leave it alone; never a problem', () => {
    const other: ScheduleParams = { ...D, betaMin: -1, sigmaMin: 20, sigmaMax: 10, cosineS: 7 };
    for (const grid of GRIDS) {
      for (const ztsnr of [false, true]) {
        const p = { ...other, grid, ztsnr };
        expect(scheduleProblem('rectified', p)).toBeNull();
        expect(reverseLevels('rectified', p, 7)).toEqual(reverseLevels('rectified', D, 7));
        expect(levelAt('rectified', p, 0.3)).toEqual(levelAt('rectified', D, 0.3));
      }
    }
  });

  const steps = [1, 2, 3, 10, 100, 1000, 1 + Math.floor(uniform(0, 500))];
  test.each(steps)('%i steps: uniform in t, linspace(1, 0, steps + 1), on the path', (s) => {
    const levels = reverseLevels('rectified', D, s);
    expect(levels).toHaveLength(s + 1);
    expect(levels[0]).toEqual({ t: 1, alpha: 0, sigma: 1 });
    expect(levels[s]).toEqual({ t: 0, alpha: 1, sigma: 0 });
    for (let i = 0; i <= s; i++) {
      const l = levels[i]!;
      expectNear(l.t, (s - i) / s, 1);
      expectNear(l.alpha, i / s, 1);
      expectNear(l.sigma, (s - i) / s, 1);
      if (i > 0) expectNear(levels[i - 1]!.t - l.t, 1 / s, 1);
    }
    expect(forwardLevels('rectified', D, s)).toEqual([...levels].reverse());
  });

  test('training levels: t_k = (k + 1) / T on the path, alpha = 0 at the last; the net stays finite', () => {
    // Flow matching draws t uniformly on [0, 1] (Lipman et al. 2022): here uniform on the grid.
    const levels = trainingLevels('rectified', D);
    const T = levels.length / 2;
    for (let k = 0; k < T; k++) {
      const t = (k + 1) / T;
      expect(levels[2 * k]).toBe(Math.fround(1 - t));
      expect(levels[2 * k + 1]).toBe(Math.fround(t));
    }
    expect([levels[2 * T - 2], levels[2 * T - 1]]).toEqual([0, 1]);
    // At alpha = 0 the v target is -x0 and x0_hat comes back from it: nothing divides by alpha.
    const { cIn, tau } = conditioning(0, 1);
    expect([cIn, tau]).toEqual([1, 1]);
    const x0 = 0.7;
    const eps = -1.3;
    const v = targetOf('v', x0, eps, 0, 1);
    expect(v).toBe(-x0);
    expect(x0FromOutput('v', eps, v, 0, 1)).toBe(x0);
  });

  test('the run from alpha = 0 takes the steps that stay finite there (as with ztsnr)', () => {
    const levels = reverseLevels('rectified', D, 5);
    expect(runPlan('reverse', 'em', levels)[0]!.map((p) => p.kernel)).toEqual(['denoise', 'ddpm']);
    expect(runPlan('reverse', 'em', levels)[1]!.map((p) => p.kernel)).toEqual(['denoise', 'em']);
    expect(runPlan('reverse', 'heun', levels)[0]!.map((p) => p.kernel)).toEqual([
      'denoise',
      'euler',
    ]);
  });
});

const C: RunConstants = { eta: 0, n: 64, m: 1, k: 8, seed: 1 };

/** The step table's params of step i of a rectified run of `s` steps. */
function rectifiedStep(s: number, i: number): StepParams {
  const levels = reverseLevels('rectified', D, s);
  return stepParams(levels[i]!, levels[i + 1]!, levels[i]!, i, C);
}

describe(seeded('flow matching: velocity from x0_hat and the Euler step in t'), () => {
  test('velocityFromX0 = (x - x0_hat) / t at random x, x0_hat, t', () => {
    for (const t of randomTs(300)) {
      const x = uniform(-3, 3);
      const x0 = uniform(-2, 2);
      const v = velocityFromX0(x, x0, levelAt('rectified', D, t));
      const want = (x - x0) / t;
      // Rounding of 1 - t, alpha x0, x - alpha x0, the division and the subtraction.
      expectNear(v, want, (Math.abs(x) + Math.abs(x0)) / t + Math.abs(x0));
    }
  });

  test('on a point mass (x0_hat = x0) the velocity is eps - x0 and Euler steps stay on the line', () => {
    // With one data point the exact denoiser is x0 itself: x_t = (1 - t) x0 + t eps is a straight
    // line, so one Euler step of any size from t lands on it at s.
    for (const t of randomTs(100)) {
      const x0 = uniform(-2, 2);
      const eps = uniform(-3, 3);
      const xt = (1 - t) * x0 + t * eps;
      const v = velocityFromX0(xt, x0, levelAt('rectified', D, t));
      // x_t's own rounding (a few u (|x0| + |eps|)) reaches v divided by t.
      expectNear(v, eps - x0, ((Math.abs(x0) + Math.abs(eps)) * 4) / t);
      const s = t * rng.uniform();
      const st = cpuState(1);
      st.x.set([xt, xt]);
      st.x0hat.set([x0, x0]);
      flowEuler(st, { ...rectifiedStep(4, 0), n: 1, t, s, alpha_t: 1 - t, sigma_t: t });
      expectNear(st.x[0]!, (1 - s) * x0 + s * eps, (Math.abs(x0) + Math.abs(eps)) * 4);
    }
  });

  test.each([1, 4, 50])(
    '%i steps: flowEuler = euler = ddim eta 0 on every step, random states',
    (s) => {
      for (let i = 0; i < s; i++) {
        const p = rectifiedStep(s, i);
        const a = cpuState(C.n);
        for (let k = 0; k < a.x.length; k++) {
          a.x[k] = uniform(-3, 3);
          a.x0hat[k] = uniform(-2, 2);
        }
        const b = cpuState(C.n);
        const c = cpuState(C.n);
        b.x.set(a.x);
        b.x0hat.set(a.x0hat);
        c.x.set(a.x);
        c.x0hat.set(a.x0hat);
        const scale = Array.from(a.x, (x, k) => Math.abs(x) + Math.abs(a.x0hat[k]!));
        flowEuler(a, p);
        euler(b, p);
        ddim(c, p);
        for (let k = 0; k < a.x.length; k++) {
          // |s - t| / t <= 1 on this grid: the velocity's 1 / t is offset by the step's (s - t).
          expectNear(a.x[k]!, b.x[k]!, 2 * scale[k]!);
          expectNear(a.x[k]!, c.x[k]!, 2 * scale[k]!);
        }
      }
    },
  );
});
