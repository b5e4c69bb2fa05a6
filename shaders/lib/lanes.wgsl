//#include "lib/step.wgsl"
//#include "lib/invocations.wgsl"

// The element-wise kernels: one invocation per vec2 lane of every particle (lane_count), each
// running the including kernel's `fn step_lane(i: u32)`. The step table slot
// is bound as `step`.
@group(0) @binding(0) var<uniform> step: Step;

fn invocation(i: u32, lid: u32) {
  if (i < lane_count(step)) { step_lane(i); }
}
