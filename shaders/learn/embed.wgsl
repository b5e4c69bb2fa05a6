//#include "lib/rng.wgsl"
//#include "lib/invocations.wgsl"

// Sinusoidal embedding of `columns` consecutive columns s of a batch of rows (x, y, t in one
// dispatch): [sin(2 pi g_k s), cos(2 pi g_k s)], k < frequencies, column j's from out_offset +
// 2 K j of each output row, with its own frequencies turns[j K ..]. g_k in turns per unit, geometric from fmin to fmax (src/maths/learn/embedding.ts;
// the transformer's 10000^(-k / (K - 1)) of Vaswani et al. 2017 section 3.5, times tiny-diffusion's
// scale, is fmin = scale / (2 pi 10000), fmax = scale / (2 pi)). The angle is reduced in turns, so
// that any |g s| < 2^22 keeps cos_sin_2pi's accuracy (which takes u >= 0: the sine's sign is put
// back). One invocation per (row, column, k).
struct Embed {
  batch: u32,
  frequencies: u32,
  in_stride: u32,
  column: u32,
  out_stride: u32,
  out_offset: u32,
  columns: u32,
}

@group(0) @binding(0) var<uniform> embed: Embed;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> turns: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn invocation(i: u32, lid: u32) {
  let per_row = embed.columns * embed.frequencies;
  if (i < embed.batch * per_row) {
    let row = i / per_row;
    let ck = i % per_row;
    let c = ck / embed.frequencies;
    let k = ck % embed.frequencies;
    let u = turns[ck] * s[row * embed.in_stride + embed.column + c];
    let cs = cos_sin_2pi(abs(u));
    let at = row * embed.out_stride + embed.out_offset + 2u * embed.frequencies * c + k;
    out[at] = select(cs.y, -cs.y, u < 0.0);
    out[at + embed.frequencies] = cs.x;
  }
}
