//#include "lib/conv.wgsl"
//#include "lib/workgroup.wgsl"

// The tiled 3x3 convolution shared by learn/conv3x3_forward and learn/conv3x3_backward_input:
//   out[n, o, y, x] = sum over c < c_in, then ky, then kx (that order, fixed) of
//                     src[n, c, y + ky - 1, x + kx - 1] w(o, c, 3 ky + kx),
// src zero outside the image, read inside it through the including kernel's
// `fn load_src(n: u32, c: u32, y: u32, x: u32) -> f32`, and the weights through
// `fn load_w(o: u32, c: u32, tap: u32) -> f32`. A workgroup owns a CONV_TILE x CONV_TILE tile of
// one image's pixels (a lane per pixel) and CONV_OUT output channels (CONV_OUT sums per lane).
// Input channels pass through workgroup memory CONV_IN at a time: the tile with its 1-pixel halo
// (zeros past the image's edges) and the CONV_OUT x CONV_IN x 9 weights, each loaded once per
// workgroup instead of 9 and CONV_TILE^2 times. Dispatched as (ceil(W / CONV_TILE),
// ceil(H / CONV_TILE), batch * ceil(c_out / CONV_OUT)) workgroups; compiled with WORKGROUP_SIZE =
// CONV_TILE * CONV_TILE. Every lane calls it (it holds barriers), also those past the image.
const CONV_TILE = 8u;
const CONV_HALO = 10u; // CONV_TILE + 2
const CONV_IN = 4u;
const CONV_OUT = 4u;

var<workgroup> conv_src: array<f32, CONV_IN * CONV_HALO * CONV_HALO>;
var<workgroup> conv_w: array<f32, CONV_OUT * CONV_IN * 9u>;

// This lane's (n, first output channel of the workgroup, y, x); y or x may lie past the image.
fn conv_tile_at(wid: vec3u, lid: u32, c_out: u32) -> vec4u {
  let groups = (c_out + CONV_OUT - 1u) / CONV_OUT;
  return vec4u(wid.z / groups, (wid.z % groups) * CONV_OUT, wid.y * CONV_TILE + lid / CONV_TILE,
               wid.x * CONV_TILE + lid % CONV_TILE);
}

// The CONV_OUT sums of this lane's pixel, for output channels o0 + o (0 past c_out).
fn conv_tile(conv: Conv, wid: vec3u, lid: u32, c_in: u32, c_out: u32) -> array<f32, CONV_OUT> {
  let at = conv_tile_at(wid, lid, c_out);
  let n = at.x;
  let o0 = at.y;
  let ty0 = wid.y * CONV_TILE;
  let tx0 = wid.x * CONV_TILE;
  let ly = lid / CONV_TILE;
  let lx = lid % CONV_TILE;
  var sums: array<f32, CONV_OUT>;
  for (var c0 = 0u; c0 < c_in; c0 += CONV_IN) {
    let cs = min(CONV_IN, c_in - c0);
    workgroupBarrier(); // the previous block's reads are done
    for (var t = lid; t < CONV_IN * CONV_HALO * CONV_HALO; t += WORKGROUP_SIZE) {
      let c = t / (CONV_HALO * CONV_HALO);
      let r = t % (CONV_HALO * CONV_HALO);
      let y = i32(ty0 + r / CONV_HALO) - 1;
      let x = i32(tx0 + r % CONV_HALO) - 1;
      var v = 0.0;
      if (c < cs && conv_inside(conv, y, x)) { v = load_src(n, c0 + c, u32(y), u32(x)); }
      conv_src[t] = v;
    }
    for (var t = lid; t < CONV_OUT * CONV_IN * 9u; t += WORKGROUP_SIZE) {
      let o = t / (CONV_IN * 9u);
      let c = (t / 9u) % CONV_IN;
      var v = 0.0;
      if (o0 + o < c_out && c < cs) { v = load_w(o0 + o, c0 + c, t % 9u); }
      conv_w[t] = v;
    }
    workgroupBarrier();
    for (var c = 0u; c < cs; c++) {
      for (var ky = 0u; ky < 3u; ky++) {
        for (var kx = 0u; kx < 3u; kx++) {
          let v = conv_src[(c * CONV_HALO + ly + ky) * CONV_HALO + lx + kx];
          for (var o = 0u; o < CONV_OUT; o++) {
            sums[o] += v * conv_w[(o * CONV_IN + c) * 9u + 3u * ky + kx];
          }
        }
      }
    }
  }
  return sums;
}
