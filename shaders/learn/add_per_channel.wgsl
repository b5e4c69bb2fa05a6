//#include "lib/invocations.wgsl"
//#include "lib/per_channel.wgsl"

// The time embedding added per channel (the ResBlock of Ho et al. 2020), forward:
// y[n,c,h,w] = x[n,c,h,w] + t[n,c], one value per invocation (correctly rounded). Its backward
// to x is dy itself (no dispatch); to t, learn/add_per_channel_backward.
@group(0) @binding(0) var<uniform> size: PerChannel;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.planes * size.pixels) { return; }
  y[i] = x[i] + t[i / size.pixels];
}
