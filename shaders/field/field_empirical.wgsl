//#include "lib/field.wgsl"
//#include "lib/float.wgsl"
//#include "lib/empirical.wgsl"

// The landscape of the stored data on a grid (src/sim/field/energyGrid.ts), at temperature T: at each
// grid point x, with logit_j = -|x - alpha y_j|^2 / (2 sigma^2) over the M points y_j, energy =
// U_t(x) / T with U_t = -logsumexp_j logit_j + log M + log(2 pi sigma^2) (d = 2), and score =
// -grad U_t / T = sum_j w_j (alpha y_j - x) / (sigma^2 T), w = softmax(logit), summed as
// differences so x near alpha D(x) loses nothing. Tiled through workgroup memory with an online
// softmax, as run/denoise_empirical.wgsl (lib/empirical.wgsl). With a class c, the guided
// landscape U_w = w U_c + (1 - w) U (run/guide.wgsl): U_c over the M_c points of the class,
// its log M_c = log M + log P(c), and its score w s_c + (1 - w) s.
// Velocity arrows: the same softmax over the values y_j gives x0_hat = sum_j w_j y_j (exact at
// alpha = 0, where the differences would need a division by alpha), and
// v = alpha' x0_hat + sigma' eps_hat = alpha' x0_hat + (sigma sigma' / sigma^2) (x - alpha x0_hat);
// sigma >= MIN_FIELD_SIGMA here (src/sim/field/energyGrid.ts).
@group(0) @binding(1) var<storage, read> data: array<vec2f>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;

fn point_label(j: u32) -> u32 {
  return labels[j];
}

// The arrow from a softmax of the values a y_j - x (relative) for the score, y_j for v.
fn arrow(x: vec2f, c: Softmax, s2: f32) -> vec2f {
  if (grid.arrows == ARROWS_VELOCITY) {
    let x0hat = softmax_mean(c);
    return grid.alpha_dot * x0hat + (grid.half_var_dot / s2) * (x - grid.alpha * x0hat);
  }
  return c.acc / (c.l * s2 * grid.temperature);
}

fn field_at(x: vec2f, lid: u32) -> FieldValue {
  let s2 = grid.sigma * grid.sigma;
  let inv = 1.0 / (2.0 * s2);
  let norm = log(f32(grid.count));
  let relative = grid.arrows != ARROWS_VELOCITY;
  let c = empirical_softmax(x, grid.alpha, inv, grid.count, lid, relative, grid.label);
  var u = -softmax_log_sum(c) + norm + log(s2) + LOG_2PI + grid.log_share;
  var score = arrow(x, c, s2);
  // Uniform: every invocation of a workgroup takes the same branch, and so its barriers.
  if (grid.guidance != 1.0) {
    let w = grid.guidance;
    let a = empirical_softmax(x, grid.alpha, inv, grid.count, lid, relative, ALL_LABELS);
    u = w * u + (1.0 - w) * (-softmax_log_sum(a) + norm + log(s2) + LOG_2PI);
    score = w * score + (1.0 - w) * arrow(x, a, s2);
  }
  return FieldValue(u / grid.temperature, score);
}
