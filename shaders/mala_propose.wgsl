// MALA (Roberts & Tweedie 1996), part 1 of 2: holds (x, x0_hat, U) and proposes the ULA move
// x' = x - h grad U(x) + sqrt(2 h T) z, grad U = (x - alpha x0_hat) / sigma^2. The proposal's
// log density is log q(x' | x) = -|z|^2 / 2 + const; |z|^2 / 2 is held for mala_accept.wgsl.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read> energy: array<f32>;
@group(0) @binding(7) var<storage, read_write> held: array<Held>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= lane_count(step)) { return; }
  let xi = x[i];
  let d = x0hat[i];
  let g = (xi - step.alpha * d) / (step.sigma * step.sigma);
  let moves = held[i].moves;
  let z = normal2(step.seed, STREAM_LANGEVIN, i, moves);
  held[i] = Held(xi, d, energy[particle_of(step, i)], 0.5 * dot(z, z), moves, 0u);
  x[i] = xi - step.h * g + sqrt(2.0 * step.h * step.temperature) * z;
}
