//#include "lib/invocations.wgsl"

// Exponential moving average of the weights, element-wise over a flat buffer:
// e += (1 - decay) (p - e), the lerp of torch's EMA helpers, with rate = 1 - decay from float64.
struct Ema {
  count: u32,
  rate: f32,
}

@group(0) @binding(0) var<uniform> ema: Ema;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> average: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < ema.count) { average[i] += ema.rate * (params[i] - average[i]); }
}
