//#include "lib/lanes.wgsl"
//#include "lib/rng.wgsl"

// A deliberate error in the denoiser, right after each evaluation, to show how samplers tolerate
// an imperfect model: x0_hat -> (1 + scale) x0_hat + bias u + noise z, z fresh per evaluation
// (keyed by the run's evaluation number). u is a fixed unit vector, (0.6, 0.8) at 53.13 degrees:
// a systematic shift one way, as a model's bias would be, along no symmetry axis of the built-in
// mixtures (multiples of 22.5 degrees), so it moves both coordinates and no mode maps onto another.
// Images: every coordinate pair gets the same (0.6, 0.8), and the step table scales the bias by
// sqrt(2 / dim), so u is a unit vector of R^dim there too.
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;

const BIAS_DIRECTION = vec2f(0.6, 0.8);

fn step_lane(i: u32) {
  var d = (1.0 + step.error_scale) * x0hat[i] + step.error_bias * BIAS_DIRECTION;
  if (step.error_noise > 0.0) {
    d += step.error_noise * normal2(step.seed, STREAM_PERTURB, i, step.evaluation);
  }
  x0hat[i] = d;
}
