//#include "lib/resample.wgsl"

// 2x nearest up-sampling, backward: each coarse value's gradient is the sum of its 2 x 2
// children's, in the order ((top-left + top-right) + (bottom-left + bottom-right)), one coarse
// value per invocation.
@group(0) @binding(0) var<uniform> size: Resample;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.planes * (size.height / 2u) * (size.width / 2u)) { return; }
  let t = top_left(i, size);
  dx[i] = (dy[t] + dy[t + 1u]) + (dy[t + size.width] + dy[t + size.width + 1u]);
}
