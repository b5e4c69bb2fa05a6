//#include "lib/float.wgsl"
//#include "lib/softmax.wgsl"
//#include "lib/labels.wgsl"

// One Gaussian component of a mixture target, shared by the exact denoiser
// (denoise_mixture.wgsl) and the landscape (field_mixture.wgsl); packed by packMixture in
// src/sim/run/simulation.ts. At level (alpha, sigma) the component is N(x; alpha mu, C),
// C = alpha^2 Sigma + sigma^2 I.
struct Component {
  mean: vec2f,
  log_weight: f32,
  // The component's class (a mixture's class k is its component k: src/maths/datasets.ts).
  label: u32,
  // Covariance (xx, xy, yy, unused).
  cov: vec4f,
}

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

// The softmax over the K components of the including kernel's `mixture: array<Component>` at x,
// logits log(pi_k N(x; alpha mu_k, C_k)), of the values mu_k + alpha Sigma_k C_k^-1 (x - alpha mu_k),
// the components' posterior means of x0 (`posterior`), or else -C_k^-1 (x - alpha mu_k), their scores.
// Only the components of class `label` take part (all of them with ALL_LABELS): the mixture
// restricted to the class, its weights unnormalised (the softmax renormalises them).
fn mixture_softmax(x: vec2f, a: f32, s2: f32, k: u32, posterior: bool, label: u32) -> Softmax {
  var s = softmax_empty();
  for (var j = 0u; j < k; j++) {
    let c = mixture[j];
    if (!keeps(label, c.label)) {
      continue;
    }
    let term = component_term(c, x, a, s2);
    let ci_r = term.ci_r;
    var value = -ci_r;
    if (posterior) {
      value = c.mean + a * vec2f(c.cov.x * ci_r.x + c.cov.y * ci_r.y, c.cov.y * ci_r.x + c.cov.z * ci_r.y);
    }
    s = softmax_add(s, term.logit, value);
  }
  return s;
}
