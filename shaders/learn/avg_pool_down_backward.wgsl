//#include "lib/resample.wgsl"

// 2x average pooling, backward: each fine value's gradient is a quarter of its parent's,
// dx = 0.25 dy[parent] (exact), one fine value per invocation.
@group(0) @binding(0) var<uniform> size: Resample;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.planes * size.height * size.width) { return; }
  dx[i] = 0.25 * dy[parent(i, size)];
}
