//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"

// One step of the forward SDE from t to s > t, sampled exactly: the Gaussian transition
// q(x_s | x_t) = N(alpha_ts x_t, sigma_s^2 - alpha_ts^2 sigma_t^2), alpha_ts = alpha_s / alpha_t
// (Kingma et al. 2021, "Variational diffusion models", eq. 33). Same marginals as the jump.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;

fn step_lane(i: u32) {
  let a = step.alpha_s / step.alpha_t;
  let v = max(step.sigma_s * step.sigma_s - a * a * step.sigma_t * step.sigma_t, 0.0);
  x[i] = a * x[i] + sqrt(v) * normal2(step.seed, STREAM_STEP, i, step.index);
}
