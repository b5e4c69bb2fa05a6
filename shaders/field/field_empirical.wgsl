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
@group(0) @binding(1) var<storage, read> data: array<vec2f>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;

fn point_label(j: u32) -> u32 {
  return labels[j];
}

fn field_at(x: vec2f, lid: u32) -> FieldValue {
  let s2 = grid.sigma * grid.sigma;
  let inv = 1.0 / (2.0 * s2);
  let norm = log(f32(grid.count));
  let c = empirical_softmax(x, grid.alpha, inv, grid.count, lid, true, grid.label);
  var u = -softmax_log_sum(c) + norm + log(s2) + LOG_2PI + grid.log_share;
  var score = c.acc / (c.l * s2 * grid.temperature);
  // Uniform: every invocation of a workgroup takes the same branch, and so its barriers.
  if (grid.guidance != 1.0) {
    let w = grid.guidance;
    let a = empirical_softmax(x, grid.alpha, inv, grid.count, lid, true, ALL_LABELS);
    u = w * u + (1.0 - w) * (-softmax_log_sum(a) + norm + log(s2) + LOG_2PI);
    score = w * score + (1.0 - w) * (a.acc / (a.l * s2 * grid.temperature));
  }
  return FieldValue(u / grid.temperature, score);
}
