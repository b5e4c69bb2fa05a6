//#include "lib/workgroup.wgsl"

// WORKGROUP_SIZE must be a power of two (the tree halves it).
var<workgroup> tree: array<vec2f, WORKGROUP_SIZE>;

// The sum over the workgroup of every invocation's part, by a tree in workgroup memory, returned
// to every invocation. Every invocation of the workgroup calls it (it holds barriers).
fn workgroup_sum(part: vec2f, lid: u32) -> vec2f {
  tree[lid] = part;
  workgroupBarrier();
  for (var width = WORKGROUP_SIZE / 2u; width > 0u; width >>= 1u) {
    if (lid < width) { tree[lid] += tree[lid + width]; }
    workgroupBarrier();
  }
  return tree[0];
}
