//#include "lib/lanes.wgsl"
//#include "lib/network.wgsl"
//#include "lib/unet_io.wgsl"

// The image U-Net's output turned into x0_hat at the step's level, after its forward: eps, x0 or
// v (lib/network.wgsl's x0_from_output, as the 2D network's), read from the NCHW batch and
// written in the particles' interleaved layout: the one denoiser interface every sampler reads.
// One invocation per vec2 lane.
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> x0hat: array<vec2f>;
@group(0) @binding(3) var<uniform> unet: UNetIo;
@group(0) @binding(4) var<storage, read> unet_out: array<f32>;

fn step_lane(i: u32) {
  let p = particle_of(step, i);
  let q = 2u * i - p * step.dim;
  let out = vec2f(unet_out[unet_planar(unet, step.dim, p, q)],
                  unet_out[unet_planar(unet, step.dim, p, q + 1u)]);
  x0hat[i] = x0_from_output(unet.prediction, x[i], out, step.alpha, step.sigma);
}
