//#include "lib/invocations.wgsl"

// Trails (src/sim/field/trails.ts): copies the positions of the first K particles into
// slot s = record mod L of a ring of L positions per particle, particle p's at p L + s, so each
// particle's trail is contiguous for the renderer. One table entry per slot, at a dynamic
// offset, so that several records in one command encoder each write their own slot.
struct Trail {
  // K and L.
  particles: u32,
  length: u32,
  slot: u32,
}

@group(0) @binding(0) var<uniform> trail: Trail;
// Bound to the first min(K, n) particles.
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> ring: array<vec2f>;

fn invocation(p: u32, lid: u32) {
  if (p >= min(trail.particles, arrayLength(&x))) { return; }
  ring[p * trail.length + trail.slot] = x[p];
}
