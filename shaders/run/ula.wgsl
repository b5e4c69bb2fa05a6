//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/langevin_state.wgsl"
//#include "lib/score.wgsl"

// Overdamped Langevin at temperature T (ULA; Roberts & Tweedie 1996), also the corrector move of
// annealed Langevin (Song & Ermon 2019) and predictor-corrector (Song et al. 2021), whose step
// tables set h to their e_i: x <- x - h grad U + sqrt(2 h T) z, with U = -log p at the denoiser's
// level and grad U = -score = (x - alpha x0_hat) / sigma^2 (Tweedie).
// Heat released to the bath in units of T (Sekimoto 1998): dQ = -grad U o dx / T, Stratonovich,
// the gradients at both ends of the move averaged. The gradient at the end is the next
// evaluation's, so this kernel first closes the pending move (x_prev, x0hat_prev) with the gradient
// at x: Q -= (g_prev + g) . (x - x_prev) / (2 T). On the last move at an energy (close = 1) the
// next gradient is of another energy: that move is closed at once at its start point, -g . dx / T.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> heat: array<f32>;

fn step_lane(i: u32) {
  let xi = x[i];
  let d = x0hat[i];
  let g = grad_u(xi, d, step.alpha, step.sigma);
  var hd = langevinState[i];
  var q = heat[i];
  if (hd.pending == 1u) {
    let g_prev = grad_u(hd.x, hd.x0hat, step.alpha, step.sigma);
    q -= 0.5 * dot(g_prev + g, xi - hd.x) / step.temperature;
  }
  let z = normal2(step.seed, STREAM_LANGEVIN, i, hd.moves);
  let next = overdamped_move(xi, g, z, step.h, step.temperature);
  if (step.close == 1u) {
    q -= dot(g, next - xi) / step.temperature;
  }
  langevinState[i] = LangevinState(xi, d, hd.energy, hd.log_q, hd.moves + 1u, 1u - step.close);
  heat[i] = q;
  x[i] = next;
}
