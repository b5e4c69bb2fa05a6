//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"

// DDPM ancestral step (Ho et al. 2020, eqs. 6-7), for any (alpha, sigma) pair of levels: sample
// the posterior q(x_s | x_t, x0 = x0_hat) with alpha_ts = alpha_t / alpha_s,
// sigma_ts^2 = sigma_t^2 - alpha_ts^2 sigma_s^2 (Kingma et al. 2021, eqs. 32-34).
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;

fn step_lane(i: u32) {
  let a_ts = step.alpha_t / step.alpha_s;
  let var_t = step.sigma_t * step.sigma_t;
  let var_s = step.sigma_s * step.sigma_s;
  let var_ts = max(var_t - a_ts * a_ts * var_s, 0.0);
  let mean = (a_ts * var_s / var_t) * x[i] + (step.alpha_s * var_ts / var_t) * x0hat[i];
  let sd = sqrt(var_ts * var_s / var_t);
  x[i] = mean + sd * normal2(step.seed, STREAM_STEP, i, step.index);
}
