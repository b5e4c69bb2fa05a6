//#include "lib/particles.wgsl"
//#include "lib/network_forward.wgsl"

// The learned denoiser (src/maths/learn/network.ts): the 2D score network evaluated at each
// particle, fused into one kernel (lib/network_forward.wgsl), its output turned into x0_hat at
// the step's level (alpha, sigma). The network gives no energy: 0 is written (MALA is refused
// for it, and the physics view reports no energy). A class-conditional network reads the
// evaluation's class, step.label (ALL_LABELS: no class, guidance's unconditional evaluation).
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> energy: array<f32>;

fn step_particle(i: u32) {
  x0hat[i] = network_x0hat(x[i], step.alpha, step.sigma, step.label);
  energy[i] = 0.0;
}
