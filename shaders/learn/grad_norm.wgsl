//#include "lib/reduce.wgsl"
//#include "lib/grad_norm.wgsl"

// Gradient norm, pass 1 of 2 (then learn/grad_clip): each workgroup's grid-strided share of
// sum_i g_i^2 over the flat gradient buffer, in `partials`.
@group(0) @binding(0) var<uniform> norm: GradNorm;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

// Dispatched as norm.groups workgroups along x.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let stride = norm.groups * WORKGROUP_SIZE;
  var part = 0.0;
  for (var i = wid.x * WORKGROUP_SIZE + lid; i < norm.count; i += stride) {
    let g = grads[i];
    part += g * g;
  }
  let total = workgroup_sum(vec2f(part, 0.0), lid);
  if (lid == 0u) { partials[wid.x] = total.x; }
}
