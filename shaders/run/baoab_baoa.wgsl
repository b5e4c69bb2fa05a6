//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/langevin_state.wgsl"
//#include "lib/score.wgsl"

// Underdamped (kinetic) Langevin, unit mass, by BAOAB (Leimkuhler & Matthews 2013), part 1 of 2:
// B v -= (h/2) grad U; A x += (h/2) v; O v <- c v + sqrt((1 - c^2) T) z, c = exp(-gamma h);
// A x += (h/2) v. The closing B follows the denoiser at the new x (baoab_b.wgsl), so a step costs
// one evaluation. gamma = 0: O is the identity and the step is velocity Verlet (Hamiltonian).
// Heat released to the bath in units of T: the kinetic energy O removes (Sivak, Chodera & Crooks
// 2013), (|v|^2 - |v_O|^2) / (2 T).
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;

fn step_lane(i: u32) {
  let xi = x[i];
  let g = grad_u(xi, x0hat[i], step.alpha, step.sigma);
  let half = 0.5 * step.h;
  let vb = v[i] - half * g;
  let xa = xi + half * vb;
  // 1 - c^2 = 1 - exp(-2 gamma h), by its series where the subtraction would cancel (it loses
  // log10(1 / a) digits): below a = 0.1 the series to a^6 is good to a^6 / 5040 < 2e-10.
  let a = 2.0 * step.gamma * step.h;
  let series = a * (1.0 - a * (0.5 - a * (1.0 / 6.0 - a * (1.0 / 24.0 - a * (1.0 / 120.0 - a / 720.0)))));
  let one_minus_c2 = select(1.0 - exp(-a), series, a < 0.1);
  let moves = langevinState[i].moves;
  let z = normal2(step.seed, STREAM_LANGEVIN, i, moves);
  let vo = exp(-0.5 * a) * vb + sqrt(one_minus_c2 * step.temperature) * z;
  heat[i] += 0.5 * (dot(vb, vb) - dot(vo, vo)) / step.temperature;
  langevinState[i].moves = moves + 1u;
  v[i] = vo;
  x[i] = xa + half * vo;
}
