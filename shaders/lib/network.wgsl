//#include "lib/gelu.wgsl"

// The learned denoiser's parametrisation (src/maths/learn/network.ts): its conditioning on the
// level (alpha, sigma), its prediction targets and their conversion to x0_hat, and the loss
// weighting over t. Shared by the training batch (learn/sample_batch) and the denoiser kernel
// (run/denoise_learned), so that training and sampling condition the network alike.
const TARGET_EPS: u32 = 0u;
const TARGET_X0: u32 = 1u;
const TARGET_V: u32 = 2u;
const TARGET_VELOCITY: u32 = 3u;
const WEIGHTING_NONE: u32 = 0u;
const WEIGHTING_MIN_SNR: u32 = 1u;
const SNR_GAMMA: f32 = 5.0;
const ALPHA_FLOOR: f32 = 1e-4;
const TWO_OVER_PI: f32 = 0.6366197723675814;

// atan(a) for a in [0, 1] to about 1e-7: past tan(pi / 8), atan(a) = pi / 4 + atan((a - 1) /
// (a + 1)); then |u| <= tan(pi / 8) and the odd Taylor series to u^15 leaves u^17 / 17 < 2e-8.
// WGSL allows its own atan2 4096 ulps (2.4e-4 relative), which the level's embedding (T_SCALE
// turns, 159 of them at tau = 1) would turn into 0.04 of a turn.
fn atan_unit(a: f32) -> f32 {
  var base = 0.0;
  var u = a;
  if (a > 0.41421356) {
    base = 0.7853981633974483;
    u = (a - 1.0) / (a + 1.0);
  }
  let u2 = u * u;
  var p = -1.0 / 15.0;
  p = 1.0 / 13.0 + u2 * p;
  p = -1.0 / 11.0 + u2 * p;
  p = 1.0 / 9.0 + u2 * p;
  p = -1.0 / 7.0 + u2 * p;
  p = 1.0 / 5.0 + u2 * p;
  p = -1.0 / 3.0 + u2 * p;
  p = 1.0 + u2 * p;
  return base + u * p;
}

// tau = (2 / pi) atan2(sigma, alpha) for alpha, sigma >= 0: the level's input to the network.
fn noise_angle(alpha: f32, sigma: f32) -> f32 {
  if (sigma <= alpha) {
    if (alpha == 0.0) { return 0.0; }
    return TWO_OVER_PI * atan_unit(sigma / alpha);
  }
  return 1.0 - TWO_OVER_PI * atan_unit(alpha / sigma);
}

// c_in = 1 / sqrt(alpha^2 + sigma^2): the input's scale (Karras et al. 2022), 1 for VP schedules.
fn input_scale(alpha: f32, sigma: f32) -> f32 {
  return inverseSqrt(alpha * alpha + sigma * sigma);
}

// What the network learns to output, from x0 and the noise of x = alpha x0 + sigma eps.
fn target_of(prediction: u32, x0: vec2f, eps: vec2f, alpha: f32, sigma: f32) -> vec2f {
  if (prediction == TARGET_EPS) { return eps; }
  if (prediction == TARGET_X0) { return x0; }
  if (prediction == TARGET_VELOCITY) { return eps - x0; }
  return alpha * eps - sigma * x0;
}

// x0_hat from the output at x (eps: alpha floored, see network.ts; v: Salimans & Ho 2022;
// velocity u = eps - x0: flow matching's, x0 = (x - sigma u) / (alpha + sigma)).
fn x0_from_output(prediction: u32, x: vec2f, out: vec2f, alpha: f32, sigma: f32) -> vec2f {
  if (prediction == TARGET_X0) { return out; }
  if (prediction == TARGET_V) { return (alpha * x - sigma * out) / (alpha * alpha + sigma * sigma); }
  if (prediction == TARGET_VELOCITY) { return (x - sigma * out) / (alpha + sigma); }
  return (x - sigma * out) / max(alpha, ALPHA_FLOOR);
}

// The loss's weight at a level: 1, or Min-SNR-gamma for the target (Hang et al. 2023).
fn loss_weight(weighting: u32, prediction: u32, alpha: f32, sigma: f32) -> f32 {
  if (weighting == WEIGHTING_NONE) { return 1.0; }
  let snr = (alpha * alpha) / (sigma * sigma);
  let clipped = min(snr, SNR_GAMMA);
  if (prediction == TARGET_EPS) { return select(clipped / snr, 0.0, snr == 0.0); }
  if (prediction == TARGET_X0) { return clipped; }
  if (prediction == TARGET_VELOCITY) {
    let share = sigma / (alpha + sigma);
    return clipped * (share * share);
  }
  return clipped / (snr + 1.0);
}

const ACTIVATION_GELU: u32 = 0u;
const ACTIVATION_SILU: u32 = 1u;

// GELU in its tanh form (lib/gelu.wgsl, as learn/gelu computes it) or SiLU (as learn/silu).
fn activate(kind: u32, x: f32) -> f32 {
  if (kind == ACTIVATION_SILU) { return x / (1.0 + exp(-x)); }
  return x * gelu_parts(x).s;
}

// The activation's derivative at x, as learn/gelu_backward and learn/silu_backward compute it
// (dx = dy times this).
fn activate_slope(kind: u32, v: f32) -> f32 {
  if (kind == ACTIVATION_SILU) {
    let s = 1.0 / (1.0 + exp(-v));
    return s * (1.0 + v * (1.0 - s));
  }
  let g = gelu_parts(v);
  let d = 1.0 + g.e;
  let du = GELU_C * (1.0 + GELU_3A * (v * v));
  return g.s + v * (2.0 * du) * (g.e / (d * d));
}
