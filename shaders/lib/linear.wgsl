// A linear layer y = W x + b of the learned denoiser over a batch of row-major rows, its
// parameters in one flat buffer (and its gradient in another of the same layout): W (outputs x
// inputs, row-major) from `offset`, then b (outputs). The weights' gradient sums the batch in
// chunks of `chunk` rows, chunk z into floats from z * slice (slice 0: one chunk, into grads).
struct Linear {
  batch: u32,
  inputs: u32,
  outputs: u32,
  offset: u32,
  chunk: u32,
  slice: u32,
}

fn bias_offset(layer: Linear) -> u32 {
  return layer.offset + layer.outputs * layer.inputs;
}
