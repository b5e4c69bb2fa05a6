//#include "lib/concat.wgsl"

// The skip concatenation, backward: dy split along channels into da (the first channels_a) and
// db (the rest), one value of dy per invocation (a copy).
@group(0) @binding(0) var<uniform> size: Concat;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> da: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

fn invocation(i: u32, lid: u32) {
  if (i >= size.batch * (size.channels_a + size.channels_b) * size.pixels) { return; }
  let to = concat_source(i, size);
  if (to.x == 1u) { da[to.y] = dy[i]; } else { db[to.y] = dy[i]; }
}
