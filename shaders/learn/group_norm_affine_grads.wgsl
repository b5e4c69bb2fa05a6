//#include "lib/invocations.wgsl"
//#include "lib/group_norm.wgsl"

// GroupNorm, backward pass 3 of 3 (after learn/group_norm_sums): the affine parameters' gradients
// over the batch, one channel c per invocation, n = 0, 1, ... in order:
//   grads[offset + c] = dgamma_c = sum_n sum dy xhat,  grads[offset + C + c] = dbeta_c = sum_n sum dy.
@group(0) @binding(0) var<uniform> norm: GroupNorm;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;

fn invocation(c: u32, lid: u32) {
  if (c >= norm.channels) { return; }
  var total = vec2f(0.0);
  for (var n = 0u; n < norm.batch; n++) {
    let at = 2u * (n * norm.channels + c);
    total += vec2f(sums[at], sums[at + 1u]);
  }
  grads[norm.offset + c] = total.y;
  grads[norm.offset + norm.channels + c] = total.x;
}
