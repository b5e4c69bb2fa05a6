//#include "lib/knn.wgsl"
//#include "lib/reduce.wgsl"

// Entropy, pass 2 of 2 (src/sim/observe/entropy.ts): one workgroup sums the valid log r_i of pass 1
// (shaders/observe/obs_knn.wgsl) and counts them, by a tree sum in workgroup memory.
@group(0) @binding(0) var<uniform> knn: Knn;
@group(0) @binding(1) var<storage, read> log_r: array<vec2f>;
// (points taking part, sum of their log r_i).
@group(0) @binding(2) var<storage, read_write> sums: vec2f;

// One workgroup.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = vec2f(0.0);
  for (var i = lid.x; i < knn.points; i += WORKGROUP_SIZE) {
    acc += log_r[i];
  }
  let total = workgroup_sum(acc, lid.x);
  if (lid.x == 0u) { sums = total; }
}
