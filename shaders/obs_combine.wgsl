// Live observables, pass 2 of 2 (src/sim/observe/observables.ts): one workgroup combines the partials of
// pass 1 (shaders/obs_reduce.wgsl, whose Params, Partial and combine these repeat) into one.
struct Params {
  n: u32,
  // Workgroups of pass 1: the partials to combine.
  groups: u32,
  // The optional inputs bound: 1 velocities, 2 accept flags, 4 heat.
  inputs: u32,
  radius: f32,
}

struct Partial {
  count: u32,
  non_finite: u32,
  escaped: u32,
  // The mean of U - pivot over the counted particles (of U itself in pass 2's result).
  mean_energy: f32,
  // Sum over the counted particles of (U - mean)^2.
  m2_energy: f32,
  // Sums of |v|^2, accept flags and heat.
  v2: f32,
  accept: f32,
  heat: f32,
  // Pass 2's result only: params.inputs, so a read knows which means exist.
  inputs: u32,
  // The shift of every energy before the sums: U of particle 0 if finite, else 0. Sums of
  // U - pivot keep float32's digits for the spread when <U> is large against its std.
  pivot: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<Partial>;
@group(0) @binding(2) var<storage, read_write> result: Partial;

// WORKGROUP_SIZE must be a power of two (the tree halves it).
var<workgroup> parts: array<Partial, WORKGROUP_SIZE>;

// Chan, Golub & LeVeque (1979): means and centred sums of squares of two disjoint sets.
fn combine(a: Partial, b: Partial) -> Partial {
  var c = Partial(a.count + b.count, a.non_finite + b.non_finite, a.escaped + b.escaped,
                  a.mean_energy, a.m2_energy + b.m2_energy, a.v2 + b.v2, a.accept + b.accept,
                  a.heat + b.heat, 0u, a.pivot);
  if (c.count > 0u) {
    let nb = f32(b.count) / f32(c.count);
    let delta = b.mean_energy - a.mean_energy;
    c.mean_energy = a.mean_energy + delta * nb;
    c.m2_energy += delta * delta * f32(a.count) * nb;
  }
  return c;
}

// One workgroup.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var p = Partial();
  p.pivot = partials[0].pivot;
  for (var g = lid.x; g < params.groups; g += WORKGROUP_SIZE) {
    p = combine(p, partials[g]);
  }
  parts[lid.x] = p;
  workgroupBarrier();
  for (var width = WORKGROUP_SIZE / 2u; width > 0u; width >>= 1u) {
    if (lid.x < width) { parts[lid.x] = combine(parts[lid.x], parts[lid.x + width]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    result = parts[0];
    result.mean_energy += result.pivot;
    result.inputs = params.inputs;
  }
}
