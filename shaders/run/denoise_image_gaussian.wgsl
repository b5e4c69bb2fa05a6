//#include "lib/step.wgsl"
//#include "lib/workgroup.wgsl"
//#include "lib/float.wgsl"

// The exact denoiser of a Gaussian model N(mu, Sigma) of the data, Sigma = V diag(lambda) V^T +
// lambda0 (I - V V^T), V: d x r orthonormal (src/maths/gaussianModel.ts). With u = x - alpha mu and
// c = alpha lambda / (alpha^2 lambda + sigma^2): D(x) = mu + sum_k c_k v_k (v_k . u) + c0 res,
// res = u - sum_k v_k (v_k . u); U = -log N(x; alpha mu, alpha^2 Sigma + sigma^2 I), whose
// eigenvalues are e = alpha^2 lambda + sigma^2. `gaussianModel` (packGaussianModel): mu[d], lambda[r],
// lambda0, padding to a multiple of 4 floats, then V column by column. One workgroup per image;
// needs WORKGROUP_SIZE 256, dim <= 3072, rank <= 256.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<f32>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(8) var<storage, read> gaussianModel: array<f32>;

const LANES = 32u;
const GROUPS = 8u; // WORKGROUP_SIZE / LANES: projections computed at once

var<workgroup> u: array<f32, 3072>;
var<workgroup> red: array<f32, 256>;
var<workgroup> proj: array<f32, 256>; // v_k . u
var<workgroup> shrunk: array<f32, 256>; // c_k (v_k . u)

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let d = step.dim;
  let r = step.rank;
  let a = step.alpha;
  let s2 = step.sigma * step.sigma;
  let basis = (d + r + 4u) / 4u * 4u;
  let i = min(wid.x, step.n - 1u);
  for (var dim = lid; dim < d; dim += WORKGROUP_SIZE) {
    u[dim] = x[i * d + dim] - a * gaussianModel[dim];
  }
  workgroupBarrier();
  // v_k . u for GROUPS directions at a time, LANES threads each, coalesced along v_k.
  let group = lid / LANES;
  let lane = lid % LANES;
  for (var kb = 0u; kb < r; kb += GROUPS) {
    let k = kb + group;
    var sum = 0.0;
    if (k < r) {
      for (var dim = lane; dim < d; dim += LANES) { sum = fma(gaussianModel[basis + k * d + dim], u[dim], sum); }
    }
    red[lid] = sum;
    workgroupBarrier();
    if (lid < GROUPS && kb + lid < r) {
      var p = 0.0;
      for (var t = 0u; t < LANES; t++) { p += red[lid * LANES + t]; }
      let lambda = gaussianModel[d + kb + lid];
      proj[kb + lid] = p;
      shrunk[kb + lid] = a * lambda / (a * a * lambda + s2) * p;
    }
    workgroupBarrier();
  }
  let lambda0 = gaussianModel[d + r];
  let e0 = a * a * lambda0 + s2;
  let c0 = a * lambda0 / e0;
  var res2 = 0.0;
  for (var dim = lid; dim < d; dim += WORKGROUP_SIZE) {
    var along = 0.0;
    var pulled = 0.0;
    for (var k = 0u; k < r; k++) {
      let v = gaussianModel[basis + k * d + dim];
      along = fma(proj[k], v, along);
      pulled = fma(shrunk[k], v, pulled);
    }
    let res = u[dim] - along;
    res2 = fma(res, res, res2);
    if (wid.x < step.n) { x0hat[i * d + dim] = gaussianModel[dim] + pulled + c0 * res; }
  }
  red[lid] = res2;
  workgroupBarrier();
  for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
    if (lid < half) { red[lid] += red[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u && wid.x < step.n) {
    var quad = red[0] / e0;
    var log_det = f32(d - r) * log(e0);
    for (var k = 0u; k < r; k++) {
      let e = a * a * gaussianModel[d + k] + s2;
      quad += proj[k] * proj[k] / e;
      log_det += log(e);
    }
    energy[i] = 0.5 * (f32(d) * LOG_2PI + log_det + quad);
  }
}
