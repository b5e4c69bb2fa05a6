//#include "lib/knn.wgsl"
//#include "lib/workgroup.wgsl"

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

var<workgroup> lists: array<f32, 1024>; // WORKGROUP_SIZE (64) x K_MAX

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x;
  let n = knn.points;
  let d = knn.dim;
  let k = min(knn.k, K_MAX);
  let ok = knn_usable(norm_x[i], knn.radius);
  var best: array<f32, K_MAX>;
  for (var s = 0u; s < K_MAX; s++) { best[s] = FAR; }
  if (ok) {
    for (var j = lid; j < n; j += WORKGROUP_SIZE) {
      if (j == i || !knn_usable(norm_x[j], knn.radius)) { continue; }
      var d2 = 0.0;
      for (var c = 0u; c < d; c++) {
        let diff = x[i * d + c] - x[j * d + c];
        d2 = fma(diff, diff, d2);
      }
      if (d2 < best[k - 1u]) { knn_insert(&best, k, d2); }
    }
  }
  for (var s = 0u; s < K_MAX; s++) { lists[lid * K_MAX + s] = best[s]; }
  workgroupBarrier();
  if (lid != 0u) { return; }
  for (var t = 1u; t < WORKGROUP_SIZE; t++) {
    for (var q = 0u; q < k; q++) {
      let d2 = lists[t * K_MAX + q];
      if (d2 >= best[k - 1u]) { break; }
      knn_insert(&best, k, d2);
    }
  }
  log_r[i] = knn_log_r(ok, best[k - 1u]);
}
