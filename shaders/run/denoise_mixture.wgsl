//#include "lib/particles.wgsl"
//#include "lib/mixture.wgsl"

// Exact denoiser of a Gaussian mixture {pi_k, mu_k, Sigma_k} at level (alpha, sigma):
// p_t(x) = sum_k pi_k N(x; alpha mu_k, C_k), C_k = alpha^2 Sigma_k + sigma^2 I, and
// E[x0 | x] = sum_k r_k(x) (mu_k + alpha Sigma_k C_k^-1 (x - alpha mu_k)), r_k the responsibilities,
// accumulated with an online softmax over k. Also writes the energy U = -log p_t(x).
// Class-conditional (step.label a class): the mixture restricted to the class's components, its
// weights renormalised: the softmax over them, and U = -log p_t(x | c), which is the restricted
// log-sum-exp plus log P(c) (step.log_share, the class's total weight).
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(6) var<storage, read> mixture: array<Component>;

fn step_particle(i: u32) {
  let s = mixture_softmax(x[i], step.alpha, step.sigma * step.sigma, step.k, true, step.label);
  x0hat[i] = softmax_mean(s);
  energy[i] = -softmax_log_sum(s) + step.log_share;
}
