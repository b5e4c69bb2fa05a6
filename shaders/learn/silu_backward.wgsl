//#include "lib/elementwise.wgsl"

// SiLU, backward: dx = dy s (1 + x (1 - s)), s = sigmoid(x) = 1 / (1 + exp(-x)), x the layer's
// input (pre-activation), element-wise over `count` values.
@group(0) @binding(0) var<uniform> size: Elementwise;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < size.count) {
    let v = x[i];
    let s = 1.0 / (1.0 + exp(-v));
    dx[i] = dy[i] * (s * (1.0 + v * (1.0 - s)));
  }
}
