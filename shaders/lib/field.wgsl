//#include "lib/grid.wgsl"
//#include "lib/invocations.wgsl"

// The landscape kernels (field/field_empirical.wgsl, field/field_mixture.wgsl): one invocation
// per grid point, each writing the energy U_t / T and the arrow at its point: the score
// -grad U_t / T, or with grid.arrows = ARROWS_VELOCITY the probability-flow velocity (T = 1),
// from the including kernel's `fn field_at(x: vec2f, lid: u32) -> FieldValue`.
// Invocations past the last point evaluate at the last point, so that every invocation of a
// workgroup reaches the barriers of a tiled field_at, and write nothing.
@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(2) var<storage, read_write> energy: array<f32>;
@group(0) @binding(3) var<storage, read_write> score: array<vec2f>;

struct FieldValue {
  energy: f32,
  // The score or the velocity (grid.arrows).
  score: vec2f,
}

fn invocation(g: u32, lid: u32) {
  let points = grid.width * grid.height;
  let value = field_at(grid_point(grid, min(g, points - 1u)), lid);
  if (g < points) {
    energy[g] = value.energy;
    score[g] = value.score;
  }
}
