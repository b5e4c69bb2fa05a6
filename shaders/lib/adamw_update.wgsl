// One parameter's AdamW step (Loshchilov & Hutter 2019, algorithm 2; the order of
// torch.optim.AdamW) on the clipped gradient g = clip[0] grad: m and v updated in place, the new
// parameter returned. Read from the including kernel's `adam` (beta1, beta2, their complements,
// eps), `train` (lib/train_step.wgsl: lr, decay = 1 - lr wd, the float64 bias corrections) and
// its params, grads, m, v and clip buffers: learn/adamw and learn/adamw_ema share it.
fn adamw_update(i: u32) -> f32 {
  let g = clip[0] * grads[i];
  let mi = adam.beta1 * m[i] + adam.one_minus_beta1 * g;
  let vi = adam.beta2 * v[i] + adam.one_minus_beta2 * (g * g);
  m[i] = mi;
  v[i] = vi;
  let denominator = sqrt(vi * train.correction2) + adam.eps;
  return train.decay * params[i] - train.lr * ((mi * train.correction1) / denominator);
}
