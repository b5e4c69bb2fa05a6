//#include "lib/lanes.wgsl"

// Heun's method, first half (Karras et al. 2022, Algorithm 1, lines 5-6): the Euler step of
// euler.wgsl, keeping (x_hat_t, d_t) for the correction. On the last step, to sigma = 0, this
// Euler step is the whole step.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> history: array<vec4f>;

fn step_lane(i: u32) {
  let sh = sigma_hats(step);
  let xh = x[i] / step.alpha_t;
  let d = (xh - x0hat[i]) / sh.x;
  history[i] = vec4f(xh, d);
  x[i] = step.alpha_s * (xh + (sh.y - sh.x) * d);
}
