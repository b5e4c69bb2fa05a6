// Sliced Wasserstein, pass 3: the squared W2 of each direction between two equal-size sorted
// projections, w2[k] = (1 / P) sum_i (a_(i) - b_(i))^2, by a tree sum in workgroup memory.
struct Slicing {
  // P, the points per cloud; P rounded up to a power of two; K, the directions.
  points: u32,
  padded: u32,
  projections: u32,
}

@group(0) @binding(0) var<uniform> slicing: Slicing;
@group(0) @binding(1) var<storage, read> keys: array<f32>;
@group(0) @binding(2) var<storage, read> target_keys: array<f32>;
@group(0) @binding(3) var<storage, read_write> w2: array<f32>;

// WORKGROUP_SIZE must be a power of two (the tree halves it).
var<workgroup> sums: array<f32, WORKGROUP_SIZE>;

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
  sums[lid.x] = acc;
  workgroupBarrier();
  for (var width = WORKGROUP_SIZE / 2u; width > 0u; width >>= 1u) {
    if (lid.x < width) { sums[lid.x] += sums[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { w2[k] = sums[0] / f32(slicing.points); }
}
