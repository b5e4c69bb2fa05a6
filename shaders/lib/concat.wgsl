//#include "lib/invocations.wgsl"

// The uniform of the skip concatenation (learn/concat_channels, learn/split_channels): `batch`
// samples of channels_a then channels_b channels of `pixels` values, NCHW.
struct Concat {
  batch: u32,
  pixels: u32,
  channels_a: u32,
  channels_b: u32,
}

// Where index i of the concatenation comes from: (1, index in a) or (0, index in b).
fn concat_source(i: u32, s: Concat) -> vec2u {
  let sa = s.channels_a * s.pixels;
  let sb = s.channels_b * s.pixels;
  let n = i / (sa + sb);
  let j = i % (sa + sb);
  if (j < sa) { return vec2u(1u, n * sa + j); }
  return vec2u(0u, n * sb + j - sa);
}
