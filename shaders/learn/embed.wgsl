//#include "lib/rng.wgsl"
//#include "lib/invocations.wgsl"

// Sinusoidal embedding of one column s of a batch of rows: [sin(2 pi g_k s), cos(2 pi g_k s)],
// k < frequencies, written at `out_offset` of each output row so that several columns (x, y, t)
// fill one row. g_k in turns per unit, geometric from fmin to fmax (src/maths/learn/embedding.ts;
// the transformer's 10000^(-k / (K - 1)) of Vaswani et al. 2017 section 3.5, times tiny-diffusion's
// scale, is fmin = scale / (2 pi 10000), fmax = scale / (2 pi)). The angle is reduced in turns, so
// that any |g s| < 2^22 keeps cos_sin_2pi's accuracy (which takes u >= 0: the sine's sign is put
// back). One invocation per (row, k).
struct Embed {
  batch: u32,
  frequencies: u32,
  in_stride: u32,
  column: u32,
  out_stride: u32,
  out_offset: u32,
}

@group(0) @binding(0) var<uniform> embed: Embed;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> turns: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i < embed.batch * embed.frequencies) {
    let row = i / embed.frequencies;
    let k = i % embed.frequencies;
    let u = turns[k] * s[row * embed.in_stride + embed.column];
    let cs = cos_sin_2pi(abs(u));
    let at = row * embed.out_stride + embed.out_offset + k;
    out[at] = select(cs.y, -cs.y, u < 0.0);
    out[at + embed.frequencies] = cs.x;
  }
}
