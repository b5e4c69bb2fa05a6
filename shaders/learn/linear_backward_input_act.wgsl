//#include "lib/linear.wgsl"
//#include "lib/matmul.wgsl"
//#include "lib/network.wgsl"

// The backward pass through a linear layer into the layer below, in one dispatch: dh = dY W (plus
// the skip's dh_skip when the layer is a residual block's: the gradient passes through the skip
// unchanged) and dpre = dh act'(pre), pre the layer below's pre-activation. The same operations
// in the same order as learn/linear_backward_input, learn/add and learn/gelu_backward (or
// silu_backward) one after another, so the same floats, bit for bit, two dispatches fewer.
// Dispatched as (ceil(inputs / TILE), ceil(batch / TILE)) workgroups.
struct Fused {
  activation: u32,
  residual: u32,
}

@group(0) @binding(0) var<uniform> layer: Linear;
@group(0) @binding(1) var<uniform> fused: Fused;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> params: array<f32>;
@group(0) @binding(4) var<storage, read> dh_skip: array<f32>;
@group(0) @binding(5) var<storage, read> pre: array<f32>;
@group(0) @binding(6) var<storage, read_write> dh: array<f32>;
@group(0) @binding(7) var<storage, read_write> dpre: array<f32>;

fn load_a(m: u32, k: u32) -> f32 { return dy[m * layer.outputs + k]; }
fn load_b(k: u32, n: u32) -> f32 { return params[layer.offset + k * layer.inputs + n]; }

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  let acc = tile_product(m0, n0, lid, layer.batch, layer.inputs, layer.outputs);
  let m = m0 + lid / TILE;
  let n = n0 + lid % TILE;
  if (m < layer.batch && n < layer.inputs) {
    let at = m * layer.inputs + n;
    let d = select(acc, dh_skip[at] + acc, fused.residual != 0u);
    dh[at] = d;
    dpre[at] = d * activate_slope(fused.activation, pre[at]);
  }
}
