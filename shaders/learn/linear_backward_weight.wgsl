//#include "lib/linear.wgsl"
//#include "lib/matmul.wgsl"

// Linear layer, backward to the parameters, summed over the batch: [dW | db] = dY^T [X | 1]
// (outputs x (inputs + 1)): the bias is the weight of a column of ones. Overwrites the layer's
// part of `grads`. Dispatched as (ceil((inputs + 1) / TILE), ceil(outputs / TILE)) workgroups.
@group(0) @binding(0) var<uniform> layer: Linear;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

fn load_a(m: u32, k: u32) -> f32 { return dy[k * layer.outputs + m]; }
fn load_b(k: u32, n: u32) -> f32 {
  if (n == layer.inputs) { return 1.0; }
  return x[k * layer.inputs + n];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  let acc = tile_product(m0, n0, lid, layer.outputs, layer.inputs + 1u, layer.batch);
  let m = m0 + lid / TILE;
  let n = n0 + lid % TILE;
  if (m < layer.outputs && n < layer.inputs) {
    grads[layer.offset + m * layer.inputs + n] = acc;
  } else if (m < layer.outputs && n == layer.inputs) {
    grads[bias_offset(layer) + m] = acc;
  }
}
