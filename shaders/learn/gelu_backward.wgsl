//#include "lib/elementwise.wgsl"
//#include "lib/gelu.wgsl"

// GELU (tanh form), backward: dx = dy (s + x ds/dx), s = (1 + tanh u) / 2 (lib/gelu.wgsl), with
// ds/dx = 2 s (1 - s) du/dx, s (1 - s) = e / (1 + e)^2 for either sign of u (e = exp(-2|u|): no
// cancellation in 1 - s) and du/dx = sqrt(2 / pi) (1 + 3 0.044715 x^2); x the layer's input
// (pre-activation), element-wise over `count` values.
@group(0) @binding(0) var<uniform> size: Elementwise;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < size.count) {
    let v = x[i];
    let g = gelu_parts(v);
    let d = 1.0 + g.e;
    let du = GELU_C * (1.0 + GELU_3A * (v * v));
    dx[i] = dy[i] * (g.s + v * (2.0 * du) * (g.e / (d * d)));
  }
}
