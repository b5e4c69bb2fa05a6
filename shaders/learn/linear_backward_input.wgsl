//#include "lib/linear.wgsl"
//#include "lib/matmul.wgsl"

// Linear layer, backward to the input: dX = dY W (dY batch x outputs, dX batch x inputs).
// Dispatched as (ceil(inputs / TILE), ceil(batch / TILE)) workgroups.
@group(0) @binding(0) var<uniform> layer: Linear;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn load_a(m: u32, k: u32) -> f32 { return dy[m * layer.outputs + k]; }
fn load_b(k: u32, n: u32) -> f32 { return params[layer.offset + k * layer.inputs + n]; }

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  let acc = tile_product(m0, n0, lid, layer.batch, layer.inputs, layer.outputs);
  let m = m0 + lid / TILE;
  let n = n0 + lid % TILE;
  if (m < layer.batch && n < layer.inputs) { dx[m * layer.inputs + n] = acc; }
}
