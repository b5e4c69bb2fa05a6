//#include "lib/resample.wgsl"

// 2x down-sampling by average pooling (the U-Net's Downsample of Ho et al. 2020, pooling
// variant), forward: one coarse value per invocation, the mean of its 2 x 2 children summed in
// the order ((top-left + top-right) + (bottom-left + bottom-right)), times 0.25 (exact).
@group(0) @binding(0) var<uniform> size: Resample;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.planes * (size.height / 2u) * (size.width / 2u)) { return; }
  let t = top_left(i, size);
  y[i] = ((x[t] + x[t + 1u]) + (x[t + size.width] + x[t + size.width + 1u])) * 0.25;
}
