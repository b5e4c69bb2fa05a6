//#include "lib/particles.wgsl"

// Path straightness, after every step of a run (src/maths/straightness.ts, its float64
// reference): the path length L += |x - x_prev| over the particle's dim coordinates, then
// x_prev = x, and the excess L / D - 1 with D = |x - x_start| the endpoint distance. A particle
// whose D is not above DEGENERATE L (no move yet, or back near its start: L / D would be huge or
// undefined) gets weight 0 and excess 0, and is left out of the mean (observe/obs_reduce.wgsl
// sums excess * weight and weight). path[p] = (L, excess, weight, 0). One invocation per particle.
@group(0) @binding(1) var<storage, read> x: array<vec2f>;
@group(0) @binding(10) var<storage, read> pathStart: array<vec2f>;
@group(0) @binding(11) var<storage, read_write> pathPrev: array<vec2f>;
@group(0) @binding(12) var<storage, read_write> path: array<vec4f>;

const DEGENERATE = 1e-3;

fn step_particle(p: u32) {
  let lanes = step.dim / 2u;
  var moved = 0.0;
  var away = 0.0;
  for (var j = p * lanes; j < (p + 1u) * lanes; j++) {
    let xj = x[j];
    let dm = xj - pathPrev[j];
    let da = xj - pathStart[j];
    moved += dot(dm, dm);
    away += dot(da, da);
    pathPrev[j] = xj;
  }
  let walked = path[p].x + sqrt(moved);
  let span = sqrt(away);
  let counted = span > DEGENERATE * walked && span > 0.0;
  let excess = select(0.0, walked / span - 1.0, counted);
  path[p] = vec4f(walked, excess, select(0.0, 1.0, counted), 0.0);
}
