//#include "lib/image_tiles.wgsl"
//#include "lib/nearest.wgsl"

// Memorisation (../shared/docs/maths.md section 5, Carlini et al. 2023): for each query image, the
// squared distances to its nearest and second nearest training images and the nearest's index.
// Tiled as lib/image_tiles.wgsl: ROWS queries per workgroup, blocks of TM training images,
// coordinates through workgroup tiles of TK; each lane keeps a top 2 of its training images, and
// the row's lanes are merged at the end (ties: the lower index). d2 is 3e38 when M < 2. Needs
// WORKGROUP_SIZE 256.
@group(0) @binding(2) var<storage, read> x0hat: array<f32>;
@group(0) @binding(9) var<storage, read_write> nearest: array<Nearest>;

// Row r's coordinates: query image group ROWS + r (the last one past step.n).
fn load_queries(kb: u32, lid: u32, group: u32) {
  if (lid < ROWS * TK) {
    let i = min(group * ROWS + lid / TK, step.n - 1u);
    let c = kb + lid % TK;
    xs[lid] = select(0.0, x0hat[i * step.dim + min(c, step.dim - 1u)], c < step.dim);
  }
}

var<workgroup> best1: array<f32, 256>;
var<workgroup> best2: array<f32, 256>;
var<workgroup> best_index: array<u32, 256>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lane = lid % LANES;
  var b1 = 3.0e38;
  var b2 = 3.0e38;
  var bi = 0u;
  for (var jb = 0u; jb < step.m; jb += TM) {
    let dist = block_distances(jb, lid, wid.x, 1.0).dist;
    for (var q = 0u; q < PAIRS; q++) {
      let j = jb + lane + q * LANES;
      if (j < step.m) {
        if (dist[q] < b1) {
          b2 = b1;
          b1 = dist[q];
          bi = j;
        } else {
          b2 = min(b2, dist[q]);
        }
      }
    }
  }
  best1[lid] = b1;
  best2[lid] = b2;
  best_index[lid] = bi;
  workgroupBarrier();
  let i = wid.x * ROWS + lid;
  if (lid < ROWS && i < step.n) {
    var m1 = 3.0e38;
    var m2 = 3.0e38;
    var mi = 0u;
    for (var t = lid * LANES; t < (lid + 1u) * LANES; t++) {
      let p1 = best1[t];
      if (p1 < m1 || (p1 == m1 && best_index[t] < mi)) {
        m2 = min(m1, best2[t]);
        m1 = p1;
        mi = best_index[t];
      } else {
        m2 = min(m2, p1);
      }
    }
    nearest[i] = Nearest(m1, m2, mi, 0u);
  }
}
