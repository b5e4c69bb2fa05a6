//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"

// DDIM (Song, Meng & Ermon 2021, eq. 12) from t to s:
//   x_s = alpha_s x0_hat + sqrt(sigma_s^2 - c^2) eps_hat + c z,  eps_hat = (x_t - alpha_t x0_hat) / sigma_t,
//   c = eta sigma_s sqrt(1 - (alpha_t sigma_s / (sigma_t alpha_s))^2).
// eta = 0 is deterministic (and runs backwards as an inversion); eta = 1 is DDPM's ancestral step.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;

fn step_lane(i: u32) {
  let d = x0hat[i];
  let eps = (x[i] - step.alpha_t * d) / step.sigma_t;
  let r = step.alpha_t * step.sigma_s / (step.sigma_t * step.alpha_s);
  let c = step.eta * step.sigma_s * sqrt(max(1.0 - r * r, 0.0));
  var next = step.alpha_s * d + sqrt(max(step.sigma_s * step.sigma_s - c * c, 0.0)) * eps;
  if (c > 0.0) {
    next += c * normal2(step.seed, STREAM_STEP, i, step.index);
  }
  x[i] = next;
}
