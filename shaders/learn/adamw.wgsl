//#include "lib/train_step.wgsl"
//#include "lib/invocations.wgsl"
//#include "lib/adamw_update.wgsl"

// AdamW, one step over a flat parameter buffer (Loshchilov & Hutter 2019, algorithm 2; the order
// of torch.optim.AdamW) on the clipped gradient g = s grad (s = clip[0], learn/grad_clip):
// p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr (m c1) / (sqrt(v c2) + eps), with the bias corrections c1 = 1 / (1 - b1^t) and
// c2 = 1 / (1 - b2^t) of step t >= 1 computed in float64 (src/sim/learn/trainTable.ts): float32's
// pow(b2, t) near b2 = 0.999 would cost 1e-4 of c2. The step's values come from the trainer's
// table (`train`, a dynamic offset), so one submission holds many steps.
struct Adam {
  count: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> adam: Adam;
@group(0) @binding(1) var<uniform> train: TrainStep;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read> grads: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read> clip: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < adam.count) { params[i] = adamw_update(i); }
}
