/**
 * Float64 reference of the weighted MSE loss (shaders/learn/mse_loss.wgsl, loss_sum.wgsl):
 * L = (1 / B) sum_b w_b |pred_b - target_b|^2 over B rows of `width` values, w_b the weight of
 * row b (the loss weighting over t), and dL/dpred = (2 / B) w_b (pred_b - target_b).
 */
export function mseLoss(
  batch: number,
  width: number,
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  weight: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(batch * width);
  let sum = 0;
  for (let r = 0; r < batch; r++)
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      const d = pred[i]! - target[i]!;
      sum += weight[r]! * d * d;
      grad[i] = (2 / batch) * weight[r]! * d;
    }
  return { loss: sum / batch, grad };
}
