// Euler on the probability-flow ODE in sigma-space (Karras et al. 2022, Algorithm 1 with
// s(t) = alpha_t): x_hat = x / alpha, sigma_hat = sigma / alpha, d = (x_hat - x0_hat) / sigma_hat.
// Paper -> ours: sigma_i -> sigma_hat_t, D_theta -> x0hat, x_i -> x_hat.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= step.n) { return; }
  let sh_t = step.sigma_t / step.alpha_t;
  let sh_s = step.sigma_s / step.alpha_s;
  let xh = x[i] / step.alpha_t;
  let d = (xh - x0hat[i]) / sh_t;
  x[i] = step.alpha_s * (xh + (sh_s - sh_t) * d);
}
