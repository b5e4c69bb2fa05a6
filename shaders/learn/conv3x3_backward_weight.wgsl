//#include "lib/conv.wgsl"
//#include "lib/workgroup.wgsl"

// 3x3 convolution, backward to the parameters, summed over the batch and the pixels:
//   dW[o, i, ky, kx] = sum over rows (n, y), then x, of
//                      dY[n, o, y, x] X[n, i, y + ky - 1, x + kx - 1],
//   db[o] = the same sum with X a channel of ones (channel i = cin, centre tap),
// X zero outside the image. A workgroup owns GRAD_OUT x GRAD_IN (o, i) pairs, a lane each with
// its 9 taps, and sums image rows [z chunk, (z + 1) chunk) of the batch (rows (n, y) in order):
// a row passes through workgroup memory GRAD_SEG columns at a time, dY's GRAD_OUT channels and
// X's GRAD_IN channels on rows y - 1, y, y + 1 with the 1-pixel halo, so each value is loaded once
// per workgroup instead of once per lane and tap. Chunk z is written at z * slice: with one chunk
// (slice 0) into the layer's part of `grads`, overwritten; with several, `grads` is bound to the
// chunks' partials, which learn/grad_reduce then adds in the order of z. Dispatched as
// (ceil((cin + 1) / GRAD_IN), ceil(cout / GRAD_OUT), chunks); WORKGROUP_SIZE = GRAD_OUT GRAD_IN.
@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;

const GRAD_OUT = 8u;
const GRAD_IN = 8u;
const GRAD_SEG = 32u;
const GRAD_HALO = 34u; // GRAD_SEG + 2

var<workgroup> tile_dy: array<f32, GRAD_OUT * GRAD_SEG>;
var<workgroup> tile_x: array<f32, GRAD_IN * 3u * GRAD_HALO>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lo = lid / GRAD_IN;
  let li = lid % GRAD_IN;
  let o = wid.y * GRAD_OUT + lo;
  let i = wid.x * GRAD_IN + li;
  let row0 = wid.z * conv.chunk;
  let rows = min(conv.chunk, conv.batch * conv.height - row0);
  var acc: array<f32, 9>;
  for (var r = 0u; r < rows; r++) {
    let n = (row0 + r) / conv.height;
    let py = (row0 + r) % conv.height;
    for (var s0 = 0u; s0 < conv.width; s0 += GRAD_SEG) {
      let len = min(GRAD_SEG, conv.width - s0);
      workgroupBarrier(); // the previous segment's reads are done
      for (var t = lid; t < GRAD_OUT * GRAD_SEG; t += WORKGROUP_SIZE) {
        let oc = wid.y * GRAD_OUT + t / GRAD_SEG;
        let j = t % GRAD_SEG;
        var v = 0.0;
        if (oc < conv.channels_out && j < len) {
          v = dy[conv_index(conv, conv.channels_out, n, oc, py, s0 + j)];
        }
        tile_dy[t] = v;
      }
      for (var t = lid; t < GRAD_IN * 3u * GRAD_HALO; t += WORKGROUP_SIZE) {
        let ic = wid.x * GRAD_IN + t / (3u * GRAD_HALO);
        let k = t % (3u * GRAD_HALO);
        let yy = i32(py + k / GRAD_HALO) - 1;
        let xx = i32(s0 + k % GRAD_HALO) - 1;
        var v = 0.0;
        if (conv_inside(conv, yy, xx)) {
          if (ic < conv.channels_in) {
            v = x[conv_index(conv, conv.channels_in, n, ic, u32(yy), u32(xx))];
          } else if (ic == conv.channels_in) {
            v = 1.0;
          }
        }
        tile_x[t] = v;
      }
      workgroupBarrier();
      for (var j = 0u; j < len; j++) {
        let g = tile_dy[lo * GRAD_SEG + j];
        for (var ky = 0u; ky < 3u; ky++) {
          for (var kx = 0u; kx < 3u; kx++) {
            acc[3u * ky + kx] += g * tile_x[(li * 3u + ky) * GRAD_HALO + j + kx];
          }
        }
      }
    }
  }
  let base = wid.z * conv.slice;
  if (o >= conv.channels_out) { return; }
  if (i < conv.channels_in) {
    for (var tap = 0u; tap < 9u; tap++) {
      grads[base + conv_weight_index(conv, o, i, tap)] = acc[tap];
    }
  } else if (i == conv.channels_in) {
    grads[base + conv_bias_index(conv, o)] = acc[4];
  }
}
