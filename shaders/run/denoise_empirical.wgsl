//#include "lib/step.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/float.wgsl"
//#include "lib/empirical.wgsl"
//#include "lib/invocations.wgsl"

// The ideal (empirical) denoiser over M stored points y_j: softmax attention of the query x over
// keys alpha y_j and values y_j, logit_j = -|x - alpha y_j|^2 / (2 sigma^2), x0_hat = sum_j w_j y_j.
// Tiled: each workgroup streams the data through workgroup memory, and every particle keeps an
// online (running max) softmax, so the N x M matrix never exists (Milakov & Gimelshein 2018).
// Energy: U = -logsumexp_j logit_j + log M + (d / 2) log(2 pi sigma^2), d = 2.
// Smoothed (Scarvelis, Borde & Solomon 2023): with step.draws = K > 1 the denoiser is averaged over
// K Gaussian perturbations of the query, D_s(x) = E_z[D(x + s z)], s = step.smoothing, the noise
// of draw k from STREAM_SMOOTH at counter (i K + k, evaluation) as in denoise_image_empirical.wgsl;
// U is then the draws' mean.
// Class-conditional (step.label a class): the same over the class's M_c points, U + log(M_c / M)
// (step.log_share) putting log M_c in place of log M.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(5) var<storage, read> data: array<vec2f>;
@group(0) @binding(7) var<storage, read> labels: array<u32>;

fn point_label(j: u32) -> u32 {
  return labels[j];
}

fn invocation(i: u32, lid: u32) {
  // Lanes past the end still load tiles and reach every barrier.
  let xi = x[min(i, step.n - 1u)];
  let inv = 1.0 / (2.0 * step.sigma * step.sigma);
  var sum_x0 = vec2f(0.0);
  var sum_u = 0.0;
  for (var k = 0u; k < step.draws; k++) {
    var q = xi;
    if (step.smoothing > 0.0) {
      q += step.smoothing * normal2(step.seed, STREAM_SMOOTH, i * step.draws + k, step.evaluation);
    }
    let s = empirical_softmax(q, step.alpha, inv, step.m, lid, false, step.label);
    sum_x0 += softmax_mean(s);
    sum_u -= softmax_log_sum(s);
  }
  if (i < step.n) {
    let k = f32(step.draws);
    x0hat[i] = sum_x0 / k;
    energy[i] = sum_u / k + log(f32(step.m)) + step.log_share + log(step.sigma * step.sigma) + LOG_2PI;
  }
}
