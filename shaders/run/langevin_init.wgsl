//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/langevin_state.wgsl"

// Start of a Langevin run, after prior.wgsl has drawn x: velocities ~ N(0, velocity_std^2 I)
// (underdamped: the Maxwell distribution at T, unit mass; otherwise 0), no heat, no acceptance
// yet, no pending move, the move counter at 0.
@group(0) @binding(4) var<storage, read_write> v: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> accept: array<f32>;
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;

fn step_lane(i: u32) {
  v[i] = step.velocity_std * normal2(step.seed, STREAM_NOISE, i, 1u);
  if (i % (step.dim / 2u) == 0u) {
    accept[particle_of(step, i)] = 0.0;
  }
  heat[i] = 0.0;
  langevinState[i] = LangevinState(vec2f(0.0), vec2f(0.0), 0.0, 0.0, 0u, 0u);
}
