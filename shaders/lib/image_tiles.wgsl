//#include "lib/step.wgsl"
//#include "lib/workgroup.wgsl"

// The tiling of the image kernels that compare query rows with every training image
// (run/denoise_image_empirical.wgsl, distance/image_nearest.wgsl), flash-attention style (Dao et
// al. 2022): a workgroup of 256 invocations owns ROWS query rows, LANES invocations per row, and
// streams blocks of TM training images (`data`: step.m images of step.dim floats); coordinates go
// through workgroup tiles of TK. The including kernel fills its rows' coordinates by `fn load_queries(kb, lid, group: u32)`:
// xs[r TK + c] = coordinate kb + c of row r of workgroup `group` (its wid.x), for
// r < ROWS, c < TK, 0 past step.dim.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(5) var<storage, read> data: array<f32>;

const ROWS = 8u;
const LANES = 32u;
const PAIRS = 4u;
const TM = 128u; // LANES * PAIRS
const TK = 16u;

var<workgroup> ys: array<f32, 2064>; // TK x (TM + 1): padded against bank conflicts
var<workgroup> xs: array<f32, 128>; // ROWS x TK

// Squared distances |x_row - a y_j|^2 of invocation (row, lane) = (lid / LANES, lid % LANES) to
// the images j = jb + lane + q LANES, q < PAIRS, of training block jb (junk for j >= step.m). Summed as
// (x - a y)^2, not expanded into dot products: the expansion cancels catastrophically at small
// sigma. Each tile's TK terms form an fma chain; the d / TK chunks are Kahan-compensated
// (dist - comp is the sum's value): plain float32 sums of the chunks lose up to d / TK ulps,
// which costs the softmax ~1e-3 in its weights at d = 3072 and the memorisation rule its
// comparison of nearest with second nearest. Every invocation calls it (it holds barriers).
struct BlockDistances {
  dist: array<f32, PAIRS>,
  comp: array<f32, PAIRS>,
}

fn block_distances(jb: u32, lid: u32, group: u32, a: f32) -> BlockDistances {
  let d = step.dim;
  let row = lid / LANES;
  let lane = lid % LANES;
  var dist = array<f32, PAIRS>(0.0, 0.0, 0.0, 0.0);
  var comp = array<f32, PAIRS>(0.0, 0.0, 0.0, 0.0);
  for (var kb = 0u; kb < d; kb += TK) {
    for (var e = lid; e < TM * TK; e += WORKGROUP_SIZE) {
      let j = jb + e / TK;
      let c = kb + e % TK;
      let y = data[min(j, step.m - 1u) * d + min(c, d - 1u)];
      ys[(e % TK) * (TM + 1u) + e / TK] = select(0.0, y, j < step.m && c < d);
    }
    load_queries(kb, lid, group);
    workgroupBarrier();
    var part = array<f32, PAIRS>(0.0, 0.0, 0.0, 0.0);
    for (var k = 0u; k < TK; k++) {
      let xv = xs[row * TK + k];
      for (var q = 0u; q < PAIRS; q++) {
        let diff = xv - a * ys[k * (TM + 1u) + lane + q * LANES];
        part[q] = fma(diff, diff, part[q]);
      }
    }
    for (var q = 0u; q < PAIRS; q++) {
      let y = part[q] - comp[q];
      let t = dist[q] + y;
      comp[q] = (t - dist[q]) - y;
      dist[q] = t;
    }
    workgroupBarrier();
  }
  return BlockDistances(dist, comp);
}
