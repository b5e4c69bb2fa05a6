//#include "lib/elementwise.wgsl"

// Element-wise sum y = a + b: a residual connection, forward (y = x + f(x)) and backward (dx =
// dy + the block's own dx: the gradient passes through the skip unchanged).
@group(0) @binding(0) var<uniform> size: Elementwise;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < size.count) { y[i] = a[i] + b[i]; }
}
