//#include "lib/slicing.wgsl"
//#include "lib/workgroup.wgsl"

// Sliced Wasserstein, pass 2: each direction's P projections sorted ascending in place, by a
// bitonic sorting network (Batcher 1968) in workgroup memory, one workgroup per direction.
@group(0) @binding(0) var<uniform> slicing: Slicing;
@group(0) @binding(1) var<storage, read_write> keys: array<f32>;

// 16384 bytes: the least maxComputeWorkgroupStorageSize WebGPU guarantees.
const MAX_POINTS: u32 = 4096u;
// Fills the padding past P, so it sorts after every key (the largest finite f32: WGSL may
// assume no infinities).
const PAD: f32 = 3.40282346638528859812e38;

var<workgroup> row: array<f32, MAX_POINTS>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = wid.x;
  let n = slicing.points;
  let q = slicing.padded;
  // Uniform over the workgroup, so no lane misses a barrier.
  if (k >= slicing.projections || q > MAX_POINTS) { return; }
  let base = k * n;
  for (var i = lid.x; i < q; i += WORKGROUP_SIZE) {
    var key = PAD;
    if (i < n) { key = keys[base + i]; }
    row[i] = key;
  }
  workgroupBarrier();
  // Merge bitonic runs of length `size`; each lane loops over the q / 2 compare-exchange pairs
  // (i, i + stride), i with a zero at bit `stride`: runs with (i & size) == 0 ascend.
  for (var size = 2u; size <= q; size <<= 1u) {
    for (var stride = size >> 1u; stride > 0u; stride >>= 1u) {
      for (var t = lid.x; t < q / 2u; t += WORKGROUP_SIZE) {
        let i = ((t & ~(stride - 1u)) << 1u) | (t & (stride - 1u));
        let j = i | stride;
        let a = row[i];
        let b = row[j];
        if ((a > b) == ((i & size) == 0u)) {
          row[i] = b;
          row[j] = a;
        }
      }
      workgroupBarrier();
    }
  }
  for (var i = lid.x; i < n; i += WORKGROUP_SIZE) {
    keys[base + i] = row[i];
  }
}
