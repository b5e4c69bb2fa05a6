//#include "lib/workgroup.wgsl"

// Image observables, pass 0 (src/sim/observe/imageMetrics.ts): each image, a point of R^dim,
// reduced to what the point-cloud passes read per particle (obs_reduce.wgsl, obs_image_knn.wgsl):
// norm_x = (|x|, 0), so that their radius and finiteness tests hold in R^dim (a norm that
// overflows float32 counts as not finite); norm_v = (|v| sqrt(2 / dim), 0), so that
// obs_reduce's <|v|^2> / 2 is <|v|^2> / dim, the kinetic temperature; heat_sum, the image's heat,
// summed over its dim / 2 coordinate pairs. One invocation per image, sequential fma sums.
// Float64 reference: src/maths/imageObservables.ts.
struct ImageSummary {
  n: u32,
  dim: u32,
  // 1: v bound, 4: heat bound (as obs_reduce's flags).
  inputs: u32,
}

@group(0) @binding(0) var<uniform> summary: ImageSummary;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> heat: array<f32>;
@group(0) @binding(4) var<storage, read_write> norm_x: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> norm_v: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> heat_sum: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= summary.n) { return; }
  let d = summary.dim;
  var sx = 0.0;
  for (var c = 0u; c < d; c++) {
    let a = x[i * d + c];
    sx = fma(a, a, sx);
  }
  norm_x[i] = vec2f(sqrt(sx), 0.0);
  if ((summary.inputs & 1u) != 0u) {
    var sv = 0.0;
    for (var c = 0u; c < d; c++) {
      let a = v[i * d + c];
      sv = fma(a, a, sv);
    }
    norm_v[i] = vec2f(sqrt(sv * (2.0 / f32(d))), 0.0);
  }
  if ((summary.inputs & 4u) != 0u) {
    let pairs = d / 2u;
    var h = 0.0;
    for (var l = 0u; l < pairs; l++) { h += heat[i * pairs + l]; }
    heat_sum[i] = h;
  }
}
