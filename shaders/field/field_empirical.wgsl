//#include "lib/field.wgsl"
//#include "lib/float.wgsl"
//#include "lib/empirical.wgsl"

// The landscape of the stored data on a grid (src/sim/field/energyGrid.ts), at temperature T: at each
// grid point x, with logit_j = -|x - alpha y_j|^2 / (2 sigma^2) over the M points y_j, energy =
// U_t(x) / T with U_t = -logsumexp_j logit_j + log M + log(2 pi sigma^2) (d = 2), and score =
// -grad U_t / T = sum_j w_j (alpha y_j - x) / (sigma^2 T), w = softmax(logit), summed as
// differences so x near alpha D(x) loses nothing. Tiled through workgroup memory with an online
// softmax, as run/denoise_empirical.wgsl (lib/empirical.wgsl).
@group(0) @binding(1) var<storage, read> data: array<vec2f>;

// The landscape is that of every point: no label is read.
fn point_label(j: u32) -> u32 {
  return 0u;
}

fn field_at(x: vec2f, lid: u32) -> FieldValue {
  let s2 = grid.sigma * grid.sigma;
  let s = empirical_softmax(x, grid.alpha, 1.0 / (2.0 * s2), grid.count, lid, true, ALL_LABELS);
  let u = -softmax_log_sum(s) + log(f32(grid.count)) + log(s2) + LOG_2PI;
  return FieldValue(u / grid.temperature, s.acc / (s.l * s2 * grid.temperature));
}
