//#include "lib/elementwise.wgsl"
//#include "lib/gelu.wgsl"

// GELU (tanh form), forward: y = x (1 + tanh u) / 2, u = sqrt(2 / pi) (x + 0.044715 x^3), with
// tanh through exp(-2|u|) (lib/gelu.wgsl says why), element-wise over `count` values.
@group(0) @binding(0) var<uniform> size: Elementwise;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < size.count) {
    let v = x[i];
    y[i] = v * gelu_parts(v).s;
  }
}
