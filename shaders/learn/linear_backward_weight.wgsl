//#include "lib/linear.wgsl"
//#include "lib/matmul.wgsl"

// Linear layer, backward to the parameters, summed over the batch: [dW | db] = dY^T [X | 1]
// (outputs x (inputs + 1)): the bias is the weight of a column of ones. Workgroup z sums rows
// [z chunk, (z + 1) chunk) and writes its part at z * slice: with one chunk (slice 0) that is the
// layer's part of `grads`, overwritten; with several, `grads` is bound to the chunks' partials,
// which learn/grad_reduce then adds in the order of z. Dispatched as (ceil((inputs + 1) / TILE),
// ceil(outputs / TILE), chunks) workgroups.
@group(0) @binding(0) var<uniform> layer: Linear;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

var<private> row0: u32;

fn load_a(m: u32, k: u32) -> f32 { return dy[(row0 + k) * layer.outputs + m]; }
fn load_b(k: u32, n: u32) -> f32 {
  if (n == layer.inputs) { return 1.0; }
  return x[(row0 + k) * layer.inputs + n];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  row0 = wid.z * layer.chunk;
  let rows = min(layer.chunk, layer.batch - row0);
  let acc = tile_product(m0, n0, lid, layer.outputs, layer.inputs + 1u, rows);
  let m = m0 + lid / TILE;
  let n = n0 + lid % TILE;
  let base = wid.z * layer.slice;
  if (m < layer.outputs && n < layer.inputs) {
    grads[base + layer.offset + m * layer.inputs + n] = acc;
  } else if (m < layer.outputs && n == layer.inputs) {
    grads[base + bias_offset(layer) + m] = acc;
  }
}
