//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"
//#include "lib/score.wgsl"

// Euler-Maruyama on the reverse SDE (Song et al. 2021, eq. 6): dx = [f x - g^2 score] dt + g dW,
// integrated backwards from t to s < t. With f = d log alpha / dt and
// g^2 = d sigma^2 / dt - 2 f sigma^2 (Lu et al. 2022, "DPM-Solver", section 2.1), the step table
// holds their integrals over the step in a t-free form, exact to first order in t - s:
//   F = log(alpha_t / alpha_s)                       (= f(t) (t - s)),
//   G = sigma_t^2 - sigma_s^2 - 2 F sigma_t^2        (= g(t)^2 (t - s)),
//   x_s = x - F x + G score + sqrt(G) z,  score = (alpha_t x0_hat - x) / sigma_t^2 (Tweedie).
// G >= 0 whenever alpha_s >= alpha_t and sigma_s <= sigma_t (VP: F <= 0; VE: F = 0). The step to
// sigma = 0 is drift only, as Song et al.'s samplers end. alpha_t = 0 makes F infinite: the plan
// takes a DDPM step from such a level instead. F and G are the Step fields drift and diffusion.
@group(0) @binding(1) var<storage, read_write> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> x0hat: array<vec2f>;

fn step_lane(i: u32) {
  let xi = x[i];
  let score = -grad_u(xi, x0hat[i], step.alpha_t, step.sigma_t);
  var next = xi - step.drift * xi + step.diffusion * score;
  if (step.sigma_s > 0.0) {
    next += sqrt(step.diffusion) * normal2(step.seed, STREAM_STEP, i, step.index);
  }
  x[i] = next;
}
