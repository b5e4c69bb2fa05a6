//#include "lib/invocations.wgsl"
//#include "lib/group_norm.wgsl"

// GroupNorm, backward pass 2 of 3 (after learn/group_norm_sums): the input's gradient, one value
// per invocation,
//   dx = r ((dy gamma_c - a / m) - xhat (b / m)),
// a = sum over the group's channels c' (in order) of gamma_c' sum dy, b the same of
// gamma_c' sum dy xhat (the per-plane sums of pass 1), m = (C / G) H W: the gradient of
// y = gamma xhat + beta through the group's mean and variance (Ioffe & Szegedy 2015, section 3).
@group(0) @binding(0) var<uniform> norm: GroupNorm;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> params: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read> sums: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= norm.batch * norm.channels * norm.pixels) { return; }
  let per = norm.channels / norm.groups;
  let plane = i / norm.pixels;
  let n = plane / norm.channels;
  let g = (plane % norm.channels) / per;
  let k = STATS * (n * norm.groups + g);
  let s = vec3f(stats[k], stats[k + 1u], stats[k + 2u]);
  var a = 0.0;
  var b = 0.0;
  for (var j = 0u; j < per; j++) {
    let c = g * per + j;
    let gamma = params[norm.offset + c];
    a += gamma * sums[2u * (n * norm.channels + c)];
    b += gamma * sums[2u * (n * norm.channels + c) + 1u];
  }
  let m = f32(per * norm.pixels);
  let gi = dy[i] * params[norm.offset + plane % norm.channels];
  dx[i] = s.z * ((gi - a / m) - normalised(x[i], s) * (b / m));
}
