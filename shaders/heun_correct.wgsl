// Heun's method, second half (Karras et al. 2022, Algorithm 1, lines 7-8): with the denoiser
// evaluated at the Euler prediction, x_hat_s = x_hat_t + (sigma_hat_s - sigma_hat_t) (d_t + d_s) / 2.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read> aux: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= lane_count(step)) { return; }
  let sh_t = step.sigma_t / step.alpha_t;
  let sh_s = step.sigma_s / step.alpha_s;
  let saved = aux[i];
  let d_s = (x[i] / step.alpha_s - x0hat[i]) / sh_s;
  x[i] = step.alpha_s * (saved.xy + (sh_s - sh_t) * 0.5 * (saved.zw + d_s));
}
