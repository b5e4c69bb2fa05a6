// The uniform of the weighted MSE loss's two passes (learn/mse_loss, learn/loss_sum): batch rows
// of `width` values, `groups` workgroups in the first pass, the loss written to losses[slot],
// scale = 1 / batch.
struct Loss {
  batch: u32,
  width: u32,
  groups: u32,
  slot: u32,
  scale: f32,
}
