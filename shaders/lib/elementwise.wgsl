//#include "lib/invocations.wgsl"

// The uniform of the learned denoiser's element-wise layers (learn/silu, learn/gelu, their
// backwards, learn/add): `count` values, one invocation each.
struct Elementwise {
  count: u32,
}
