//#include "lib/lanes.wgsl"
//#include "lib/network.wgsl"
//#include "lib/unet_io.wgsl"

// The image U-Net's input at the step's level, before its forward (src/sim/learn/unetPasses.ts):
// x c_in in the network's NCHW layout, c_in = input_scale(alpha, sigma) as the training batch
// (learn/sample_image_batch), and each image's level tau = noise_angle(alpha, sigma). One
// invocation per vec2 lane of the particles (two values of one image: dim is even).
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<uniform> unet: UNetIo;
@group(0) @binding(3) var<storage, read_write> unet_x: array<f32>;
@group(0) @binding(4) var<storage, read_write> unet_tau: array<f32>;
// A class-conditional U-Net's class one-hot per image (n x classes): step.label's, or zeros for
// ALL_LABELS (class "all", or guidance's unconditional evaluation).
@group(0) @binding(5) var<storage, read_write> unet_label: array<f32>;

fn step_lane(i: u32) {
  let p = particle_of(step, i);
  let q = 2u * i - p * step.dim;
  let c_in = input_scale(step.alpha, step.sigma);
  let v = x[i];
  unet_x[unet_planar(unet, step.dim, p, q)] = v.x * c_in;
  unet_x[unet_planar(unet, step.dim, p, q + 1u)] = v.y * c_in;
  if (q == 0u) {
    unet_tau[p] = noise_angle(step.alpha, step.sigma);
    for (var c = 0u; c < unet.classes; c++) {
      unet_label[p * unet.classes + c] = select(0.0, 1.0, c == step.label);
    }
  }
}
