//#include "lib/conv_tile.wgsl"

// 3x3 convolution, forward (PyTorch's Conv2d(cin, cout, 3, padding=1), NCHW):
//   Y[n, o, y, x] = sum over i, then ky, then kx of X[n, i, y + ky - 1, x + kx - 1]
//                   W[o, i, ky, kx], plus b[o] last;
// X zero outside the image. Tiled through workgroup memory by lib/conv_tile.wgsl;
// dispatched as (ceil(W / CONV_TILE), ceil(H / CONV_TILE), batch * ceil(cout / CONV_OUT)).
@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn load_src(n: u32, c: u32, py: u32, px: u32) -> f32 {
  return x[conv_index(conv, conv.channels_in, n, c, py, px)];
}
fn load_w(o: u32, c: u32, tap: u32) -> f32 { return params[conv_weight_index(conv, o, c, tap)]; }

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let sums = conv_tile(conv, wid, lid, conv.channels_in, conv.channels_out);
  let at = conv_tile_at(wid, lid, conv.channels_out);
  if (at.z >= conv.height || at.w >= conv.width) { return; }
  for (var o = 0u; o < CONV_OUT; o++) {
    let oc = at.y + o;
    if (oc < conv.channels_out) {
      y[conv_index(conv, conv.channels_out, at.x, oc, at.z, at.w)] =
        sums[o] + params[conv_bias_index(conv, oc)];
    }
  }
}
