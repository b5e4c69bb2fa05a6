//#include "lib/resample.wgsl"

// 2x nearest up-sampling (the U-Net's Upsample of Ho et al. 2020, before its convolution;
// PyTorch's interpolate(scale_factor=2, mode='nearest')), forward: each fine value copies its
// parent, one fine value per invocation.
@group(0) @binding(0) var<uniform> size: Resample;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.planes * size.height * size.width) { return; }
  y[i] = x[parent(i, size)];
}
