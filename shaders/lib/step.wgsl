// One step of a run, from level t to level s, as the CPU wrote it into the step table
// (src/sim/run/stepTable.ts). Notation: x_t = alpha_t x0 + sigma_t eps.
struct Step {
  t: f32,
  alpha_t: f32,
  sigma_t: f32,
  s: f32,
  alpha_s: f32,
  sigma_s: f32,
  // The level the denoiser evaluates at: t, or s for Heun's correction.
  alpha: f32,
  sigma: f32,
  eta: f32,
  // Particles, stored data points, mixture components.
  n: u32,
  m: u32,
  k: u32,
  seed: u32,
  // The step's number: the RNG counter of its fresh noise.
  index: u32,
  // Euler-Maruyama (em.wgsl), from the two levels in float64: F = log(alpha_t / alpha_s) and
  // G = sigma_t^2 - sigma_s^2 - 2 F sigma_t^2, the integrals of f dt and g^2 dt to first order.
  drift: f32,
  diffusion: f32,
  // DPM-Solver++(2M) (dpmpp2m.wgsl): r = h_prev / h in half log-SNR; 0 for a first-order step.
  r: f32,
  // Score error (perturb.wgsl): x0_hat -> (1 + scale) x0_hat + bias u + noise z.
  error_scale: f32,
  error_bias: f32,
  error_noise: f32,
  // The run's denoiser evaluation number: the RNG counter of the perturbation's noise.
  evaluation: u32,
  // Langevin mode (../shared/docs/maths.md section 4): the temperature T (target exp(-U / T)), the
  // step size h of this move (annealed and pc: their e_i), the friction gamma (underdamped), 1 on
  // the last Langevin move at an energy (its heat is closed there, see ula.wgsl), and the standard
  // deviation of the initial velocities (langevin_init.wgsl: sqrt(T) underdamped, else 0).
  temperature: f32,
  h: f32,
  gamma: f32,
  close: u32,
  velocity_std: f32,
  // Coordinates per particle: 2 for point clouds, 784 or 3072 for images. The element-wise kernels
  // run over vec2 lanes, dim / 2 per particle (lane_count, particle_of).
  dim: u32,
  // The smoothed denoiser (denoise_image_empirical.wgsl): the std of the query's noise and the
  // number of Monte Carlo draws averaged (1 with smoothing 0: the plain empirical denoiser).
  smoothing: f32,
  draws: u32,
  // The Gaussian-model denoiser (denoise_image_gaussian.wgsl): the rank of its covariance.
  rank: u32,
  // Class-conditional exact denoisers (lib/labels.wgsl): the class this evaluation keeps
  // (ALL_LABELS: every class) and log P(class) (0 for all), the mixture's weight of the class or
  // the share M_c / M of the stored points.
  label: u32,
  log_share: f32,
  // Guidance (run/guide.wgsl): the weight w of this evaluation, 1 outside the guidance interval.
  guidance: f32,
}

// Every particle's vec2 lanes: n for point clouds, n dim / 2 for images.
fn lane_count(s: Step) -> u32 {
  return s.n * (s.dim / 2u);
}

// The particle that lane i belongs to.
fn particle_of(s: Step, i: u32) -> u32 {
  return i / (s.dim / 2u);
}

// sigma_hat = sigma / alpha of the step's levels t and s: the noise level of x / alpha, the
// variable of Karras et al. 2022's ODE (run/euler.wgsl, run/heun_*.wgsl).
fn sigma_hats(s: Step) -> vec2f {
  return vec2f(s.sigma_t / s.alpha_t, s.sigma_s / s.alpha_s);
}
