//#include "lib/particles.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/langevin_state.wgsl"
//#include "lib/score.wgsl"

// MALA part 2 of 2, after the denoiser at the proposal x': accepts with probability
// min(1, exp(-(U' - U) / T) q(x | x') / q(x' | x)), q(b | a) = N(b; a - h grad U(a), 2 h T I), so
// log q(x | x') = -|x - x' + h g'|^2 / (4 h T) and log q(x' | x) = -|z|^2 / 2 (langevinState). A rejected
// particle gets its langevinState x, x0_hat and U back, so `energy` holds U at x after every step; a NaN
// acceptance ratio (an unstable h) rejects. Heat of an accepted move (Sekimoto 1998, midpoint):
// -(g + g') . (x' - x) / (2 T); a rejected move releases none. accept = 1 if accepted, else 0.
// One invocation per particle, over its dim / 2 lanes (an image accepts or rejects as a whole);
// the heat goes to the particle's first lane.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(5) var<storage, read_write> accept: array<f32>;
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;

fn step_particle(p: u32) {
  let lanes = step.dim / 2u;
  let first = p * lanes;
  var back2 = 0.0;
  var log_q = 0.0;
  var work = 0.0;
  for (var j = first; j < first + lanes; j++) {
    let hd = langevinState[j];
    let xp = x[j];
    let g = grad_u(hd.x, hd.x0hat, step.alpha, step.sigma);
    let gp = grad_u(xp, x0hat[j], step.alpha, step.sigma);
    let back = hd.x - xp + step.h * gp;
    back2 += dot(back, back);
    log_q += hd.log_q;
    work += dot(g + gp, xp - hd.x);
  }
  let held_energy = langevinState[first].energy;
  let moves = langevinState[first].moves;
  let log_ratio = -(energy[p] - held_energy) / step.temperature
                  - back2 / (4.0 * step.h * step.temperature) + log_q;
  let u = to_uniform(threefry2x32(vec2u(step.seed, STREAM_ACCEPT), vec2u(p, moves)).x);
  let accepted = log(u) < log_ratio;
  if (accepted) {
    heat[first] -= 0.5 * work / step.temperature;
    accept[p] = 1.0;
  } else {
    energy[p] = held_energy;
    accept[p] = 0.0;
  }
  for (var j = first; j < first + lanes; j++) {
    if (!accepted) {
      x[j] = langevinState[j].x;
      x0hat[j] = langevinState[j].x0hat;
    }
    langevinState[j].moves = moves + 1u;
  }
}
