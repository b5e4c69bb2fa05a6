//#include "lib/linear.wgsl"
//#include "lib/matmul.wgsl"
//#include "lib/network.wgsl"

// A linear layer with its activation and, in a residual block, the skip, in one dispatch:
// pre = X W^T + b (kept for the backward pass) and h = act(pre), or h = skip + act(pre). The same
// operations in the same order as learn/linear_forward, learn/gelu (or silu) and learn/add one
// after another, so the same floats, bit for bit, with two dispatches fewer per block.
// Dispatched as (ceil(outputs / TILE), ceil(batch / TILE)) workgroups.
struct Fused {
  // ACTIVATION_GELU or ACTIVATION_SILU (lib/network.wgsl).
  activation: u32,
  // 1: add `skip` (the block's input, batch x outputs).
  residual: u32,
}

@group(0) @binding(0) var<uniform> layer: Linear;
@group(0) @binding(1) var<uniform> fused: Fused;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> pre: array<f32>;
@group(0) @binding(5) var<storage, read_write> h: array<f32>;
@group(0) @binding(6) var<storage, read> skip: array<f32>;

fn load_a(m: u32, k: u32) -> f32 { return x[m * layer.inputs + k]; }
fn load_b(k: u32, n: u32) -> f32 { return params[layer.offset + n * layer.inputs + k]; }

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  let acc = tile_product(m0, n0, lid, layer.batch, layer.outputs, layer.inputs);
  let m = m0 + lid / TILE;
  let n = n0 + lid % TILE;
  if (m < layer.batch && n < layer.outputs) {
    let at = m * layer.outputs + n;
    let p = acc + params[bias_offset(layer) + n];
    pre[at] = p;
    let g = activate(fused.activation, p);
    h[at] = select(g, skip[at] + g, fused.residual != 0u);
  }
}
