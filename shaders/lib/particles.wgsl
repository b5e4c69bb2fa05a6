//#include "lib/step.wgsl"
//#include "lib/invocations.wgsl"

// The per-particle kernels: one invocation per particle (step.n), each running the including kernel's `fn step_particle(p: u32)` over the particle's dim / 2 lanes.
// The step table slot is bound as `step`.
@group(0) @binding(0) var<uniform> step: Step;

fn invocation(p: u32, lid: u32) {
  if (p < step.n) { step_particle(p); }
}
