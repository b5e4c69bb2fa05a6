// Image entropy, pass 1 of 2 (src/sim/observe/imageMetrics.ts; pass 2 is obs_knn_sum.wgsl): for
// each of the first P images, log r_i with r_i the distance in R^dim to its k-th nearest other
// image, brute force, O(P^2 dim). One workgroup per image: each lane takes every
// WORKGROUP_SIZE-th other image, sums its squared distance over the dim coordinates (fma, in
// order) and keeps its k smallest sorted; lane 0 then merges the lanes' lists. Images not finite
// or beyond the radius (their norm from obs_image_summary.wgsl) take no part.
struct ImageKnn {
  points: u32,
  dim: u32,
  k: u32,
  radius: f32,
}

@group(0) @binding(0) var<uniform> knn: ImageKnn;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> norm_x: array<vec2f>;
// Per image: (1, log r_i) when it takes part, (0, 0) when not.
@group(0) @binding(3) var<storage, read_write> log_r: array<vec2f>;

// The most neighbours a lane keeps (the largest k), as in obs_knn.wgsl.
const K_MAX: u32 = 16u;
const FAR: f32 = 3.0e38;
// src/maths/imageObservables.ts MIN_DISTANCE_SQUARED.
const MIN_DISTANCE_SQUARED: f32 = 1e-30;

var<workgroup> lists: array<f32, 1024>; // WORKGROUP_SIZE (64) x K_MAX

fn finite(f: f32) -> bool {
  return (bitcast<u32>(f) & 0x7f800000u) != 0x7f800000u;
}

// The test of obs_knn.wgsl on (|x|, 0).
fn usable(p: vec2f) -> bool {
  let r = knn.radius;
  return finite(p.x) && finite(p.y) && max(abs(p.x), abs(p.y)) <= r && dot(p, p) <= r * r;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x;
  let n = knn.points;
  let d = knn.dim;
  let k = min(knn.k, K_MAX);
  let ok = usable(norm_x[i]);
  var best: array<f32, K_MAX>;
  for (var s = 0u; s < K_MAX; s++) { best[s] = FAR; }
  if (ok) {
    for (var j = lid; j < n; j += WORKGROUP_SIZE) {
      if (j == i || !usable(norm_x[j])) { continue; }
      var d2 = 0.0;
      for (var c = 0u; c < d; c++) {
        let diff = x[i * d + c] - x[j * d + c];
        d2 = fma(diff, diff, d2);
      }
      if (d2 >= best[k - 1u]) { continue; }
      for (var s = 0u; s < k; s++) {
        let b = best[s];
        if (d2 < b) {
          best[s] = d2;
          d2 = b;
        }
      }
    }
  }
  for (var s = 0u; s < K_MAX; s++) { lists[lid * K_MAX + s] = best[s]; }
  workgroupBarrier();
  if (lid != 0u) { return; }
  for (var t = 1u; t < WORKGROUP_SIZE; t++) {
    for (var q = 0u; q < k; q++) {
      var d2 = lists[t * K_MAX + q];
      if (d2 >= best[k - 1u]) { break; }
      for (var s = 0u; s < k; s++) {
        let b = best[s];
        if (d2 < b) {
          best[s] = d2;
          d2 = b;
        }
      }
    }
  }
  let kth = best[k - 1u];
  if (ok && kth < FAR) {
    log_r[i] = vec2f(1.0, 0.5 * log(max(kth, MIN_DISTANCE_SQUARED)));
  } else {
    log_r[i] = vec2f(0.0);
  }
}
