/**
 * What every randomised test shares: the run's seed, and tolerances that come from an error
 * model or a stated false-failure rate, never from the outputs of earlier runs.
 *
 * - One seed per run of the suite (vite.config.ts draws it, or takes SEED=...), handed to Node
 *   and browser tests alike through Vitest's provide/inject. `SEED=123 npm test` replays a run.
 * - `within(error, tolerance, model)` is the one assertion of a toleranced comparison: it
 *   prints the seed and the error model on failure, and records error / tolerance so that
 *   `npm run test:stress` can report the worst ratio seen over many seeds.
 * - `zFor(rate, checks)` turns a false-failure rate per run into a two-sided normal bound for
 *   each of `checks` independent checks (Bonferroni), for statistical tests.
 */
import { afterAll, expect, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The seed of this run of the suite. */
    seed: number;
    /** Set by `npm run test:stress`: print each file's worst error / tolerance ratios. */
    stress: boolean;
  }
}

/** The run's seed: every randomised test derives its draws from it (with its own stream). */
export const SEED: number = inject('seed');

/** Unit roundoff of float32 (half an ulp of 1): one rounding moves a value by at most this. */
export const EPS32 = 2 ** -24;

/** The false-failure rate each randomised test file allows itself per run. */
export const FALSE_FAILURE_RATE = 1e-4;

/** A name carrying the seed, so that a failing test says how to replay it. */
export function seeded(name: string): string {
  return `${name} (SEED=${SEED})`;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error 1e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269];
  const a4 = -30.66479806614716;
  const a5 = 2.506628274631;
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972];
  const b4 = -13.28068155288572;
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734];
  const c4 = 4.374664141464968;
  const c5 = 2.938163982698783;
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p <= 0 || p >= 1) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const z =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c4) * q + c5) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < low ? z : -z;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a4) * r + a5) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b4) * r + 1)
  );
}

/**
 * The two-sided bound z with P(|N(0,1)| > z) = rate / checks: `checks` independent normal checks
 * at this bound fail together with probability at most `rate` (union bound).
 */
export function zFor(checks: number, rate = FALSE_FAILURE_RATE): number {
  return -normalQuantile(rate / checks / 2);
}

interface Ratio {
  name: string;
  ratio: number;
}
const ratios: Ratio[] = [];

/**
 * Asserts error <= tolerance, where `model` says in one line where the tolerance comes from
 * (shown on failure with the seed). Records the ratio for the stress report.
 */
export function within(error: number, tolerance: number, model: string): void {
  const name = expect.getState().currentTestName ?? '(outside a test)';
  const ratio = error / tolerance;
  ratios.push({ name, ratio: Number.isNaN(ratio) ? Infinity : ratio });
  expect(
    error,
    `${model}: error ${error.toExponential(3)} > tolerance ${tolerance.toExponential(3)} (replay: SEED=${SEED})`,
  ).toBeLessThanOrEqual(tolerance);
}

afterAll(() => {
  if (!inject('stress') || ratios.length === 0) return;
  // One line per test: its worst ratio. test:stress collects these lines over its runs.
  const worst = new Map<string, number>();
  for (const { name, ratio } of ratios) worst.set(name, Math.max(worst.get(name) ?? 0, ratio));
  for (const [name, ratio] of worst) console.log(`RATIO\t${ratio.toFixed(4)}\t${name}`);
});
