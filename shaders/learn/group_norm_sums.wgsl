//#include "lib/reduce.wgsl"
//#include "lib/group_norm.wgsl"

// GroupNorm, backward pass 1 of 3 (then learn/group_norm_backward, learn/group_norm_affine_grads):
// per sample n and channel c, over its H W pixels, sums[2 (n C + c)] = sum dy and
// sums[2 (n C + c) + 1] = sum dy xhat, xhat from the forward's statistics. One workgroup per
// (n, c) plane, flat over a 2D grid; each lane sums i = lid, lid + WORKGROUP_SIZE, ... in order,
// then the workgroup's tree (lib/reduce.wgsl).
@group(0) @binding(0) var<uniform> norm: GroupNorm;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.y * nwg.x + wid.x;
  let live = plane < norm.batch * norm.channels;
  // A workgroup past the end sums nothing and writes nothing, but reaches the barriers.
  let pixels = select(0u, norm.pixels, live);
  var s = vec3f(0.0);
  if (live) {
    let k = STATS * ((plane / norm.channels) * norm.groups
                     + (plane % norm.channels) / (norm.channels / norm.groups));
    s = vec3f(stats[k], stats[k + 1u], stats[k + 2u]);
  }
  var part = vec2f(0.0);
  for (var i = lid; i < pixels; i += WORKGROUP_SIZE) {
    let at = plane * norm.pixels + i;
    let g = dy[at];
    part += vec2f(g, g * normalised(x[at], s));
  }
  let total = workgroup_sum(part, lid);
  if (live && lid == 0u) {
    sums[2u * plane] = total.x;
    sums[2u * plane + 1u] = total.y;
  }
}
