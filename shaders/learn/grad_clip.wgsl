//#include "lib/reduce.wgsl"
//#include "lib/float.wgsl"
//#include "lib/grad_norm.wgsl"

// Gradient norm, pass 2 of 2 (after learn/grad_norm): one workgroup sums the partials into
// |g| = sqrt(sum_i g_i^2) and writes clip = [scale, |g|] with the rule of PyTorch's
// clip_grad_norm_, scale = min(1, max_norm / (|g| + 1e-6)), or 1 when max_norm is not a finite
// positive number (clipping off): the factor for the optimiser to scale the gradients by.
@group(0) @binding(0) var<uniform> norm: GradNorm;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> clip: array<f32>;

// Dispatched as one workgroup.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var part = 0.0;
  for (var i = lid; i < norm.groups; i += WORKGROUP_SIZE) { part += partials[i]; }
  let total = workgroup_sum(vec2f(part, 0.0), lid);
  if (lid == 0u) {
    let g = sqrt(total.x);
    var scale = 1.0;
    if (is_finite(norm.max_norm) && norm.max_norm > 0.0) {
      scale = min(1.0, norm.max_norm / (g + 1e-6));
    }
    clip[0] = scale;
    clip[1] = g;
  }
}
