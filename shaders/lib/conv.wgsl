// A 3x3 convolution of the U-Net (issue 14), stride 1, zero padding 1, in PyTorch's Conv2d
// layout: activations NCHW (batch, channel, row, column, row-major) of f32; the parameters in
// one flat buffer (and the gradient in another of the same layout): W[o][i][ky][kx] from
// `offset`, then b[o]. The weights' gradient sums the image rows (n, y) of the batch in chunks of
// `chunk` rows, chunk z into floats from z * slice (slice 0: one chunk, into grads).
struct Conv {
  batch: u32,
  channels_in: u32,
  channels_out: u32,
  height: u32,
  width: u32,
  offset: u32,
  chunk: u32,
  slice: u32,
}

// Flat index of [n, c, y, x] in an activation of `channels` channels.
fn conv_index(conv: Conv, channels: u32, n: u32, c: u32, y: u32, x: u32) -> u32 {
  return ((n * channels + c) * conv.height + y) * conv.width + x;
}

// Flat index of W[o][i][tap], tap = 3 ky + kx.
fn conv_weight_index(conv: Conv, o: u32, i: u32, tap: u32) -> u32 {
  return conv.offset + (o * conv.channels_in + i) * 9u + tap;
}

fn conv_bias_index(conv: Conv, o: u32) -> u32 {
  return conv.offset + conv.channels_out * conv.channels_in * 9u + o;
}

// Whether (y, x), signed, lies in the image (outside it the zero padding).
fn conv_inside(conv: Conv, y: i32, x: i32) -> bool {
  return y >= 0 && x >= 0 && y < i32(conv.height) && x < i32(conv.width);
}
