//#include "lib/partial.wgsl"
//#include "lib/float.wgsl"

// Live observables, pass 1 of 2 (src/sim/observe/observables.ts): each workgroup reduces a grid-strided
// share of the particles to one Partial. The energy's mean and centred sum of squares combine by
// the pairwise update of Chan, Golub & LeVeque (1979), so Var(U) suffers no cancellation in
// float32; the other sums are plain tree sums. A particle with any non-finite value is counted as
// such and nothing else; a finite one with |x| > radius as escaped; only the rest enter the sums,
// the energies shifted by a common pivot.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(2) var<storage, read> energy: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<vec2f>;
@group(0) @binding(4) var<storage, read> accept: array<f32>;
@group(0) @binding(5) var<storage, read> heat: array<f32>;
@group(0) @binding(6) var<storage, read_write> partials: array<Partial>;
// Per particle (length, excess, weight, 0) of run/path_step.wgsl.
@group(0) @binding(7) var<storage, read> path: array<vec4f>;

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
  var w = vec2f(0.0);
  if ((params.inputs & 16u) != 0u) {
    w = path[i].zy;
    ok = ok && is_finite(w.y);
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
    p.paths += w.x;
    p.straightness += w.x * w.y;
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
  let total = workgroup_combine(p, lid.x);
  if (lid.x == 0u) { partials[wid.x] = total; }
}
