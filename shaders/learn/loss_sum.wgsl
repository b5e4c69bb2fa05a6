//#include "lib/reduce.wgsl"
//#include "lib/loss.wgsl"

// MSE loss, pass 2 of 2 (after learn/mse_loss): one workgroup sums the partials and writes
// L = scale * sum to losses[slot], so a run of steps fills a history that is read a few times a
// second, never per step.
@group(0) @binding(0) var<uniform> loss: Loss;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;

// Dispatched as one workgroup.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var part = 0.0;
  for (var i = lid; i < loss.groups; i += WORKGROUP_SIZE) { part += partials[i]; }
  let total = workgroup_sum(vec2f(part, 0.0), lid);
  if (lid == 0u) { losses[loss.slot] = loss.scale * total.x; }
}
