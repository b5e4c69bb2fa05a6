/**
 * Central finite differences of a float64 function with an error bound, for the gradient checks
 * of the learned denoiser's layers (tests/unit/learn*.test.ts).
 *
 * D(h) = (f(x + h) - f(x - h)) / (x+ - x-), with x+- = x +- h as rounded (x+ - x- is exact, so
 * the step itself adds no error):
 *   |D(h) - f'(x)| <= h^2 / 6 max|f'''| + delta / h,
 * truncation (Taylor to third order) plus rounding, delta the float64 error of one evaluation of
 * f. h = 2^-17 (about 7.6e-6, near the optimum (3 delta / M3)^(1/3) for delta ~ 1e-15, M3 ~ 1).
 * M3 is estimated by the third central difference at H = 2^-6,
 *   T3 = (f(x + 2H) - 2 f(x + H) + 2 f(x - H) - f(x - 2H)) / (2 H^3) = f'''(x) + O(H^2 f^(5)),
 * taken as M3 = 2 |T3| + 3 delta / H^3: the factor 2 covers the O(H^2) term and the change of
 * f''' over [x - h, x + h]; 3 delta / H^3 is T3's own rounding. A function linear or quadratic
 * in x (a linear layer's parameters, the MSE in pred) has T3 = 0 up to rounding: truncation-free.
 * delta = 16 n eps (|f| + 1), n the longest chain of float64 operations in f (a generous
 * forward-error bound; eps = 2^-53): about 4e-13 for n = 100, so delta / h ~ 5e-8.
 */
const EPS64 = 2 ** -53;
export const FD_STEP = 2 ** -17;
const WIDE_STEP = 2 ** -6;

export interface Difference {
  value: number;
  /** The bound on |value - f'(x)| above. */
  bound: number;
}

/** d f / d x_i by central differences, x restored after. */
export function centralDifference(
  f: () => number,
  x: Float64Array,
  i: number,
  chain: number,
): Difference {
  const x0 = x[i]!;
  const at = (d: number): number => {
    x[i] = x0 + d;
    const v = f();
    x[i] = x0;
    return v;
  };
  const f0 = f();
  const delta = 16 * chain * EPS64 * (Math.abs(f0) + 1);
  const plus = x0 + FD_STEP;
  const minus = x0 - FD_STEP;
  const value = (at(FD_STEP) - at(-FD_STEP)) / (plus - minus);
  const H = WIDE_STEP;
  const t3 = (at(2 * H) - 2 * at(H) + 2 * at(-H) - at(-2 * H)) / (2 * H ** 3);
  const m3 = 2 * Math.abs(t3) + (3 * delta) / H ** 3;
  return { value, bound: (FD_STEP ** 2 / 6) * m3 + delta / FD_STEP };
}

/**
 * The analytic gradient's own float64 rounding beside the difference's bound: n eps of the
 * gradient's size, n the longest chain of its computation (negligible beside delta / h).
 */
export const gradientRounding = (g: number, chain: number): number =>
  16 * chain * EPS64 * (Math.abs(g) + 1);
