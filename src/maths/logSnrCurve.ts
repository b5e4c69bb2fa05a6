/**
 * A piecewise-linear half log-SNR curve lambda(t) = log(alpha_t / sigma_t), the 'custom' schedule
 * (see ./schedules.ts). Written as text, "t:lambda" pairs joined by commas ("0:6,0.5:0,1:-6"), so
 * that it lives in the settings object, the URL hash and presets like any other string.
 */

export interface CurvePoint {
  t: number;
  lambda: number;
}

/** |lambda| beyond this is alpha or sigma below 2e-9: past float32's useful range in the kernels. */
export const CURVE_LAMBDA_MAX = 20;

/** Decimals `formatCurve` keeps. */
export const CURVE_DECIMALS = 4;

/** A plain decimal or exponent number; no hex, no Infinity, no empty string (Number('') is 0). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(text: string, what: string, where: string): number {
  const s = text.trim();
  if (!NUMBER.test(s)) throw new Error(`${where}: ${what} '${s}' is not a number`);
  return Number(s);
}

/** The points of "t:lambda,t:lambda,...", in the order written. Throws on malformed text. */
export function parseCurve(text: string): CurvePoint[] {
  if (text.trim() === '') throw new Error('the curve is empty: expected "t:lambda" pairs');
  return text.split(',').map((pair, i) => {
    const where = `curve point ${i + 1} '${pair.trim()}'`;
    const parts = pair.split(':');
    if (parts.length !== 2) throw new Error(`${where}: expected "t:lambda"`);
    return {
      t: parseNumber(parts[0]!, 't', where),
      lambda: parseNumber(parts[1]!, 'lambda', where),
    };
  });
}

/** Rounds to CURVE_DECIMALS; written with String (never "-0"), it parses back exactly. */
function round(x: number): number {
  const scale = 10 ** CURVE_DECIMALS;
  return Math.round(x * scale) / scale;
}

/**
 * The text of a curve, each number rounded to CURVE_DECIMALS decimals: parseCurve(formatCurve(p))
 * gives back exactly the rounded numbers. Points closer than 1e-4 in t may merge, so a caller
 * that edits points checks curveProblem on what it parses back.
 */
export function formatCurve(points: readonly CurvePoint[]): string {
  return points.map((p) => `${round(p.t)}:${round(p.lambda)}`).join(',');
}

/** Why points are not a usable schedule, or null when they are. */
export function curveProblem(points: readonly CurvePoint[]): string | null {
  if (points.length < 2) return `a curve needs at least 2 points, not ${points.length}`;
  for (const [i, p] of points.entries()) {
    if (!Number.isFinite(p.t) || !Number.isFinite(p.lambda))
      return `point ${i + 1}: t and lambda must be finite numbers`;
    if (Math.abs(p.lambda) > CURVE_LAMBDA_MAX)
      return `point ${i + 1}: lambda ${p.lambda} is outside [-${CURVE_LAMBDA_MAX}, ${CURVE_LAMBDA_MAX}]`;
  }
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (first.t !== 0) return `the first point must be at t = 0, not t = ${first.t}`;
  if (last.t !== 1) return `the last point must be at t = 1, not t = ${last.t}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (!(b.t > a.t))
      return `t must increase: point ${i + 1} (t = ${b.t}) is not after point ${i} (t = ${a.t})`;
    if (b.lambda > a.lambda)
      return `lambda must not increase with t: point ${i + 1} (${b.lambda}) is above point ${i} (${a.lambda})`;
  }
  // A flat curve never moves from data to noise, and zero terminal SNR would divide by zero.
  if (!(last.lambda < first.lambda))
    return `lambda must fall from t = 0 to t = 1, not stay at ${first.lambda}`;
  return null;
}

/**
 * lambda(t) by linear interpolation between the points (valid ones: see curveProblem), held
 * constant outside them. Exact at the points and monotone between them.
 */
export function evaluateCurve(points: readonly CurvePoint[], t: number): number {
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (!(t > first.t)) return first.lambda;
  if (!(t < last.t)) return last.lambda;
  // The segment [a, b] with a.t <= t < b.t.
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t <= t) lo = mid;
    else hi = mid;
  }
  const a = points[lo]!;
  const b = points[hi]!;
  const u = (t - a.t) / (b.t - a.t);
  const lambda = a.lambda + u * (b.lambda - a.lambda);
  // Rounding must not step outside the segment's range (it would break monotonicity at b).
  return Math.min(Math.max(a.lambda, b.lambda), Math.max(Math.min(a.lambda, b.lambda), lambda));
}
