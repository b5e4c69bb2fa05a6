// Memorisation (../shared/docs/maths.md section 5, Carlini et al. 2023): for each query image, the
// squared distances to its nearest and second nearest training images and the nearest's index.
// Tiled as denoise_image_empirical.wgsl: ROWS queries per workgroup, blocks of TM training images,
// coordinates through workgroup tiles of TK; each lane keeps a top 2 of its training images, and
// the row's lanes are merged at the end (ties: the lower index). d2 is 3e38 when M < 2. Needs
// WORKGROUP_SIZE 256.
struct Nearest {
  d1: f32,
  d2: f32,
  index: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> x0hat: array<f32>;
@group(0) @binding(5) var<storage, read> data: array<f32>;
@group(0) @binding(9) var<storage, read_write> nearest: array<Nearest>;

const ROWS = 8u;
const LANES = 32u;
const PAIRS = 4u;
const TM = 128u; // LANES * PAIRS
const TK = 16u;

var<workgroup> ys: array<f32, 2064>; // TK x (TM + 1): padded against bank conflicts
var<workgroup> xs: array<f32, 128>; // ROWS x TK
var<workgroup> best1: array<f32, 256>;
var<workgroup> best2: array<f32, 256>;
var<workgroup> best_index: array<u32, 256>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let d = step.dim;
  let row = lid / LANES;
  let lane = lid % LANES;
  var b1 = 3.0e38;
  var b2 = 3.0e38;
  var bi = 0u;
  for (var jb = 0u; jb < step.m; jb += TM) {
    var dist = array<f32, PAIRS>(0.0, 0.0, 0.0, 0.0);
    // Kahan-compensated over the chunks, as in denoise_image_empirical.wgsl: a plain float32 sum
    // of d / TK chunks loses up to d / TK ulps, and the memorisation rule compares d1 with d2.
    var comp = array<f32, PAIRS>(0.0, 0.0, 0.0, 0.0);
    for (var kb = 0u; kb < d; kb += TK) {
      for (var e = lid; e < TM * TK; e += WORKGROUP_SIZE) {
        let j = jb + e / TK;
        let c = kb + e % TK;
        let y = data[min(j, step.m - 1u) * d + min(c, d - 1u)];
        ys[(e % TK) * (TM + 1u) + e / TK] = select(0.0, y, j < step.m && c < d);
      }
      if (lid < ROWS * TK) {
        let i = min(wid.x * ROWS + lid / TK, step.n - 1u);
        let c = kb + lid % TK;
        xs[lid] = select(0.0, x0hat[i * d + min(c, d - 1u)], c < d);
      }
      workgroupBarrier();
      var part = array<f32, PAIRS>(0.0, 0.0, 0.0, 0.0);
      for (var k = 0u; k < TK; k++) {
        let xv = xs[row * TK + k];
        for (var q = 0u; q < PAIRS; q++) {
          let diff = xv - ys[k * (TM + 1u) + lane + q * LANES];
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
