// One Gaussian component of a mixture target, shared by the exact denoiser
// (denoise_mixture.wgsl) and the landscape (field_mixture.wgsl); packed by packMixture in
// src/sim/run/simulation.ts. At level (alpha, sigma) the component is N(x; alpha mu, C),
// C = alpha^2 Sigma + sigma^2 I.
struct Component {
  mean: vec2f,
  log_weight: f32,
  _pad: f32,
  // Covariance (xx, xy, yy, unused).
  cov: vec4f,
}

const LOG_2PI: f32 = 1.8378770664093453;

// log(pi N(x; alpha mu, C)) and C^-1 (x - alpha mu).
struct ComponentTerm {
  logit: f32,
  ci_r: vec2f,
}

fn component_term(c: Component, x: vec2f, a: f32, s2: f32) -> ComponentTerm {
  let cxx = a * a * c.cov.x + s2;
  let cxy = a * a * c.cov.y;
  let cyy = a * a * c.cov.z + s2;
  let det = cxx * cyy - cxy * cxy;
  let r = x - a * c.mean;
  let ci_r = vec2f(cyy * r.x - cxy * r.y, cxx * r.y - cxy * r.x) / det;
  return ComponentTerm(c.log_weight - 0.5 * dot(r, ci_r) - 0.5 * log(det) - LOG_2PI, ci_r);
}
