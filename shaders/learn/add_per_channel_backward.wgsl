//#include "lib/reduce.wgsl"
//#include "lib/per_channel.wgsl"

// The per-channel add, backward to t: dt[n,c] = sum over h, w of dy[n,c,h,w]. One workgroup per
// (n, c) plane, flat over a 2D grid; each lane sums i = lid, lid + WORKGROUP_SIZE, ... in order,
// then the workgroup's tree (lib/reduce.wgsl).
@group(0) @binding(0) var<uniform> size: PerChannel;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dt: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.y * nwg.x + wid.x;
  let live = plane < size.planes;
  // A workgroup past the end sums nothing and writes nothing, but reaches the barriers.
  let pixels = select(0u, size.pixels, live);
  var part = 0.0;
  for (var i = lid; i < pixels; i += WORKGROUP_SIZE) { part += dy[plane * size.pixels + i]; }
  let total = workgroup_sum(vec2f(part, 0.0), lid);
  if (live && lid == 0u) { dt[plane] = total.x; }
}
