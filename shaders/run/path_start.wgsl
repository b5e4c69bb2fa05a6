//#include "lib/particles.wgsl"

// Starts each particle's path where it is now (the run's reset, a scrub): pathStart and pathPrev
// take x, and path (length, excess, weight, 0) restarts at 0 (run/path_step.wgsl accumulates it;
// src/maths/straightness.ts is its float64 reference). One invocation per particle.
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(10) var<storage, read_write> pathStart: array<vec2f>;
@group(0) @binding(11) var<storage, read_write> pathPrev: array<vec2f>;
@group(0) @binding(12) var<storage, read_write> path: array<vec4f>;

fn step_particle(p: u32) {
  let lanes = step.dim / 2u;
  for (var j = p * lanes; j < (p + 1u) * lanes; j++) {
    pathStart[j] = x[j];
    pathPrev[j] = x[j];
  }
  path[p] = vec4f(0.0);
}
