/**
 * Noise schedules (src/maths/schedules.ts) against closed forms written out again here from the
 * papers (../shared/docs/maths.md section 1), and the properties every step grid must have.
 */
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_SCHEDULE_PARAMS,
  LAMBDA_MIN,
  SCHEDULES,
  T_MIN,
  forwardLevels,
  isVariancePreserving,
  levelAt,
  reverseLevels,
  scheduleProblem,
  type Level,
  type ScheduleId,
  type ScheduleParams,
} from '../../src/maths/schedules';

const D = DEFAULT_SCHEDULE_PARAMS;
/** Non-default parameters too, so a formula that ignores a parameter is caught. */
const OTHER: ScheduleParams = {
  betaMin: 0.5,
  betaMax: 12,
  cosineS: 0.02,
  sigmoidStart: -2,
  sigmoidEnd: 4,
  sigmoidTau: 0.7,
  sigmaMin: 0.01,
  sigmaMax: 40,
  rho: 3,
};
const PARAMS = [D, OTHER];
const TS = [0, 0.001, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];
const VP: ScheduleId[] = ['linear', 'cosine', 'sigmoid'];

// ---- Closed forms, from the papers ----

/** Song et al. 2021 (continuous DDPM): alpha_bar(t) = exp(-t^2 (b1 - b0) / 2 - t b0). */
const linearAlphaBar = (p: ScheduleParams, t: number): number =>
  Math.exp(-0.5 * t * t * (p.betaMax - p.betaMin) - t * p.betaMin);

/** Nichol & Dhariwal 2021: f(t) / f(0), f(t) = cos^2((t + s) / (1 + s) * pi / 2). */
function cosineAlphaBar(p: ScheduleParams, t: number): number {
  const f = (u: number): number =>
    Math.cos(((u + p.cosineS) / (1 + p.cosineS)) * (Math.PI / 2)) ** 2;
  return f(t) / f(0);
}

/** Chen 2023, Algorithm 1 (sigmoid_schedule), before its clipping. */
function sigmoidAlphaBar(p: ScheduleParams, t: number): number {
  const v = (z: number): number => 1 / (1 + Math.exp(-z / p.sigmoidTau));
  const start = p.sigmoidStart;
  const end = p.sigmoidEnd;
  return (v(end) - v(t * (end - start) + start)) / (v(end) - v(start));
}

const ALPHA_BAR: Record<string, (p: ScheduleParams, t: number) => number> = {
  linear: linearAlphaBar,
  cosine: cosineAlphaBar,
  sigmoid: sigmoidAlphaBar,
};

/** Karras et al. 2022, eq. 5: sigma_i for i = 0..N-1, from sigmaMax down to sigmaMin. */
function karrasSigma(p: ScheduleParams, i: number, n: number): number {
  const a = p.sigmaMax ** (1 / p.rho);
  const b = p.sigmaMin ** (1 / p.rho);
  return (a + (i / (n - 1)) * (b - a)) ** p.rho;
}

/** Song & Ermon 2019: geometric sigma_i = sigmaMax (sigmaMin / sigmaMax)^(i / (N - 1)). */
const veSigma = (p: ScheduleParams, i: number, n: number): number =>
  p.sigmaMax * (p.sigmaMin / p.sigmaMax) ** (i / (n - 1));

/** The lowest alpha_bar a VP level may have: lambda = log(alpha / sigma) >= LAMBDA_MIN. */
const alphaBarFloor = 1 / (1 + Math.exp(-2 * LAMBDA_MIN));

/** The expected VP level at t: the closed form, floored at LAMBDA_MIN. */
function vpExpected(
  id: ScheduleId,
  p: ScheduleParams,
  t: number,
): { alpha: number; sigma: number } {
  const ab = Math.max(ALPHA_BAR[id]!(p, t), alphaBarFloor);
  return { alpha: Math.sqrt(ab), sigma: Math.sqrt(1 - ab) };
}

const lambda = (l: Level): number => Math.log(l.alpha / l.sigma);

/** |a - b| <= tol * max(|b|, tiny): relative where values are large, absolute near 0. */
function expectClose(actual: number, expected: number, tol = 1e-12): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(Math.abs(expected), 1e-3));
}

describe('levelAt against the closed forms', () => {
  for (const id of VP) {
    test.each(PARAMS.map((p, k) => ({ p, k })))(`${id}, parameter set $k`, ({ p }) => {
      for (const t of TS) {
        const level = levelAt(id, p, t);
        const want = vpExpected(id, p, t);
        expect(level.t).toBe(t);
        expectClose(level.alpha, want.alpha);
        expectClose(level.sigma, want.sigma, 1e-9);
      }
    });
  }

  test('linear keeps sigma precise near t = 0, where 1 - alpha_bar cancels', () => {
    for (const t of [1e-9, 1e-6, T_MIN]) {
      const exact = Math.sqrt(-Math.expm1(-0.5 * t * t * (D.betaMax - D.betaMin) - t * D.betaMin));
      expect(Math.abs(levelAt('linear', D, t).sigma / exact - 1)).toBeLessThan(1e-12);
    }
  });

  test('at t = 0 every VP schedule is clean data: alpha 1, sigma 0', () => {
    for (const id of VP) {
      for (const p of PARAMS) {
        expect(levelAt(id, p, 0).alpha).toBeCloseTo(1, 14);
        expect(levelAt(id, p, 0).sigma).toBeCloseTo(0, 7);
      }
    }
  });

  test('karras: alpha = 1, and t = 1 - i/(N-1) gives the i-th sigma of eq. 5', () => {
    for (const p of PARAMS) {
      const n = 11;
      for (let i = 0; i < n; i++) {
        const level = levelAt('karras', p, 1 - i / (n - 1));
        expect(level.alpha).toBe(1);
        expectClose(level.sigma, karrasSigma(p, i, n));
      }
      expectClose(levelAt('karras', p, 1).sigma, p.sigmaMax);
      expectClose(levelAt('karras', p, 0).sigma, p.sigmaMin);
    }
  });

  test('ve: alpha = 1, sigma geometric from sigmaMin at t = 0 to sigmaMax at t = 1', () => {
    for (const p of PARAMS) {
      for (const t of TS) {
        const level = levelAt('ve', p, t);
        expect(level.alpha).toBe(1);
        expectClose(level.sigma, p.sigmaMin * (p.sigmaMax / p.sigmaMin) ** t);
      }
      // Equal ratios between equally spaced t.
      const r1 = levelAt('ve', p, 0.3).sigma / levelAt('ve', p, 0.1).sigma;
      const r2 = levelAt('ve', p, 0.9).sigma / levelAt('ve', p, 0.7).sigma;
      expectClose(r1, r2);
    }
  });
});

describe('properties of every schedule', () => {
  const grid = Array.from({ length: 1001 }, (_, i) => i / 1000);

  test.each(SCHEDULES)('%s: alpha^2 + sigma^2 = 1 (VP) or alpha = 1 (VE)', (id) => {
    for (const p of PARAMS) {
      for (const t of grid) {
        const { alpha, sigma } = levelAt(id, p, t);
        if (isVariancePreserving(id))
          expect(Math.abs(alpha ** 2 + sigma ** 2 - 1)).toBeLessThan(1e-14);
        else expect(alpha).toBe(1);
      }
    }
  });

  test('the VP / VE split is the one of the papers', () => {
    expect(SCHEDULES.filter(isVariancePreserving)).toEqual(VP);
  });

  test.each(SCHEDULES)('%s: alpha non-increasing, sigma non-decreasing in t, all finite', (id) => {
    for (const p of PARAMS) {
      let prev = levelAt(id, p, 0);
      for (const t of grid.slice(1)) {
        const level = levelAt(id, p, t);
        expect(Number.isFinite(level.alpha) && Number.isFinite(level.sigma)).toBe(true);
        expect(level.alpha).toBeLessThanOrEqual(prev.alpha);
        expect(level.sigma).toBeGreaterThanOrEqual(prev.sigma);
        prev = level;
      }
      // And not constant: the schedule does move from data to noise.
      expect(levelAt(id, p, 1).sigma / levelAt(id, p, 1).alpha).toBeGreaterThan(
        10 * (levelAt(id, p, 0).sigma / levelAt(id, p, 0).alpha),
      );
    }
  });

  test.each(VP)('%s: half log-SNR never below LAMBDA_MIN', (id) => {
    for (const p of PARAMS) {
      for (const t of grid.slice(1))
        expect(lambda(levelAt(id, p, t))).toBeGreaterThanOrEqual(LAMBDA_MIN - 1e-9);
    }
  });

  test('the floor is reached where the closed form goes below it (cosine and sigmoid at t = 1)', () => {
    for (const id of ['cosine', 'sigmoid'] as const) {
      expect(Math.log(ALPHA_BAR[id]!(D, 1))).toBeLessThan(2 * LAMBDA_MIN);
      expect(lambda(levelAt(id, D, 1))).toBeCloseTo(LAMBDA_MIN, 9);
    }
    // The linear schedule ends above it: lambda(1) is about log(alpha_bar(1)) / 2 = -5.03.
    expect(lambda(levelAt('linear', D, 1))).toBeGreaterThan(LAMBDA_MIN);
  });
});

describe('reverseLevels and forwardLevels', () => {
  const STEPS = [1, 2, 3, 10, 100, 1000];

  for (const id of SCHEDULES) {
    test.each(STEPS)(`${id}, %i steps: steps + 1 levels, noisiest first, clean last`, (steps) => {
      for (const p of PARAMS) {
        const levels = reverseLevels(id, p, steps);
        expect(levels).toHaveLength(steps + 1);
        expect(levels[steps]).toEqual({ t: 0, alpha: 1, sigma: 0 });
        const first = levels[0]!;
        expect(first.t).toBe(1);
        expect(first).toEqual(levelAt(id, p, 1));
        // Noise to signal sigma / alpha never grows along a reverse run.
        for (let i = 1; i <= steps; i++) {
          const a = levels[i - 1]!;
          const b = levels[i]!;
          expect(b.t).toBeLessThanOrEqual(a.t);
          expect(b.sigma / b.alpha).toBeLessThanOrEqual(a.sigma / a.alpha);
        }
        expect(forwardLevels(id, p, steps)).toEqual([...levels].reverse());
      }
    });
  }

  test.each(STEPS.filter((s) => s > 1))(
    'karras, %i steps: sigmas of Karras et al. eq. 5, then 0',
    (steps) => {
      for (const p of PARAMS) {
        const levels = reverseLevels('karras', p, steps);
        for (let i = 0; i < steps; i++) {
          expect(levels[i]!.alpha).toBe(1);
          expectClose(levels[i]!.sigma, karrasSigma(p, i, steps));
        }
        expectClose(levels[0]!.sigma, p.sigmaMax);
        expectClose(levels[steps - 1]!.sigma, p.sigmaMin);
      }
    },
  );

  test.each(STEPS.filter((s) => s > 1))('ve, %i steps: geometric sigmas, then 0', (steps) => {
    for (const p of PARAMS) {
      const levels = reverseLevels('ve', p, steps);
      for (let i = 0; i < steps; i++) expectClose(levels[i]!.sigma, veSigma(p, i, steps));
    }
  });

  // VP runs step uniformly in t from 1 down to T_MIN (Song et al. 2021 stop at 1e-3), then to
  // sigma = 0: t_i = 1 - (1 - T_MIN) i / (steps - 1) for i < steps.
  test('T_MIN is a small positive time', () => {
    expect(T_MIN).toBeGreaterThan(0);
    expect(T_MIN).toBeLessThanOrEqual(1e-2);
  });

  for (const id of VP) {
    test.each(STEPS.filter((s) => s > 1))(
      `${id}, %i steps: uniform in t from 1 to T_MIN`,
      (steps) => {
        for (const p of PARAMS) {
          const levels = reverseLevels(id, p, steps);
          for (let i = 0; i < steps; i++) {
            const t = 1 - ((1 - T_MIN) * i) / (steps - 1);
            const level = levels[i]!;
            expect(Math.abs(level.t - t)).toBeLessThan(1e-14);
            const want = vpExpected(id, p, t);
            expectClose(level.alpha, want.alpha);
            expectClose(level.sigma, want.sigma, 1e-9);
          }
          // The last noise level is close to data: the final step has little left to remove.
          expect(levels[steps - 1]!.sigma).toBeLessThan(0.05);
        }
      },
    );
  }

  test('one step goes from the noisiest level straight to clean data', () => {
    for (const id of SCHEDULES) {
      const levels = reverseLevels(id, D, 1);
      expect(levels.map((l) => l.t)).toEqual([1, 0]);
      expect(levels[1]!.sigma).toBe(0);
    }
  });
});

describe('scheduleProblem', () => {
  test('the defaults and the other parameter set are fine for every schedule', () => {
    for (const id of SCHEDULES) for (const p of PARAMS) expect(scheduleProblem(id, p)).toBeNull();
  });

  const cases: [ScheduleId, Partial<ScheduleParams>, string][] = [
    ['karras', { sigmaMin: 10, sigmaMax: 10 }, 'sigmaMin'],
    ['karras', { sigmaMin: 20, sigmaMax: 10 }, 'sigmaMin'],
    ['ve', { sigmaMin: 20, sigmaMax: 10 }, 'sigmaMin'],
    ['ve', { sigmaMin: 0 }, 'sigmaMin'],
    ['karras', { sigmaMin: -1 }, 'sigmaMin'],
    ['karras', { rho: 0 }, 'rho'],
    ['karras', { sigmaMax: NaN }, 'sigmaMin'],
    ['linear', { betaMin: -0.1 }, 'betaMin'],
    ['linear', { betaMin: 5, betaMax: 5 }, 'betaMax'],
    ['linear', { betaMax: NaN }, 'betaMax'],
    ['cosine', { cosineS: -0.01 }, 'cosineS'],
    ['cosine', { cosineS: 1.5 }, 'cosineS'],
    ['cosine', { cosineS: NaN }, 'cosineS'],
    ['sigmoid', { sigmoidTau: 0 }, 'sigmoidTau'],
    ['sigmoid', { sigmoidStart: 3, sigmoidEnd: 3 }, 'sigmoidEnd'],
    ['sigmoid', { sigmoidStart: 4, sigmoidEnd: -4 }, 'sigmoidEnd'],
  ];
  test.each(cases)('%s with %o: names %s', (id, patch, key) => {
    const problem = scheduleProblem(id, { ...D, ...patch });
    expect(problem).toContain(key);
  });

  test("a schedule ignores the other schedules' parameters", () => {
    const bad: ScheduleParams = {
      ...D,
      sigmaMin: 20,
      sigmaMax: 10,
      betaMin: -1,
      cosineS: 7,
      sigmoidTau: 0,
    };
    expect(scheduleProblem('linear', { ...bad, betaMin: 0.1 })).toBeNull();
    expect(scheduleProblem('cosine', { ...bad, cosineS: 0.008 })).toBeNull();
    expect(scheduleProblem('sigmoid', { ...bad, sigmoidTau: 1 })).toBeNull();
    expect(scheduleProblem('karras', { ...bad, sigmaMin: 0.002 })).toBeNull();
  });
});
