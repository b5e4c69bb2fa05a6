// MALA part 2 of 2, after the denoiser at the proposal x': accepts with probability
// min(1, exp(-(U' - U) / T) q(x | x') / q(x' | x)), q(b | a) = N(b; a - h grad U(a), 2 h T I), so
// log q(x | x') = -|x - x' + h g'|^2 / (4 h T) and log q(x' | x) = -|z|^2 / 2 (held). A rejected
// particle gets its held x, x0_hat and U back, so `energy` holds U at x after every step; a NaN
// acceptance ratio (an unstable h) rejects. Heat of an accepted move (Sekimoto 1998, midpoint):
// -(g + g') . (x' - x) / (2 T); a rejected move releases none. accept = 1 if accepted, else 0.
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(5) var<storage, read_write> accept: array<f32>;
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;
@group(0) @binding(7) var<storage, read_write> held: array<Held>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = particle_index(wid, nwg, lid);
  if (i >= step.n) { return; }
  let hd = held[i];
  let xp = x[i];
  let s2 = step.sigma * step.sigma;
  let g = (hd.x - step.alpha * hd.x0hat) / s2;
  let gp = (xp - step.alpha * x0hat[i]) / s2;
  let back = hd.x - xp + step.h * gp;
  let log_ratio = -(energy[i] - hd.energy) / step.temperature
                  - dot(back, back) / (4.0 * step.h * step.temperature) + hd.log_q;
  let u = to_uniform(threefry2x32(vec2u(step.seed, STREAM_ACCEPT), vec2u(i, hd.moves)).x);
  if (log(u) < log_ratio) {
    heat[i] -= 0.5 * dot(g + gp, xp - hd.x) / step.temperature;
    accept[i] = 1.0;
  } else {
    x[i] = hd.x;
    x0hat[i] = hd.x0hat;
    energy[i] = hd.energy;
    accept[i] = 0.0;
  }
  held[i].moves = hd.moves + 1u;
}
