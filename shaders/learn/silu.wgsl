//#include "lib/elementwise.wgsl"

// SiLU, forward: y = x sigmoid(x) = x / (1 + exp(-x)) (Elfwing, Uchibe & Doya 2018), element-wise
// over `count` values.
@group(0) @binding(0) var<uniform> size: Elementwise;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < size.count) {
    let v = x[i];
    y[i] = v / (1.0 + exp(-v));
  }
}
