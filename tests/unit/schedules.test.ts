/**
 * Noise schedules (src/maths/schedules.ts) against closed forms written out again here from the
 * papers (../shared/docs/maths.md section 1), and the properties every step grid must have. The
 * step grids and the zero-terminal-SNR rescaling are checked against Lin et al. 2024 (Table 2 and
 * Algorithm 1), recomputed here in integer arithmetic and on discrete tables.
 */
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_SCHEDULE_PARAMS,
  GRIDS,
  LAMBDA_MIN,
  SCHEDULES,
  TRAIN_STEPS,
  T_MIN,
  forwardLevels,
  gridTimes,
  isVarianceExploding,
  isVariancePreserving,
  levelAt,
  logSnr,
  reverseLevels,
  scheduleProblem,
  type GridId,
  type Level,
  type ScheduleId,
  type ScheduleParams,
} from '../../src/maths/schedules';

const D = DEFAULT_SCHEDULE_PARAMS;
/**
 * Non-default parameters too, so a formula that ignores a parameter is caught. The grid and the
 * rescaling stay at their defaults here (the tests below that assume uniform steps from t = 1
 * use both sets); they have their own tests further down. The curve ends below LAMBDA_MIN, so
 * a floor wrongly applied to it is caught.
 */
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
  grid: 'linspace',
  ztsnr: false,
  customCurve: '0:9, 0.2:4,0.7:-1.5,1:-9',
};
const PARAMS = [D, OTHER];
const TS = [0, 0.001, 0.05, 0.1, 0.2, 0.25, 0.5, 0.7, 0.75, 0.9, 0.99, 1];
const VP: ScheduleId[] = ['linear', 'cosine', 'sigmoid', 'custom'];
/** The VP schedules with a closed form that reaches alpha = 0 or near it: floored at LAMBDA_MIN. */
const FLOORED: ScheduleId[] = ['linear', 'cosine', 'sigmoid'];
const T = TRAIN_STEPS;

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

/** The custom curve's lambda(t): the text split by hand, then a linear scan for t's segment. */
function customLambda(p: ScheduleParams, t: number): number {
  const pts = p.customCurve
    .split(',')
    .map((pair) => pair.split(':').map(Number) as [number, number]);
  for (let i = 1; i < pts.length; i++) {
    const [t0, l0] = pts[i - 1]!;
    const [t1, l1] = pts[i]!;
    if (t <= t1) return l0 + ((t - t0) / (t1 - t0)) * (l1 - l0);
  }
  throw new Error(`t = ${t} past the curve`);
}

/** lambda = log(alpha / sigma) with alpha^2 + sigma^2 = 1: alpha_bar = e^(2 lambda) / (1 + e^(2 lambda)). */
const customAlphaBar = (p: ScheduleParams, t: number): number => {
  const e = Math.exp(2 * customLambda(p, t));
  return e / (1 + e);
};

const ALPHA_BAR: Record<string, (p: ScheduleParams, t: number) => number> = {
  linear: linearAlphaBar,
  cosine: cosineAlphaBar,
  sigmoid: sigmoidAlphaBar,
  custom: customAlphaBar,
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

/** The expected VP level at t: the closed form, floored at LAMBDA_MIN (not the custom curve). */
function vpExpected(
  id: ScheduleId,
  p: ScheduleParams,
  t: number,
): { alpha: number; sigma: number } {
  if (id === 'custom') {
    // alpha / sigma = e^lambda, each computed without cancellation.
    const e = Math.exp(customLambda(p, t));
    const norm = Math.sqrt(1 + e * e);
    return { alpha: e / norm, sigma: 1 / norm };
  }
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

  test('at t = 0 every closed-form VP schedule is clean data: alpha 1, sigma 0', () => {
    for (const id of FLOORED) {
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

  test.each(SCHEDULES)(
    '%s: alpha^2 + sigma^2 = 1 (VP), alpha = 1 (VE) or alpha + sigma = 1',
    (id) => {
      for (const p of PARAMS) {
        for (const t of grid) {
          const { alpha, sigma } = levelAt(id, p, t);
          if (isVariancePreserving(id))
            expect(Math.abs(alpha ** 2 + sigma ** 2 - 1)).toBeLessThan(1e-14);
          // Rectified flow's straight path: (1 - t) + t is 1 up to the rounding of 1 - t.
          else if (id === 'rectified')
            expect(Math.abs(alpha + sigma - 1)).toBeLessThanOrEqual(2 ** -52);
          else expect(alpha).toBe(1);
        }
      }
    },
  );

  test('the VP / VE split is the one of the papers (the custom lambda(t) curve is VP)', () => {
    expect(SCHEDULES.filter(isVariancePreserving)).toEqual(VP);
    expect(SCHEDULES.filter(isVarianceExploding)).toEqual(['karras', 've']);
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

  test.each(FLOORED)('%s: half log-SNR never below LAMBDA_MIN', (id) => {
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

  test('the custom curve is not floored: it ends at its own lambda(1) = -9', () => {
    expect(lambda(levelAt('custom', OTHER, 1))).toBeCloseTo(-9, 12);
    expect(lambda(levelAt('custom', OTHER, 0.95))).toBeLessThan(LAMBDA_MIN);
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
  test('T_MIN is the first training timestep: the last noisy level, finer than 1 / steps, not clean', () => {
    expect(T_MIN).toBe(1 / TRAIN_STEPS);
    for (const id of VP) {
      for (const p of PARAMS) {
        const q: ScheduleParams = { ...p, grid: 'linspace' };
        for (const steps of [10, 100]) {
          const levels = reverseLevels(id, q, steps);
          const last = levels[steps - 1]!;
          // t = 1 / T up to the rounding of 1 + (T_MIN - 1) (a few u).
          expect(Math.abs(last.t * TRAIN_STEPS - 1)).toBeLessThan(1e-12);
          // Noisy, but less so than a uniform grid to t = 0 would leave (its level at 1 / steps).
          expect(last.sigma).toBeGreaterThan(0);
          expect(last.sigma).toBeLessThan(levelAt(id, q, 1 / steps).sigma);
          expect(levels[steps]!).toEqual({ t: 0, alpha: 1, sigma: 0 });
        }
      }
    }
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
    ['custom', { customCurve: '' }, 'customCurve'],
    ['custom', { customCurve: '0:6,1:x' }, 'customCurve'],
    ['custom', { customCurve: '0:6,0.5:7,1:-6' }, 'customCurve'],
    ['custom', { customCurve: '0.1:6,1:-6' }, 'customCurve'],
    ['custom', { customCurve: '0:6,1:-30' }, 'customCurve'],
    ['linear', { grid: 'middle' as GridId }, 'grid'],
    ['custom', { grid: 'middle' as GridId }, 'grid'],
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
      customCurve: '1:2:3',
    };
    expect(scheduleProblem('linear', { ...bad, betaMin: 0.1 })).toBeNull();
    expect(scheduleProblem('cosine', { ...bad, cosineS: 0.008 })).toBeNull();
    expect(scheduleProblem('sigmoid', { ...bad, sigmoidTau: 1 })).toBeNull();
    expect(scheduleProblem('karras', { ...bad, sigmaMin: 0.002 })).toBeNull();
    expect(scheduleProblem('custom', { ...bad, customCurve: '0:1,1:-1' })).toBeNull();
    // The grid is a VP parameter only.
    expect(scheduleProblem('ve', { ...D, grid: 'middle' as GridId })).toBeNull();
  });

  test('a bad custom curve is reported in words, and levelAt refuses it', () => {
    const p = { ...D, customCurve: '0:6,0.5:0,0.5:-1,1:-6' };
    expect(scheduleProblem('custom', p)).toMatch(/^customCurve: t must increase: point 3/);
    expect(() => levelAt('custom', p, 0.5)).toThrow(/customCurve: t must increase/);
    expect(() => reverseLevels('custom', { ...D, customCurve: '0;6' }, 10)).toThrow(/"t:lambda"/);
  });
});

// ---- Step grids: Lin et al. 2024, Table 2, T = 1000 training timesteps k at t = (k + 1) / T ----

/** Integer division and remainder, for rounding the exact rational T (S - i) / S. */
function divmod(n: number, d: number): [number, number] {
  const r = n % d;
  return [(n - r) / d, r];
}

/** n / d rounded half to even (numpy's np.round, used in the paper's code), n, d >= 0 integers. */
function roundRationalHalfEven(n: number, d: number): number {
  const [q, r] = divmod(n, d);
  if (2 * r > d) return q + 1;
  if (2 * r === d) return q % 2 === 0 ? q : q + 1;
  return q;
}

/** Discrete timesteps of each grid, noisiest first, as in Lin et al. 2024, Table 2 (no offset). */
const DISCRETE: Record<GridId, (s: number) => number[]> = {
  // np.linspace(0, T - 1, S).round()[::-1]
  linspace: (s) =>
    Array.from({ length: s }, (_, i) => roundRationalHalfEven((T - 1) * (s - 1 - i), s - 1)),
  // (np.arange(0, S) * (T // S))[::-1]
  leading: (s) => Array.from({ length: s }, (_, i) => (s - 1 - i) * divmod(T, s)[0]),
  // np.round(np.arange(T, 0, -T / S)) - 1
  trailing: (s) => Array.from({ length: s }, (_, i) => roundRationalHalfEven(T * (s - i), s) - 1),
};
const toT = (k: number): number => (k + 1) / T;

describe('step grids (Lin et al. 2024, Table 2)', () => {
  const SMALL = [1, 2, 3, 4, 7, 10, 16, 28, 48, 50, 100, 111, 250, 333, 500, 640, 999];

  test("the paper's example, T = 1000 and S = 10, in 1-based timesteps k + 1 = t T", () => {
    const oneBased = (g: GridId): number[] => gridTimes(g, 10).map((t) => Math.round(t * T));
    expect(oneBased('linspace').reverse()).toEqual([
      1, 112, 223, 334, 445, 556, 667, 778, 889, 1000,
    ]);
    expect(oneBased('leading').reverse()).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
    expect(oneBased('trailing').reverse()).toEqual([
      100, 200, 300, 400, 500, 600, 700, 800, 900, 1000,
    ]);
  });

  test.each(SMALL)(
    'leading, %i steps: exactly the discrete timesteps (S - 1 - i) floor(T / S)',
    (s) => {
      expect(gridTimes('leading', s)).toEqual(DISCRETE.leading(s).map(toT));
    },
  );

  test.each(SMALL)('trailing, %i steps: exactly round(T (S - i) / S) - 1', (s) => {
    expect(gridTimes('trailing', s)).toEqual(DISCRETE.trailing(s).map(toT));
  });

  test('trailing rounds exact halves to even, as np.round does (S = 16: 812.5 -> 812)', () => {
    // T (S - i) / S = 812.5 at S = 16, i = 3 and 62.5 at S = 48, i = 45.
    expect(gridTimes('trailing', 16)[3]).toBe(toT(811));
    expect(gridTimes('trailing', 48)[45]).toBe(toT(61));
  });

  test.each(SMALL)('linspace, %i steps: linspace(0, T - 1, S) reversed, unrounded', (s) => {
    const times = gridTimes('linspace', s);
    // np.linspace(0, T - 1, 1) is [0]: one linspace step would be the first timestep. Here it
    // is t = 1, the noisiest level, like the other grids' single steps (tested below).
    if (s === 1) return;
    const rounded = DISCRETE.linspace(s).map(toT);
    for (let i = 0; i < s; i++) {
      const exact = toT(((T - 1) * (s - 1 - i)) / (s - 1));
      expect(Math.abs(times[i]! - exact)).toBeLessThan(1e-14);
      // Within half a timestep of the paper's rounded grid...
      expect(Math.abs(times[i]! - rounded[i]!)).toBeLessThanOrEqual(0.5 / T + 1e-15);
      // ... and on it where (T - 1) / (S - 1) is a whole number of timesteps.
      if ((T - 1) % (s - 1) === 0) expect(Math.abs(times[i]! - rounded[i]!)).toBeLessThan(1e-14);
    }
  });

  test.each(SMALL.filter((s) => s > 1))(
    '%i steps: leading never reaches t = 1, linspace and trailing start there',
    (s) => {
      const leading = gridTimes('leading', s);
      expect(leading[0]).toBe(((s - 1) * Math.floor(T / s) + 1) / T);
      expect(leading[0]).toBeLessThan(1);
      // It misses the top floor(T / S) + (T mod S) - 1 timesteps, at least one.
      const missed = Math.floor(T / s) + (T % s) - 1;
      expect(missed).toBeGreaterThanOrEqual(1);
      expect(Math.abs(1 - leading[0]! - missed / T)).toBeLessThan(1e-15);
      expect(leading[s - 1]).toBe(T_MIN);
      expect(gridTimes('linspace', s)[0]).toBe(1);
      expect(gridTimes('linspace', s)[s - 1]).toBeCloseTo(T_MIN, 15);
      const trailing = gridTimes('trailing', s);
      expect(trailing[0]).toBe(1);
      expect(trailing[s - 1]).toBe(roundRationalHalfEven(T, s) / T);
    },
  );

  test('one step: linspace and trailing at t = 1, leading at the first timestep (its flaw)', () => {
    expect(gridTimes('linspace', 1)).toEqual([1]);
    expect(gridTimes('trailing', 1)).toEqual([1]);
    expect(gridTimes('leading', 1)).toEqual([T_MIN]);
  });

  test('S = T: every timestep once, the same for the three grids', () => {
    const every = Array.from({ length: T }, (_, i) => (T - i) / T);
    for (const g of GRIDS) {
      const times = gridTimes(g, T);
      for (let i = 0; i < T; i++) expect(Math.abs(times[i]! - every[i]!)).toBeLessThan(1e-15);
      // The discrete formulas agree at S = T, so the grids are continuous in S there.
      expect(DISCRETE[g](T).map(toT)).toEqual(every);
    }
  });

  test.each([1001, 1500, 4096, 10_000])(
    '%i steps (more than T): the three grids coincide, uniform from t = 1 to T_MIN',
    (s) => {
      const linspace = gridTimes('linspace', s);
      expect(gridTimes('leading', s)).toEqual(linspace);
      expect(gridTimes('trailing', s)).toEqual(linspace);
      for (let i = 0; i < s; i++)
        expect(Math.abs(linspace[i]! - (1 - ((1 - 1 / T) * i) / (s - 1)))).toBeLessThan(1e-14);
    },
  );

  const ALL_STEPS = [...Array.from({ length: 1001 }, (_, i) => i + 1), 1001, 2000, 3333, 10_000];
  test.each(GRIDS)('%s: for 1 to 1000 steps and beyond, in (0, 1] and strictly decreasing', (g) => {
    for (const s of ALL_STEPS) {
      const times = gridTimes(g, s);
      expect(times).toHaveLength(s);
      let ok = times[0]! <= 1 && times[s - 1]! >= T_MIN - 1e-15;
      for (let i = 1; i < s; i++) ok &&= times[i]! < times[i - 1]!;
      if (!ok) expect.fail(`${g}, ${s} steps: ${times.join(', ')}`);
    }
  });

  for (const id of VP) {
    test.each(GRIDS)(`${id}, %s: reverseLevels visits the grid's times, then clean data`, (g) => {
      for (const p of PARAMS) {
        for (const s of [1, 7, 10, 100]) {
          const q = { ...p, grid: g };
          const levels = reverseLevels(id, q, s);
          expect(levels).toHaveLength(s + 1);
          expect(levels.slice(0, s).map((l) => l.t)).toEqual(gridTimes(g, s));
          for (const l of levels.slice(0, s)) expect(l).toEqual(levelAt(id, q, l.t));
          expect(levels[s]).toEqual({ t: 0, alpha: 1, sigma: 0 });
          expect(forwardLevels(id, q, s)).toEqual([...levels].reverse());
        }
      }
    });
  }

  test('leading starts a run below the noisiest level: its first level has more signal', () => {
    for (const id of VP) {
      const leading = reverseLevels(id, { ...D, grid: 'leading' }, 10)[0]!;
      const trailing = reverseLevels(id, { ...D, grid: 'trailing' }, 10)[0]!;
      expect(leading.t).toBeCloseTo(0.901, 12);
      expect(logSnr(leading)).toBeGreaterThan(logSnr(trailing) + 0.1);
    }
  });

  test('karras and ve place their own sigmas: the grid does not move them', () => {
    for (const id of ['karras', 've'] as const) {
      for (const g of GRIDS) {
        expect(reverseLevels(id, { ...OTHER, grid: g }, 10)).toEqual(reverseLevels(id, OTHER, 10));
      }
    }
  });
});

// ---- Zero terminal SNR: Lin et al. 2024, Algorithm 1 ----

/** Algorithm 1 on a table of sqrt(alpha_bar), as the paper writes it (a0 kept, aT made 0). */
function enforceZeroTerminalSnr(alphasBarSqrt: number[]): number[] {
  const a0 = alphasBarSqrt[0]!;
  const aT = alphasBarSqrt[alphasBarSqrt.length - 1]!;
  return alphasBarSqrt.map((a) => (a - aT) * (a0 / (a0 - aT)));
}

/** The unfloored alpha of the closed form (or of the custom curve). */
const rawAlpha = (id: ScheduleId, p: ScheduleParams, t: number): number =>
  Math.sqrt(ALPHA_BAR[id]!(p, t));

describe('zero terminal SNR (Lin et al. 2024, Algorithm 1)', () => {
  const Z = PARAMS.map((p) => ({ ...p, ztsnr: true }));
  const fine = Array.from({ length: 1001 }, (_, i) => i / 1000);

  test.each(VP)('%s: alpha = 0 exactly at t = 1 and alpha(0) kept', (id) => {
    for (const p of Z) {
      const end = levelAt(id, p, 1);
      expect(end.alpha).toBe(0);
      expect(end.sigma).toBe(1);
      expect(logSnr(end)).toBe(-Infinity);
      expectClose(levelAt(id, p, 0).alpha, rawAlpha(id, p, 0));
    }
  });

  test.each(VP)('%s: Algorithm 1 applied to the table of alpha at t = k / T, k = 0..T', (id) => {
    for (const p of Z) {
      const ts = Array.from({ length: T + 1 }, (_, k) => k / T);
      const want = enforceZeroTerminalSnr(ts.map((t) => rawAlpha(id, p, t)));
      for (const [k, t] of ts.entries()) {
        const level = levelAt(id, p, t);
        expect(Math.abs(level.alpha - want[k]!)).toBeLessThan(1e-13);
        expect(Math.abs(level.sigma ** 2 - (1 - want[k]! ** 2))).toBeLessThan(1e-14);
      }
    }
  });

  test.each(VP)('%s: still VP, alpha decreasing and sigma increasing, all finite', (id) => {
    for (const p of Z) {
      let prev = levelAt(id, p, 0);
      for (const t of fine.slice(1)) {
        const l = levelAt(id, p, t);
        expect(Number.isFinite(l.alpha) && Number.isFinite(l.sigma)).toBe(true);
        expect(Math.abs(l.alpha ** 2 + l.sigma ** 2 - 1)).toBeLessThan(1e-14);
        expect(l.alpha).toBeLessThan(prev.alpha);
        expect(l.sigma).toBeGreaterThan(prev.sigma);
        prev = l;
      }
    }
  });

  test('the rescaled schedule is not floored at LAMBDA_MIN, and is only lowered', () => {
    for (const id of VP) {
      expect(logSnr(levelAt(id, Z[0]!, 1 - 1e-6))).toBeLessThan(LAMBDA_MIN - 1);
      for (const t of TS) {
        expect(levelAt(id, Z[0]!, t).alpha).toBeLessThanOrEqual(levelAt(id, D, t).alpha + 1e-15);
      }
    }
  });

  test('sigma stays precise near t = 0 (linear: 1 - alpha from expm1)', () => {
    const aT = rawAlpha('linear', D, 1);
    for (const t of [1e-9, 1e-6, T_MIN]) {
      // alpha(t) = exp(e / 2); with alpha(0) = 1, 1 - alpha' = (1 - alpha) / (1 - aT).
      const e = -0.5 * t * t * (D.betaMax - D.betaMin) - t * D.betaMin;
      const gap = -Math.expm1(e / 2) / (1 - aT);
      const exact = Math.sqrt(gap * (2 - gap));
      expect(Math.abs(levelAt('linear', Z[0]!, t).sigma / exact - 1)).toBeLessThan(1e-12);
    }
  });

  test('with trailing steps a run starts from pure noise; with leading it never does', () => {
    for (const id of VP) {
      const trailing = reverseLevels(id, { ...D, ztsnr: true, grid: 'trailing' }, 10);
      expect(trailing[0]).toEqual({ t: 1, alpha: 0, sigma: 1 });
      const leading = reverseLevels(id, { ...D, ztsnr: true, grid: 'leading' }, 10);
      expect(leading[0]!.alpha).toBeGreaterThan(1e-3);
      expect(leading[10]).toEqual({ t: 0, alpha: 1, sigma: 0 });
    }
  });

  test('off, nothing changes; karras and ve ignore it', () => {
    for (const id of SCHEDULES) {
      for (const t of TS) {
        const on = levelAt(id, { ...OTHER, ztsnr: true }, t);
        if (isVariancePreserving(id)) continue;
        expect(on).toEqual(levelAt(id, OTHER, t));
      }
    }
    // The linear schedule's terminal alpha without it: exp(-(b0 + b1) / 4) = e^(-5.025).
    expect(levelAt('linear', D, 1).alpha).toBeCloseTo(Math.exp(-(0.1 + 20) / 4), 14);
  });
});

describe('the custom schedule: a piecewise-linear half log-SNR', () => {
  test('lambda(t) is linear between the points of the default curve "0:6,0.5:0,1:-6"', () => {
    expect(D.customCurve).toBe('0:6,0.5:0,1:-6');
    for (const [t, want] of [
      [0, 6],
      [0.125, 4.5],
      [0.25, 3],
      [0.5, 0],
      [0.6, -1.2],
      [0.75, -3],
      [1, -6],
    ] as const) {
      expect(logSnr(levelAt('custom', D, t))).toBeCloseTo(want, 12);
    }
  });

  test('lambda = 0 is alpha = sigma = 1 / sqrt 2', () => {
    const mid = levelAt('custom', D, 0.5);
    expect(mid.alpha).toBeCloseTo(Math.SQRT1_2, 15);
    expect(mid.sigma).toBeCloseTo(Math.SQRT1_2, 15);
  });

  test('each segment is a straight line in lambda: equal steps in t, equal steps in lambda', () => {
    const p = OTHER; // knots at 0, 0.2, 0.7, 1
    for (const [a, b] of [
      [0, 0.2],
      [0.2, 0.7],
      [0.7, 1],
    ] as const) {
      const l = (u: number): number => logSnr(levelAt('custom', p, a + u * (b - a)));
      const step = l(0.25) - l(0);
      for (const u of [0.5, 0.75, 1]) expect(l(u) - l(u - 0.25)).toBeCloseTo(step, 10);
    }
  });
});
