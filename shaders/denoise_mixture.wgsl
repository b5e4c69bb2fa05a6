// Exact denoiser of a Gaussian mixture {pi_k, mu_k, Sigma_k} at level (alpha, sigma):
// p_t(x) = sum_k pi_k N(x; alpha mu_k, C_k), C_k = alpha^2 Sigma_k + sigma^2 I, and
// E[x0 | x] = sum_k r_k(x) (mu_k + alpha Sigma_k C_k^-1 (x - alpha mu_k)), r_k the responsibilities,
// accumulated with an online softmax over k. Also writes the energy U = -log p_t(x).
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(6) var<storage, read> mixture: array<Component>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= step.n) { return; }
  let xi = x[i];
  let a = step.alpha;
  let s2 = step.sigma * step.sigma;
  var m = -3.0e38;
  var l = 0.0;
  var acc = vec2f(0.0);
  for (var k = 0u; k < step.k; k++) {
    let c = mixture[k];
    let term = component_term(c, xi, a, s2);
    let logit = term.logit;
    let ci_r = term.ci_r;
    let mean_k = c.mean + a * vec2f(c.cov.x * ci_r.x + c.cov.y * ci_r.y,
                                    c.cov.y * ci_r.x + c.cov.z * ci_r.y);
    if (logit > m) {
      let scale = exp(m - logit);
      l = l * scale + 1.0;
      acc = acc * scale + mean_k;
      m = logit;
    } else {
      let w = exp(logit - m);
      l += w;
      acc += w * mean_k;
    }
  }
  x0hat[i] = acc / l;
  energy[i] = -(m + log(l));
}
