// One step of a run, from level t to level s, as the CPU wrote it into the step table
// (src/sim/stepTable.ts). Notation: x_t = alpha_t x0 + sigma_t eps.
struct Step {
  t: f32,
  alpha_t: f32,
  sigma_t: f32,
  s: f32,
  alpha_s: f32,
  sigma_s: f32,
  // The level the denoiser evaluates at: t, or s for Heun's correction.
  alpha: f32,
  sigma: f32,
  eta: f32,
  // Particles, stored data points, mixture components.
  n: u32,
  m: u32,
  k: u32,
  seed: u32,
  // The step's number: the RNG counter of its fresh noise.
  index: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

// Flat particle index of a 1D or 2D dispatch (2D when n needs more than 65535 workgroups).
fn particle_index(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * WORKGROUP_SIZE + lid.x;
}
