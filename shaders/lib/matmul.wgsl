//#include "lib/workgroup.wgsl"

// The tiled matrix product of the learned denoiser's linear layers (shaders/learn/): C = A B with
// A (M x K) and B (K x N) read through the including kernel's `fn load_a(m: u32, k: u32) -> f32`
// and `fn load_b(k: u32, n: u32) -> f32`, so a transposed operand costs no copy. A workgroup makes
// one TILE x TILE block of C, staging K through workgroup memory one TILE at a time (Kirk & Hwu,
// "Programming Massively Parallel Processors", ch. 5). Compiled with WORKGROUP_SIZE = TILE * TILE.
const TILE: u32 = 16u;

var<workgroup> tile_a: array<f32, 256>;
var<workgroup> tile_b: array<f32, 256>;

// sum_k A(m, k) B(k, n) in the order of k, for this lane's (m, n) = (m0 + lid / TILE,
// n0 + lid % TILE); 0 where m or n is past the end. Every lane of the workgroup calls it (it
// holds barriers), in range or not; out-of-range loads are never made.
fn tile_product(m0: u32, n0: u32, lid: u32, m_count: u32, n_count: u32, k_count: u32) -> f32 {
  let row = lid / TILE;
  let col = lid % TILE;
  var acc = 0.0;
  for (var k0 = 0u; k0 < k_count; k0 += TILE) {
    var a = 0.0;
    if (m0 + row < m_count && k0 + col < k_count) { a = load_a(m0 + row, k0 + col); }
    tile_a[lid] = a;
    var b = 0.0;
    if (k0 + row < k_count && n0 + col < n_count) { b = load_b(k0 + row, n0 + col); }
    tile_b[lid] = b;
    workgroupBarrier();
    let kn = min(TILE, k_count - k0);
    for (var j = 0u; j < kn; j++) { acc += tile_a[row * TILE + j] * tile_b[j * TILE + col]; }
    workgroupBarrier();
  }
  return acc;
}
