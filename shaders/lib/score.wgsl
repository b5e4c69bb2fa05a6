// The gradient of the energy U = -log p at level (alpha, sigma) from the denoiser's x0_hat
// (Tweedie): grad U = -score = (x - alpha x0_hat) / sigma^2.
fn grad_u(x: vec2f, x0hat: vec2f, alpha: f32, sigma: f32) -> vec2f {
  return (x - alpha * x0hat) / (sigma * sigma);
}
