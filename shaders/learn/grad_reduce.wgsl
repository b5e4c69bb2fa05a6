//#include "lib/invocations.wgsl"

// The weights' gradient, its chunks added (after learn/linear_backward_weight split the batch):
// grads[first + j] = sum over z = 0 .. splits - 1, in that order, of partials[z * slice +
// first + j], for j < count. One dispatch for the whole model (or one layer's part).
struct GradReduce {
  first: u32,
  count: u32,
  splits: u32,
  slice: u32,
}

@group(0) @binding(0) var<uniform> reduce: GradReduce;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

fn invocation(j: u32, lid: u32) {
  if (j >= reduce.count) { return; }
  let i = reduce.first + j;
  var g = 0.0;
  for (var z = 0u; z < reduce.splits; z++) { g += partials[z * reduce.slice + i]; }
  grads[i] = g;
}
