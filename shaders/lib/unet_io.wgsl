// The image run's side of the U-Net (run/unet_in, run/unet_out): the particles hold their images
// as the image run does, value after value with the channels interleaved (RGB RGB ...), the
// network reads and writes the batch NCHW (a plane per channel). `prediction`: what the network
// outputs (lib/network.wgsl's TARGET_*).
struct UNetIo {
  channels: u32,
  prediction: u32,
  // A class-conditional U-Net's classes (0: none): run/unet_in writes step.label's one-hot.
  classes: u32,
}

// Where value q of image p (q counted in the interleaved order) sits in the NCHW batch.
fn unet_planar(io: UNetIo, dim: u32, p: u32, q: u32) -> u32 {
  return p * dim + (q % io.channels) * (dim / io.channels) + q / io.channels;
}
