// GELU, tanh form (Hendrycks & Gimpel 2016, section 2; PyTorch's GELU(approximate='tanh')), shared
// by learn/gelu and learn/gelu_backward: gelu(x) = x s, s = (1 + tanh u) / 2 with
// u = sqrt(2 / pi) (x + 0.044715 x^3).
//
// Not through WGSL's tanh: an implementation may compute it as (exp(2u) - 1) / (exp(2u) + 1),
// inf / inf = NaN once exp(2|u|) overflows (|u| > 44, |x| > 10); and 1 + tanh u cancels for
// u < 0 (all of y's digits gone by x ~ -5). With e = exp(-2|u|) in [0, 1], which never overflows,
// tanh u = sign(u) (1 - e) / (1 + e), so s = 1 / (1 + e) for u >= 0 and e / (1 + e) for u < 0:
// quotients of positive terms, accurate relative to s in both tails (s = sigmoid(2u)).
const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_A: f32 = 0.044715;
const GELU_3A: f32 = 0.134145; // 3 GELU_A, for du/dx = GELU_C (1 + 3 GELU_A x^2)

struct GeluParts {
  // exp(-2|u|)
  e: f32,
  // (1 + tanh u) / 2
  s: f32,
}

fn gelu_parts(x: f32) -> GeluParts {
  let u = GELU_C * (x + GELU_A * (x * x * x));
  let e = exp(-2.0 * abs(u));
  return GeluParts(e, select(e, 1.0, u >= 0.0) / (1.0 + e));
}
