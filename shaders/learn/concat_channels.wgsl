//#include "lib/concat.wgsl"

// The U-Net's skip connection (Ronneberger et al. 2015; Ho et al. 2020), forward: y = [a ; b]
// along channels, one value of y per invocation (a copy).
@group(0) @binding(0) var<uniform> size: Concat;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.batch * (size.channels_a + size.channels_b) * size.pixels) { return; }
  let source = concat_source(i, size);
  if (source.x == 1u) { y[i] = a[source.y]; } else { y[i] = b[source.y]; }
}
