//#include "lib/knn.wgsl"
//#include "lib/float.wgsl"
//#include "lib/workgroup.wgsl"

// Entropy, pass 1 of 2 (src/sim/observe/entropy.ts): for each of the first P points, log r_i with r_i the
// distance to its k-th nearest other point, brute force, O(P^2): the points stream through
// workgroup memory in tiles, and each lane keeps its k smallest squared distances sorted in
// registers. Points not finite or beyond the radius take no part (valid 0, never a neighbour).
@group(0) @binding(0) var<uniform> knn: Knn;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
// Per point: (1, log r_i) when it takes part, (0, 0) when not.
@group(0) @binding(2) var<storage, read_write> log_r: array<vec2f>;

var<workgroup> tile: array<vec2f, WORKGROUP_SIZE>;
var<workgroup> tile_ok: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = gid.x;
  let n = knn.points;
  let k = min(knn.k, K_MAX);
  // Lanes past the end still load tiles and reach every barrier.
  let own = x[min(i, n - 1u)];
  let ok = i < n && knn_usable(own, knn.radius);
  let xi = select(vec2f(0.0), own, ok);
  var best: array<f32, K_MAX>;
  for (var s = 0u; s < K_MAX; s++) { best[s] = FAR; }
  for (var base = 0u; base < n; base += WORKGROUP_SIZE) {
    let j = base + lid.x;
    var p = vec2f(0.0);
    var p_ok = 0u;
    if (j < n) {
      p = x[j];
      p_ok = select(0u, 1u, knn_usable(p, knn.radius));
    }
    tile[lid.x] = p;
    tile_ok[lid.x] = p_ok;
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, n - base);
    for (var jj = 0u; jj < count; jj++) {
      let d = xi - tile[jj];
      let d2 = dot(d, d);
      if (tile_ok[jj] == 0u || base + jj == i || d2 >= best[k - 1u]) { continue; }
      knn_insert(&best, k, d2);
    }
    workgroupBarrier();
  }
  if (i < n) { log_r[i] = knn_log_r(ok, best[k - 1u]); }
}
