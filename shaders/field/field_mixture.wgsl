//#include "lib/field.wgsl"
//#include "lib/mixture.wgsl"

// The landscape of a Gaussian mixture on a grid (src/sim/field/energyGrid.ts), at temperature T: at
// each grid point x, energy = U_t(x) / T with U_t = -log p_t,
// p_t = sum_k pi_k N(x; alpha mu_k, C_k), C_k = alpha^2 Sigma_k + sigma^2 I, and score =
// grad log exp(-U_t / T) = -grad U_t / T = sum_k r_k(x) C_k^-1 (alpha mu_k - x) / T, r_k the
// responsibilities, by an online softmax over k (as run/denoise_mixture.wgsl).
@group(0) @binding(1) var<storage, read> mixture: array<Component>;

fn field_at(x: vec2f, lid: u32) -> FieldValue {
  let s = mixture_softmax(x, grid.alpha, grid.sigma * grid.sigma, grid.count, false, ALL_LABELS);
  return FieldValue(-softmax_log_sum(s) / grid.temperature, s.acc / (s.l * grid.temperature));
}
