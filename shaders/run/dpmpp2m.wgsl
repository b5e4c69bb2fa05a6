//#include "lib/lanes.wgsl"

// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2; k-diffusion sample_dpmpp_2m):
// data prediction, multistep in half log-SNR lambda = log(alpha / sigma), h = lambda_s - lambda_t,
//   D = (1 + 1 / (2 r)) x0_hat - (1 / (2 r)) x0_hat_prev,  r = h_prev / h,
//   x_s = (sigma_s / sigma_t) x + alpha_s (1 - e^-h) D,
// with alpha_s (1 - e^-h) = alpha_s - alpha_t sigma_s / sigma_t, finite at alpha_t = 0.
// r = 0 (from the step table) is the first-order step D = x0_hat: on the first step, on the step
// to sigma = 0, and after a level with alpha = 0 (h_prev infinite). history.xy keeps x0_hat for the
// next step. Paper -> ours: t_{i-1} -> t, t_i -> s, x_tilde -> x, x_theta -> x0hat, D_i -> D,
// h_i -> h, r_i -> r.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> history: array<vec4f>;

fn step_lane(i: u32) {
  let d0 = x0hat[i];
  var d = d0;
  if (step.r > 0.0) {
    let c = 0.5 / step.r;
    d = (1.0 + c) * d0 - c * history[i].xy;
  }
  history[i] = vec4f(d0, 0.0, 0.0);
  let ratio = step.sigma_s / step.sigma_t;
  x[i] = ratio * x[i] + (step.alpha_s - step.alpha_t * ratio) * d;
}
