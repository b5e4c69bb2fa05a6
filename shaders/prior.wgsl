// Start of a reverse run: x_T = sigma_T eps, the Gaussian prior at the noisiest level.
// The eps is the forward jump's, so the prior and a forward jump to t = 1 share their noise.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= lane_count(step)) { return; }
  x[i] = step.sigma_t * normal2(step.seed, STREAM_NOISE, i, 0u);
}
