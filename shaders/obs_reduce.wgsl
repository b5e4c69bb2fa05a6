// Live observables, pass 1 of 2 (src/sim/observe/observables.ts): each workgroup reduces a grid-strided
// share of the particles to one Partial. The energy's mean and centred sum of squares combine by
// the pairwise update of Chan, Golub & LeVeque (1979), so Var(U) suffers no cancellation in
// float32; the other sums are plain tree sums. A particle with any non-finite value is counted as
// such and nothing else; a finite one with |x| > radius as escaped; only the rest enter the sums,
// the energies shifted by a common pivot.
struct Params {
  n: u32,
  // Workgroups of this pass: the partials pass 2 combines.
  groups: u32,
  // The optional inputs bound: 1 velocities, 2 accept flags, 4 heat, 8 energies (a measurement
  // at sigma = 0 of stored points has none: U is no density there).
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
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> energy: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<vec2f>;
@group(0) @binding(4) var<storage, read> accept: array<f32>;
@group(0) @binding(5) var<storage, read> heat: array<f32>;
@group(0) @binding(6) var<storage, read_write> partials: array<Partial>;

// WORKGROUP_SIZE must be a power of two (the tree halves it).
var<workgroup> parts: array<Partial, WORKGROUP_SIZE>;

// By the bits: WGSL lets a compiler assume floats are finite, so x != x may fold to false.
fn is_finite(f: f32) -> bool {
  return (bitcast<u32>(f) & 0x7f800000u) != 0x7f800000u;
}

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

fn add_particle(acc: Partial, i: u32) -> Partial {
  var p = acc;
  let xi = x[i];
  var u = 0.0;
  var ok = is_finite(xi.x) && is_finite(xi.y);
  if ((params.inputs & 8u) != 0u) {
    u = energy[i];
    ok = ok && is_finite(u);
  }
  let shifted = u - p.pivot;
  var vi = vec2f(0.0);
  var a = 0.0;
  var q = 0.0;
  if ((params.inputs & 1u) != 0u) {
    vi = v[i];
    ok = ok && is_finite(vi.x) && is_finite(vi.y);
  }
  if ((params.inputs & 2u) != 0u) {
    a = accept[i];
    ok = ok && is_finite(a);
  }
  if ((params.inputs & 4u) != 0u) {
    q = heat[i];
    ok = ok && is_finite(q);
  }
  let r = params.radius;
  if (!ok) {
    p.non_finite += 1u;
  } else if (max(abs(xi.x), abs(xi.y)) > r || dot(xi, xi) > r * r) {
    p.escaped += 1u;
  } else {
    // Welford's update: one particle more.
    p.count += 1u;
    let delta = shifted - p.mean_energy;
    p.mean_energy += delta / f32(p.count);
    p.m2_energy += delta * (shifted - p.mean_energy);
    p.v2 += dot(vi, vi);
    p.accept += a;
    p.heat += q;
  }
  return p;
}

// Dispatched as params.groups workgroups along x.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  var p = Partial();
  if ((params.inputs & 8u) != 0u) {
    let u0 = energy[0];
    p.pivot = select(0.0, u0, is_finite(u0));
  }
  let stride = params.groups * WORKGROUP_SIZE;
  for (var i = wid.x * WORKGROUP_SIZE + lid.x; i < params.n; i += stride) {
    p = add_particle(p, i);
  }
  parts[lid.x] = p;
  workgroupBarrier();
  for (var width = WORKGROUP_SIZE / 2u; width > 0u; width >>= 1u) {
    if (lid.x < width) { parts[lid.x] = combine(parts[lid.x], parts[lid.x + width]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[wid.x] = parts[0]; }
}
