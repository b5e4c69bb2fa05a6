//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"

// Start of a reverse run: x_T = sigma_T eps, the Gaussian prior at the noisiest level.
// The eps is the forward jump's, so the prior and a forward jump to t = 1 share their noise.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;

fn step_lane(i: u32) {
  x[i] = step.sigma_t * normal2(step.seed, STREAM_NOISE, i, 0u);
}
