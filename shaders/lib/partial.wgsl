//#include "lib/workgroup.wgsl"

// The live observables' parameters and partial sums (src/sim/observe/observables.ts), shared by
// pass 1 (observe/obs_reduce.wgsl) and pass 2 (observe/obs_combine.wgsl).
struct Params {
  n: u32,
  // Workgroups of this pass: the partials pass 2 combines.
  groups: u32,
  // The optional inputs bound: 1 velocities, 2 accept flags, 4 heat, 8 energies (a measurement
  // at sigma = 0 of stored points has none: U is no density there), 16 paths (run/path_step.wgsl).
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
  // Paths: the sums of weight and of excess * weight (the mean straightness is their ratio).
  paths: f32,
  straightness: f32,
  // The shift of every energy before the sums: U of particle 0 if finite, else 0. Sums of
  // U - pivot keep float32's digits for the spread when <U> is large against its std.
  pivot: f32,
}

// WORKGROUP_SIZE must be a power of two (the tree halves it).
var<workgroup> parts: array<Partial, WORKGROUP_SIZE>;

// Chan, Golub & LeVeque (1979): means and centred sums of squares of two disjoint sets.
fn combine(a: Partial, b: Partial) -> Partial {
  var c = Partial(a.count + b.count, a.non_finite + b.non_finite, a.escaped + b.escaped,
                  a.mean_energy, a.m2_energy + b.m2_energy, a.v2 + b.v2, a.accept + b.accept,
                  a.heat + b.heat, 0u, a.paths + b.paths, a.straightness + b.straightness,
                  a.pivot);
  if (c.count > 0u) {
    let nb = f32(b.count) / f32(c.count);
    let delta = b.mean_energy - a.mean_energy;
    c.mean_energy = a.mean_energy + delta * nb;
    c.m2_energy += delta * delta * f32(a.count) * nb;
  }
  return c;
}

// The combination of every invocation's partial over the workgroup, by a tree in workgroup
// memory, returned to every invocation. Every invocation of the workgroup calls it (barriers).
fn workgroup_combine(p: Partial, lid: u32) -> Partial {
  parts[lid] = p;
  workgroupBarrier();
  for (var width = WORKGROUP_SIZE / 2u; width > 0u; width >>= 1u) {
    if (lid < width) { parts[lid] = combine(parts[lid], parts[lid + width]); }
    workgroupBarrier();
  }
  return parts[0];
}
