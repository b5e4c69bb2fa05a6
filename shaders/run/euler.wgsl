//#include "lib/lanes.wgsl"

// Euler on the probability-flow ODE in sigma-space (Karras et al. 2022, Algorithm 1 with
// s(t) = alpha_t): x_hat = x / alpha, sigma_hat = sigma / alpha, d = (x_hat - x0_hat) / sigma_hat,
// x_hat_s = x_hat_t + (sigma_hat_s - sigma_hat_t) d. Paper -> ours: sigma_i -> sigma_hat_t,
// D_theta -> x0hat, x_i -> x_hat. Multiplied out, the same step is
//   x_s = (sigma_s / sigma_t) x + (alpha_s - alpha_t sigma_s / sigma_t) x0_hat,
// identical when alpha_t > 0 and finite at alpha_t = 0 (zero terminal SNR, Lin et al. 2024), where
// sigma_hat_t is infinite: the form computed here (it is also DDIM with eta = 0).
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;

fn step_lane(i: u32) {
  let ratio = step.sigma_s / step.sigma_t;
  x[i] = ratio * x[i] + (step.alpha_s - step.alpha_t * ratio) * x0hat[i];
}
