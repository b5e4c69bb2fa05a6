//#include "lib/lanes.wgsl"

// Heun's method, second half (Karras et al. 2022, Algorithm 1, lines 7-8): with the denoiser
// evaluated at the Euler prediction, x_hat_s = x_hat_t + (sigma_hat_s - sigma_hat_t) (d_t + d_s) / 2.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read> history: array<vec4f>;

fn step_lane(i: u32) {
  let sh = sigma_hats(step);
  let saved = history[i];
  let d_s = (x[i] / step.alpha_s - x0hat[i]) / sh.y;
  x[i] = step.alpha_s * (saved.xy + (sh.y - sh.x) * 0.5 * (saved.zw + d_s));
}
