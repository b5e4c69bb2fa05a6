// The ideal (empirical) denoiser over M stored points y_j: softmax attention of the query x over
// keys alpha y_j and values y_j, logit_j = -|x - alpha y_j|^2 / (2 sigma^2), x0_hat = sum_j w_j y_j.
// Tiled: each workgroup streams the data through workgroup memory, and every particle keeps an
// online (running max) softmax, so the N x M matrix never exists (Milakov & Gimelshein 2018).
// Energy: U = -logsumexp_j logit_j + log M + (d / 2) log(2 pi sigma^2), d = 2.
// Smoothed (Scarvelis, Borde & Solomon 2023): with step.draws = K > 1 the denoiser is averaged over
// K Gaussian perturbations of the query, D_s(x) = E_z[D(x + s z)], s = step.smoothing, the noise
// of draw k from STREAM_SMOOTH at counter (i K + k, evaluation) as in denoise_image_empirical.wgsl;
// U is then the draws' mean.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(5) var<storage, read> data: array<vec2f>;

var<workgroup> tile: array<vec2f, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  // Lanes past the end still load tiles and reach every barrier.
  let valid = i < step.n;
  let xi = x[min(i, step.n - 1u)];
  let a = step.alpha;
  let inv = 1.0 / (2.0 * step.sigma * step.sigma);
  var sum_x0 = vec2f(0.0);
  var sum_u = 0.0;
  for (var k = 0u; k < step.draws; k++) {
    var q = xi;
    if (step.smoothing > 0.0) {
      q += step.smoothing * normal2(step.seed, STREAM_SMOOTH, i * step.draws + k, step.evaluation);
    }
    var m = -3.0e38;
    var l = 0.0;
    var acc = vec2f(0.0);
    for (var base = 0u; base < step.m; base += WORKGROUP_SIZE) {
      let j = base + lid.x;
      if (j < step.m) {
        tile[lid.x] = data[j];
      }
      workgroupBarrier();
      let count = min(WORKGROUP_SIZE, step.m - base);
      for (var jj = 0u; jj < count; jj++) {
        let y = tile[jj];
        let dv = q - a * y;
        let logit = -dot(dv, dv) * inv;
        if (logit > m) {
          let scale = exp(m - logit);
          l = l * scale + 1.0;
          acc = acc * scale + y;
          m = logit;
        } else {
          let w = exp(logit - m);
          l += w;
          acc += w * y;
        }
      }
      workgroupBarrier();
    }
    sum_x0 += acc / l;
    sum_u += -(m + log(l));
  }
  if (valid) {
    let k = f32(step.draws);
    x0hat[i] = sum_x0 / k;
    energy[i] = sum_u / k + log(f32(step.m)) + log(step.sigma * step.sigma) + LOG_2PI;
  }
}
