//#include "lib/grid.wgsl"
//#include "lib/reduce.wgsl"

// Summary of a landscape grid (src/sim/field/energyGrid.ts), in one workgroup: the least and greatest
// energy E = U / T on the grid, the greatest magnitude of its score (the quiver's scale), log Z with Z = sum_g exp(-E_g) dA over the grid (the view's
// rect), and the density p = exp(-E - log Z). At T = 1, exp(-U_t) is p_t itself (Z = 1 exactly),
// so log Z = 0 and p is p_t, not its restriction to the grid.
@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(1) var<storage, read> energy: array<f32>;
@group(0) @binding(2) var<storage, read_write> density: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: FieldStats;
@group(0) @binding(4) var<storage, read> score: array<vec2f>;

var<workgroup> lo: array<f32, WORKGROUP_SIZE>;
var<workgroup> hi: array<f32, WORKGROUP_SIZE>;
var<workgroup> top: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let points = grid.width * grid.height;
  var a = 3.0e38;
  var b = -3.0e38;
  var c = 0.0;
  for (var g = lid.x; g < points; g += WORKGROUP_SIZE) {
    a = min(a, energy[g]);
    b = max(b, energy[g]);
    c = max(c, length(score[g]));
  }
  lo[lid.x] = a;
  hi[lid.x] = b;
  top[lid.x] = c;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid.x < stride) {
      lo[lid.x] = min(lo[lid.x], lo[lid.x + stride]);
      hi[lid.x] = max(hi[lid.x], hi[lid.x + stride]);
      top[lid.x] = max(top[lid.x], top[lid.x + stride]);
    }
    workgroupBarrier();
  }
  let e_min = lo[0];
  // Sum of exp(-(E - E_min)) <= points: no overflow, and the minimum contributes 1.
  var s = 0.0;
  for (var g = lid.x; g < points; g += WORKGROUP_SIZE) {
    s += exp(e_min - energy[g]);
  }
  let total = workgroup_sum(vec2f(s, 0.0), lid.x).x;
  let grid_log_z = log(total * grid.spacing.x * grid.spacing.y) - e_min;
  let log_z = select(grid_log_z, 0.0, grid.temperature == 1.0);
  for (var g = lid.x; g < points; g += WORKGROUP_SIZE) {
    density[g] = exp(-energy[g] - log_z);
  }
  if (lid.x == 0u) {
    stats = FieldStats(e_min, hi[0], log_z, grid.temperature, top[0]);
  }
}
