//#include "lib/slicing.wgsl"
//#include "lib/reduce.wgsl"

// Sliced Wasserstein, pass 3: the squared W2 of each direction between two equal-size sorted
// projections, w2[k] = (1 / P) sum_i (a_(i) - b_(i))^2, by a tree sum in workgroup memory.
@group(0) @binding(0) var<uniform> slicing: Slicing;
@group(0) @binding(1) var<storage, read> keys: array<f32>;
@group(0) @binding(2) var<storage, read> target_keys: array<f32>;
@group(0) @binding(3) var<storage, read_write> w2: array<f32>;

// One workgroup per direction.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = wid.x;
  // Uniform over the workgroup, so no lane misses a barrier.
  if (k >= slicing.projections) { return; }
  let base = k * slicing.points;
  var acc = 0.0;
  for (var i = lid.x; i < slicing.points; i += WORKGROUP_SIZE) {
    let d = keys[base + i] - target_keys[base + i];
    acc += d * d;
  }
  let total = workgroup_sum(vec2f(acc, 0.0), lid.x).x;
  if (lid.x == 0u) { w2[k] = total / f32(slicing.points); }
}
