// Underdamped Langevin by BAOAB (Leimkuhler & Matthews 2013), part 2 of 2: the closing half kick
// v -= (h/2) grad U at the new x, after its denoiser pass (baoab_baoa.wgsl is part 1).
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec2f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= lane_count(step)) { return; }
  let g = (x[i] - step.alpha * x0hat[i]) / (step.sigma * step.sigma);
  v[i] -= 0.5 * step.h * g;
}
