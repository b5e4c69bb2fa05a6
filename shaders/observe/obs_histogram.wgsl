//#include "lib/float.wgsl"
//#include "lib/workgroup.wgsl"

// Marginal histograms (src/sim/observe/observables.ts MarginalHistograms): counts of the particles' x in
// B bins over [lo.x, lo.x + B / scale.x) and of their y over [lo.y, ...), bin
// floor((x - lo) * scale).
// Each workgroup bins a grid-strided share into its own copy in workgroup memory, then adds it
// to the global counts (cleared before the dispatch), so atomics on 2 B global words contend
// only once per workgroup. Values not finite or out of range are not counted.
struct Histogram {
  lo: vec2f,
  scale: vec2f,
  n: u32,
  bins: u32,
  // Workgroups dispatched (along x).
  groups: u32,
}

@group(0) @binding(0) var<uniform> histogram: Histogram;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
// x's B bins, then y's.
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

// The most bins per axis (8 KiB of workgroup memory for both).
const MAX_BINS: u32 = 1024u;

var<workgroup> local_counts: array<atomic<u32>, 2048>;

fn add(axis: u32, value: f32, lo: f32, scale: f32, bins: u32) {
  if (!is_finite(value)) { return; }
  let u = (value - lo) * scale;
  if (u >= 0.0 && u < f32(bins)) {
    atomicAdd(&local_counts[axis * bins + min(u32(u), bins - 1u)], 1u);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let bins = min(histogram.bins, MAX_BINS);
  for (var b = lid.x; b < 2u * bins; b += WORKGROUP_SIZE) {
    atomicStore(&local_counts[b], 0u);
  }
  workgroupBarrier();
  let stride = histogram.groups * WORKGROUP_SIZE;
  for (var i = wid.x * WORKGROUP_SIZE + lid.x; i < histogram.n; i += stride) {
    let p = x[i];
    add(0u, p.x, histogram.lo.x, histogram.scale.x, bins);
    add(1u, p.y, histogram.lo.y, histogram.scale.y, bins);
  }
  workgroupBarrier();
  for (var b = lid.x; b < 2u * bins; b += WORKGROUP_SIZE) {
    let c = atomicLoad(&local_counts[b]);
    if (c > 0u) { atomicAdd(&counts[b], c); }
  }
}
