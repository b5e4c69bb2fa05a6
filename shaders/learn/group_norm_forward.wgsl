//#include "lib/reduce.wgsl"
//#include "lib/group_norm.wgsl"

// GroupNorm, forward (Wu & He 2018; PyTorch nn.GroupNorm): per sample n and group g, over its
// m = (C / G) H W values (contiguous in NCHW),
//   y = gamma_c (x - mean) / sqrt(var + eps) + beta_c, var the biased variance,
// in two passes shifted by the group's first value p: shift = sum (x - p) / m, then
// var = sum ((x - p) - shift)^2 / m (its error does not grow with |mean| / std). One workgroup
// per (n, g), flat over a 2D grid; each lane sums i = lid, lid + WORKGROUP_SIZE, ... in order,
// then the workgroup's tree (lib/reduce.wgsl). (p, shift, r) go to `stats` for the backward.
@group(0) @binding(0) var<uniform> norm: GroupNorm;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let k = wid.y * nwg.x + wid.x;
  let live = k < norm.batch * norm.groups;
  let per = norm.channels / norm.groups;
  // A workgroup past the end sums nothing and writes nothing, but reaches every barrier.
  let m = select(0u, per * norm.pixels, live);
  let base = k * per * norm.pixels;
  var p = 0.0;
  if (live) { p = x[base]; }
  var part = 0.0;
  for (var i = lid; i < m; i += WORKGROUP_SIZE) { part += x[base + i] - p; }
  let shift = workgroup_sum(vec2f(part, 0.0), lid).x / f32(m);
  // Every lane has read the tree before the next sum overwrites it.
  workgroupBarrier();
  var squares = 0.0;
  for (var i = lid; i < m; i += WORKGROUP_SIZE) {
    let d = (x[base + i] - p) - shift;
    squares += d * d;
  }
  let variance = workgroup_sum(vec2f(squares, 0.0), lid).x / f32(m);
  let s = vec3f(p, shift, inverseSqrt(variance + norm.eps));
  if (live && lid == 0u) {
    stats[STATS * k] = s.x;
    stats[STATS * k + 1u] = s.y;
    stats[STATS * k + 2u] = s.z;
  }
  let first = (k % norm.groups) * per;
  for (var i = lid; i < m; i += WORKGROUP_SIZE) {
    let c = norm.offset + first + i / norm.pixels;
    y[base + i] = normalised(x[base + i], s) * params[c] + params[c + norm.channels];
  }
}
