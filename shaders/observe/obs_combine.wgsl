//#include "lib/partial.wgsl"

// Live observables, pass 2 of 2 (src/sim/observe/observables.ts): one workgroup combines the partials of
// pass 1 (observe/obs_reduce.wgsl; Params, Partial and combine in lib/partial.wgsl) into one.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<Partial>;
@group(0) @binding(2) var<storage, read_write> result: Partial;

// One workgroup.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var p = Partial();
  p.pivot = partials[0].pivot;
  for (var g = lid.x; g < params.groups; g += WORKGROUP_SIZE) {
    p = combine(p, partials[g]);
  }
  let total = workgroup_combine(p, lid.x);
  if (lid.x == 0u) {
    result = total;
    result.mean_energy += result.pivot;
    result.inputs = params.inputs;
  }
}
