//#include "lib/slicing.wgsl"
//#include "lib/workgroup.wgsl"

// Sliced Wasserstein, pass 1: the projections keys[k P + i] = <x_i, (cos theta_k, sin theta_k)>
// of the first P points onto each of the K directions (src/sim/distance/slicedWasserstein.ts).
@group(0) @binding(0) var<uniform> slicing: Slicing;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> directions: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> keys: array<f32>;

// Dispatched as (ceil(P / WORKGROUP_SIZE), K): point i along x, direction k along y.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  let k = gid.y;
  if (i >= slicing.points || k >= slicing.projections) { return; }
  keys[k * slicing.points + i] = dot(x[i], directions[k]);
}
