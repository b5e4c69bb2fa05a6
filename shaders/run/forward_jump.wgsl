//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"

// Forward process in closed form (Ho et al. 2020, eq. 4): x_t = alpha_t x0 + sigma_t eps, with one
// fixed data point x0 and one fixed eps per particle, so moving t scrubs smoothly both ways.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(5) var<storage, read> data: array<vec2f>;

fn step_lane(i: u32) {
  // Each particle picks one data point (an image: its dim / 2 lanes from the same one).
  let lanes = step.dim / 2u;
  let x0 = data[pick_index(step.seed, STREAM_PICK, i / lanes, step.m) * lanes + i % lanes];
  x[i] = step.alpha * x0 + step.sigma * normal2(step.seed, STREAM_NOISE, i, 0u);
}
