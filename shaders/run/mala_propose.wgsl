//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/langevin_state.wgsl"
//#include "lib/score.wgsl"

// MALA (Roberts & Tweedie 1996), part 1 of 2: holds (x, x0_hat, U) and proposes the ULA move
// x' = x - h grad U(x) + sqrt(2 h T) z, grad U = (x - alpha x0_hat) / sigma^2. The proposal's
// log density is log q(x' | x) = -|z|^2 / 2 + const; |z|^2 / 2 is langevinState for mala_accept.wgsl.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read> energy: array<f32>;

fn step_lane(i: u32) {
  let xi = x[i];
  let d = x0hat[i];
  let g = grad_u(xi, d, step.alpha, step.sigma);
  let moves = langevinState[i].moves;
  let z = normal2(step.seed, STREAM_LANGEVIN, i, moves);
  langevinState[i] = LangevinState(xi, d, energy[particle_of(step, i)], 0.5 * dot(z, z), moves, 0u);
  x[i] = overdamped_move(xi, g, z, step.h, step.temperature);
}
