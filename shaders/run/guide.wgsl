//#include "lib/particles.wgsl"

// Classifier-free guidance (Ho & Salimans 2022) at the denoiser level: the conditional denoiser
// wrote x0hat and energy, the unconditional one x0uncond and energyUncond (the same kernel with
// the class ALL_LABELS), and every sampler then reads the guided
// x0_hat = x0_uncond + w (x0_cond - x0_uncond), written w x0_cond + (1 - w) x0_uncond so that
// w = 1 gives x0_cond and w = 0 gives x0_uncond bit for bit (1 x = x, 0 x = 0, x + 0 = x).
// The energy is the guided one, U_w = w U_cond + (1 - w) U_uncond: -log of p(x|c)^w p(x)^(1-w),
// unnormalised. w = step.guidance: 1 outside the guidance interval (Kynkaanniemi et al. 2024).
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;
@group(0) @binding(8) var<storage, read> x0uncond: array<vec2f>;
@group(0) @binding(9) var<storage, read> energyUncond: array<f32>;

fn step_particle(p: u32) {
  let w = step.guidance;
  let lanes = step.dim / 2u;
  for (var l = p * lanes; l < (p + 1u) * lanes; l++) {
    x0hat[l] = w * x0hat[l] + (1.0 - w) * x0uncond[l];
  }
  energy[p] = w * energy[p] + (1.0 - w) * energyUncond[p];
}
