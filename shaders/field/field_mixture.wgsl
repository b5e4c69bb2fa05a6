//#include "lib/field.wgsl"
//#include "lib/mixture.wgsl"

// The landscape of a Gaussian mixture on a grid (src/sim/field/energyGrid.ts), at temperature T: at
// each grid point x, energy = U_t(x) / T with U_t = -log p_t,
// p_t = sum_k pi_k N(x; alpha mu_k, C_k), C_k = alpha^2 Sigma_k + sigma^2 I, and score =
// grad log exp(-U_t / T) = -grad U_t / T = sum_k r_k(x) C_k^-1 (alpha mu_k - x) / T, r_k the
// responsibilities, by an online softmax over k (as run/denoise_mixture.wgsl). With a class c,
// the guided landscape U_w = w U_c + (1 - w) U (run/guide.wgsl), -log of p(x|c)^w p(x)^(1-w):
// U_c = -log sum_{k in c} pi_k N_k + log P(c), and its score w s_c + (1 - w) s.
// Velocity arrows: v = alpha' x0_hat + sigma' eps_hat with eps_hat = -sigma score (Tweedie), so
// v = alpha' x0_hat - (sigma sigma') score: no division by sigma or alpha, finite at both ends.
@group(0) @binding(1) var<storage, read> mixture: array<Component>;

fn velocity_at(x: vec2f, s2: f32, label: u32) -> vec2f {
  let x0hat = mixture_softmax(x, grid.alpha, s2, grid.count, true, label);
  let score = mixture_softmax(x, grid.alpha, s2, grid.count, false, label);
  return grid.alpha_dot * softmax_mean(x0hat) - grid.half_var_dot * softmax_mean(score);
}

fn field_at(x: vec2f, lid: u32) -> FieldValue {
  let s2 = grid.sigma * grid.sigma;
  let c = mixture_softmax(x, grid.alpha, s2, grid.count, false, grid.label);
  var u = -softmax_log_sum(c) + grid.log_share;
  var score = c.acc / (c.l * grid.temperature);
  let velocity = grid.arrows == ARROWS_VELOCITY;
  if (velocity) {
    score = velocity_at(x, s2, grid.label);
  }
  // Uniform: every invocation takes the same branch.
  if (grid.guidance != 1.0) {
    let w = grid.guidance;
    let a = mixture_softmax(x, grid.alpha, s2, grid.count, false, ALL_LABELS);
    u = w * u + (1.0 - w) * -softmax_log_sum(a);
    // x0_hat and the score mix alike (run/guide.wgsl), and so does v, linear in both.
    var other = a.acc / (a.l * grid.temperature);
    if (velocity) {
      other = velocity_at(x, s2, ALL_LABELS);
    }
    score = w * score + (1.0 - w) * other;
  }
  return FieldValue(u / grid.temperature, score);
}
