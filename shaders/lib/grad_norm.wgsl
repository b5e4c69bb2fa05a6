// The uniform of the gradient norm's two passes (learn/grad_norm, learn/grad_clip): `count`
// gradients, `groups` workgroups in the first pass, the clipping threshold max_norm (no clipping
// when it is not a finite positive number).
struct GradNorm {
  count: u32,
  groups: u32,
  max_norm: f32,
}
