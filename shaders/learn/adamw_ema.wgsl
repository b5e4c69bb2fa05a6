//#include "lib/train_step.wgsl"
//#include "lib/invocations.wgsl"
//#include "lib/adamw_update.wgsl"

// AdamW (as learn/adamw) and then the EMA of the new weights (as learn/ema) in one dispatch: the
// same operations in the same order, so the same floats, one dispatch fewer per step.
struct Adam {
  count: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  // The EMA's 1 - decay.
  rate: f32,
}

@group(0) @binding(0) var<uniform> adam: Adam;
@group(0) @binding(1) var<uniform> train: TrainStep;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read> grads: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read> clip: array<f32>;
@group(0) @binding(7) var<storage, read_write> average: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < adam.count) {
    let p = adamw_update(i);
    params[i] = p;
    average[i] += adam.rate * (p - average[i]);
  }
}
