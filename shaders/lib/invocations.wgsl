//#include "lib/workgroup.wgsl"

// A kernel over a flat index: runs the including kernel's `fn invocation(i: u32, lid: u32)` once
// per invocation, i its flat index over a 1D or 2D dispatch (2D when the count needs more than
// 65535 workgroups) and lid its index in the workgroup. The kernel bounds i itself: a tiled kernel
// keeps the invocations past its end, for its barriers.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  invocation((wid.y * nwg.x + wid.x) * WORKGROUP_SIZE + lid.x, lid.x);
}
