// Heun's method, first half (Karras et al. 2022, Algorithm 1, lines 5-6): the Euler step of
// euler.wgsl, keeping (x_hat_t, d_t) for the correction. On the last step, to sigma = 0, this
// Euler step is the whole step.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> aux: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= lane_count(step)) { return; }
  let sh_t = step.sigma_t / step.alpha_t;
  let sh_s = step.sigma_s / step.alpha_s;
  let xh = x[i] / step.alpha_t;
  let d = (xh - x0hat[i]) / sh_t;
  aux[i] = vec4f(xh, d);
  x[i] = step.alpha_s * (xh + (sh_s - sh_t) * d);
}
