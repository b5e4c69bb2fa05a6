//#include "lib/conv_tile.wgsl"

// 3x3 convolution, backward to the input: the transposed convolution, the kernel flipped and
// in and out swapped (PyTorch's conv_transpose2d of dY with the same weights, padding=1):
//   dX[n, i, y, x] = sum over o, then ky, then kx of dY[n, o, y + ky - 1, x + kx - 1]
//                    W[o, i, 2 - ky, 2 - kx],
// dY zero outside the image. Tiled through workgroup memory by lib/conv_tile.wgsl; dispatched as
// (ceil(W / CONV_TILE), ceil(H / CONV_TILE), batch * ceil(cin / CONV_OUT)).
@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn load_src(n: u32, c: u32, py: u32, px: u32) -> f32 {
  return dy[conv_index(conv, conv.channels_out, n, c, py, px)];
}
// Output channel i of this pass reads W[c][i], flipped: tap 3 ky + kx is 8 - that.
fn load_w(i: u32, c: u32, tap: u32) -> f32 {
  return params[conv_weight_index(conv, c, i, 8u - tap)];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let sums = conv_tile(conv, wid, lid, conv.channels_out, conv.channels_in);
  let at = conv_tile_at(wid, lid, conv.channels_in);
  if (at.z >= conv.height || at.w >= conv.width) { return; }
  for (var i = 0u; i < CONV_OUT; i++) {
    let ic = at.y + i;
    if (ic < conv.channels_in) {
      dx[conv_index(conv, conv.channels_in, at.x, ic, at.z, at.w)] = sums[i];
    }
  }
}
