//#include "lib/image_tiles.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/float.wgsl"
//#include "lib/labels.wgsl"

// The ideal empirical denoiser over M training images (../shared/docs/maths.md section 2), and the
// smoothed closed-form denoiser of Scarvelis, Borde & Solomon 2023 ("Closed-form diffusion
// models"): D_s(x) = E_z[D(x + s z)] by `draws` Monte Carlo draws (draws 1, smoothing 0: plain).
// Flash-attention style (Dao et al. 2022): a workgroup owns ROWS query rows (ROWS / draws images,
// each `draws` times), streams blocks of TM training images; the distances go through workgroup
// tiles of TK coordinates, then an online softmax per row, then acc[row][dim] += w y_j over dims
// owned by threads (dims lid, lid + 256, ...). Distances are summed as (x - a y)^2, not expanded
// into dot products: the expansion cancels catastrophically at small sigma. Needs WORKGROUP_SIZE
// 256 (32 lanes per row) and dim <= 3072 (12 dims per thread), dim even.
// Class-conditional (step.label a class, as run/denoise_empirical.wgsl): the images of other
// classes get weight 0 and never set the row's minimum, so the softmax is the one over the class's
// M_c images, and U adds step.log_share = log(M_c / M), putting log M_c in place of log M.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<f32>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(7) var<storage, read> labels: array<u32>;

const CHUNKS = 12u;

var<workgroup> pw: array<vec4f, 256>; // weights w[j] of rows 0-3, 4-7
var<workgroup> red: array<f32, 256>;
var<workgroup> row_m: array<f32, ROWS>;
var<workgroup> row_scale: array<f32, ROWS>;

// Coordinates c, c + 1 of draw k of image i: x + s z.
fn query(i: u32, k: u32, c: u32) -> vec2f {
  var v = vec2f(x[i * step.dim + c], x[i * step.dim + c + 1u]);
  if (step.smoothing > 0.0) {
    let lane = i * (step.dim / 2u) + c / 2u;
    v += step.smoothing * normal2(step.seed, STREAM_SMOOTH, lane * step.draws + k, step.evaluation);
  }
  return v;
}

// Whether training image j is one of the images the softmax takes: j < M, of the class kept.
fn takes(j: u32) -> bool {
  return j < step.m && keeps(step.label, labels[min(j, step.m - 1u)]);
}

// Row r's coordinates: draw r % draws of query image group ROWS / draws + r / draws (the last
// one past step.n), two at a time.
fn load_queries(kb: u32, lid: u32, group: u32) {
  if (lid < ROWS * TK / 2u) {
    let r = lid / (TK / 2u);
    let c = 2u * (lid % (TK / 2u));
    let i = min(group * (ROWS / step.draws) + r / step.draws, step.n - 1u);
    let v = select(vec2f(0.0), query(i, r % step.draws, kb + c), kb + c < step.dim);
    xs[r * TK + c] = v.x;
    xs[r * TK + c + 1u] = v.y;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let d = step.dim;
  let per = ROWS / step.draws;
  let row = lid / LANES;
  let lane = lid % LANES;
  let a = step.alpha;
  let inv = 1.0 / (2.0 * step.sigma * step.sigma);
  if (lid < ROWS) { row_m[lid] = 3.0e38; } // the row's smallest distance so far
  var acc: array<vec4f, 24>; // 2 * CHUNKS: rows 0-3 and 4-7 of dim lid + c WORKGROUP_SIZE
  var l = 0.0; // this lane's part of its row's softmax denominator
  for (var jb = 0u; jb < step.m; jb += TM) {
    let tiles = block_distances(jb, lid, wid.x, a);
    let dist = tiles.dist;
    let comp = tiles.comp;
    // Online softmax over logits -D / (2 sigma^2), shifted by the row's smallest distance so far
    // (row_m): D_j - D_min is exact between close distances (Sterbenz), and the compensation
    // (D_j's true value is dist - comp) enters after the shift, so the weights do not carry the
    // rounding of D_j itself, ~EPS32 D_j / (2 sigma^2), which is large for large d / sigma^2.
    var block_min = 3.0e38;
    for (var q = 0u; q < PAIRS; q++) {
      if (takes(jb + lane + q * LANES)) { block_min = min(block_min, dist[q]); }
    }
    red[lid] = block_min;
    workgroupBarrier();
    if (lid < ROWS) {
      var mn = row_m[lid];
      for (var t = 0u; t < LANES; t++) { mn = min(mn, red[lid * LANES + t]); }
      row_scale[lid] = exp(-(row_m[lid] - mn) * inv);
      row_m[lid] = mn;
    }
    workgroupBarrier();
    l *= row_scale[row];
    for (var q = 0u; q < PAIRS; q++) {
      let j = lane + q * LANES;
      let w = select(0.0, exp(-((dist[q] - row_m[row]) - comp[q]) * inv), takes(jb + j));
      l += w;
      pw[2u * j + row / 4u][row % 4u] = w;
    }
    workgroupBarrier();
    let s0 = vec4f(row_scale[0], row_scale[1], row_scale[2], row_scale[3]);
    let s1 = vec4f(row_scale[4], row_scale[5], row_scale[6], row_scale[7]);
    let count = min(TM, step.m - jb);
    for (var c = 0u; c < CHUNKS; c++) {
      let dim = lid + c * WORKGROUP_SIZE;
      if (dim < d) {
        var a0 = acc[2u * c] * s0;
        var a1 = acc[2u * c + 1u] * s1;
        for (var j = 0u; j < count; j++) {
          let y = vec4f(data[(jb + j) * d + dim]);
          a0 = fma(pw[2u * j], y, a0);
          a1 = fma(pw[2u * j + 1u], y, a1);
        }
        acc[2u * c] = a0;
        acc[2u * c + 1u] = a1;
      }
    }
    workgroupBarrier();
  }
  red[lid] = l;
  workgroupBarrier();
  if (lid < ROWS) {
    var sum = 0.0;
    for (var t = 0u; t < LANES; t++) { sum += red[lid * LANES + t]; }
    row_scale[lid] = sum; // now the row's softmax denominator
  }
  workgroupBarrier();
  let l0 = vec4f(row_scale[0], row_scale[1], row_scale[2], row_scale[3]);
  let l1 = vec4f(row_scale[4], row_scale[5], row_scale[6], row_scale[7]);
  let kw = 1.0 / f32(step.draws);
  for (var c = 0u; c < CHUNKS; c++) {
    let dim = lid + c * WORKGROUP_SIZE;
    let a0 = acc[2u * c] / l0;
    let a1 = acc[2u * c + 1u] / l1;
    var v = array<f32, ROWS>(a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w);
    for (var li = 0u; li < per; li++) {
      let i = wid.x * per + li;
      if (dim < d && i < step.n) {
        var mean = 0.0;
        for (var k = 0u; k < step.draws; k++) { mean += v[li * step.draws + k]; }
        x0hat[i * d + dim] = mean * kw;
      }
    }
  }
  let i = wid.x * per + lid;
  if (lid < per && i < step.n) {
    let constant = log(f32(step.m)) + step.log_share + 0.5 * f32(d) * (LOG_2PI + 2.0 * log(step.sigma));
    var u = 0.0;
    for (var k = 0u; k < step.draws; k++) {
      let r = lid * step.draws + k;
      u += constant + row_m[r] * inv - log(row_scale[r]);
    }
    energy[i] = u * kw;
  }
}
