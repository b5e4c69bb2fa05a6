//#include "lib/reduce.wgsl"
//#include "lib/loss.wgsl"

// MSE loss, pass 1 of 2 (then learn/loss_sum): L = scale sum_b w_b |pred_b - goal_b|^2 (goal: the target) with
// scale = 1 / batch, its gradient dL/dpred = 2 scale w_b (pred_b - goal_b) written for every
// value, and each workgroup's grid-strided share of sum_b w_b |pred_b - goal_b|^2 in `partials`.
@group(0) @binding(0) var<uniform> loss: Loss;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> goal: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

// Dispatched as loss.groups workgroups along x.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let count = loss.batch * loss.width;
  let stride = loss.groups * WORKGROUP_SIZE;
  let twice = 2.0 * loss.scale;
  var part = 0.0;
  for (var i = wid.x * WORKGROUP_SIZE + lid; i < count; i += stride) {
    let d = pred[i] - goal[i];
    let wd = weight[i / loss.width] * d;
    grad[i] = twice * wd;
    part += wd * d;
  }
  let total = workgroup_sum(vec2f(part, 0.0), lid);
  if (lid == 0u) { partials[wid.x] = total.x; }
}
