//#include "lib/lanes.wgsl"
//#include "lib/score.wgsl"

// Underdamped Langevin by BAOAB (Leimkuhler & Matthews 2013), part 2 of 2: the closing half kick
// v -= (h/2) grad U at the new x, after its denoiser pass (baoab_baoa.wgsl is part 1).
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec2f>;

fn step_lane(i: u32) {
  let g = grad_u(x[i], x0hat[i], step.alpha, step.sigma);
  v[i] -= 0.5 * step.h * g;
}
