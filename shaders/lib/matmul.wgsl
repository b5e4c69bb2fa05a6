//#include "lib/workgroup.wgsl"

// The matrix product of the learned denoiser's linear layers (shaders/learn/): C = A B with A
// (M x K) and B (K x N) read through the including kernel's `fn load_a(m: u32, k: u32) -> f32`
// and `fn load_b(k: u32, n: u32) -> f32`, so a transposed operand costs no copy. A workgroup makes
// one TILE x TILE block of C, each lane one element, summed in the order of k straight from the
// storage buffers. A version staging K through workgroup memory a TILE at a time (Kirk & Hwu ch.
// 5) computed the same sums in the same order, bit for bit, but its two barriers per TILE made a
// training step 3 times slower on SwiftShader (17 against 51 steps/s, 32 wide, batch 128); the
// sizes here (K <= 384, or the batch for the weights' gradient) stay in the caches. Compiled with
// WORKGROUP_SIZE = TILE * TILE.
const TILE: u32 = 16u;

// sum_k A(m, k) B(k, n) in the order of k, for this lane's (m, n) = (m0 + lid / TILE,
// n0 + lid % TILE); 0 where m or n is past the end (no load is made there).
fn tile_product(m0: u32, n0: u32, lid: u32, m_count: u32, n_count: u32, k_count: u32) -> f32 {
  let m = m0 + lid / TILE;
  let n = n0 + lid % TILE;
  var acc = 0.0;
  if (m < m_count && n < n_count) {
    for (var k = 0u; k < k_count; k++) { acc += load_a(m, k) * load_b(k, n); }
  }
  return acc;
}
