//#include "lib/invocations.wgsl"

// The uniform of the 2x resampling kernels (learn/avg_pool_down*, learn/upsample_nearest*):
// `planes` (batch x channels) planes of the fine image, `height` x `width` (both even), NCHW; the
// coarse image is (height / 2) x (width / 2).
struct Resample {
  planes: u32,
  height: u32,
  width: u32,
}

// The fine index of the top-left child of coarse index i.
fn top_left(i: u32, size: Resample) -> u32 {
  let w = size.width / 2u;
  let h = size.height / 2u;
  let plane = i / (w * h);
  return (plane * size.height + 2u * ((i / w) % h)) * size.width + 2u * (i % w);
}

// The coarse index of the parent of fine index i.
fn parent(i: u32, size: Resample) -> u32 {
  let plane = i / (size.width * size.height);
  let row = (i / size.width) % size.height;
  return (plane * (size.height / 2u) + row / 2u) * (size.width / 2u) + (i % size.width) / 2u;
}
