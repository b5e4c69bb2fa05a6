// The gradient of the energy U = -log p at level (alpha, sigma) from the denoiser's x0_hat
// (Tweedie): grad U = -score = (x - alpha x0_hat) / sigma^2.
fn grad_u(x: vec2f, x0hat: vec2f, alpha: f32, sigma: f32) -> vec2f {
  return (x - alpha * x0hat) / (sigma * sigma);
}

// The overdamped Langevin move from x with gradient g and noise z ~ N(0, I) (ULA's step, MALA's
// proposal): x - h g + sqrt(2 h T) z.
fn overdamped_move(x: vec2f, g: vec2f, z: vec2f, h: f32, temperature: f32) -> vec2f {
  return x - h * g + sqrt(2.0 * h * temperature) * z;
}
