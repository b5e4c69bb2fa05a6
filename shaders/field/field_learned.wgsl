//#include "lib/grid.wgsl"
//#include "lib/invocations.wgsl"
//#include "lib/network_forward.wgsl"

// The learned network's velocity on the landscape's grid (src/sim/field/energyGrid.ts), written
// over the arrows after the field kernel when the arrows are the velocity: at each grid point x,
// x0_hat = the 2D network at (x, alpha, sigma) (lib/network_forward.wgsl, as run/denoise_learned)
// and v = alpha' x0_hat + sigma' eps_hat = alpha' x0_hat + (sigma sigma' / sigma^2) (x - alpha x0_hat),
// sigma floored at MIN_SIGMA (src/sim/field/energyGrid.ts MIN_FIELD_SIGMA) in the division only.
// A class-conditional network is evaluated at the grid's class and guidance.
const MIN_SIGMA = 1e-3;

@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(3) var<storage, read_write> score: array<vec2f>;

fn invocation(g: u32, lid: u32) {
  if (g >= grid.width * grid.height) { return; }
  let x = grid_point(grid, g);
  // A class-conditional network at the grid's class, guided by w against no class (ALL_LABELS)
  // as run/guide.wgsl mixes x0_hat: v is linear in x0_hat, so this is the guided velocity.
  var x0hat = network_x0hat(x, grid.alpha, grid.sigma, grid.label);
  if (grid.label < net.classes && grid.guidance != 1.0) {
    let w = grid.guidance;
    x0hat = w * x0hat + (1.0 - w) * network_x0hat(x, grid.alpha, grid.sigma, 0xffffffffu);
  }
  let s = max(grid.sigma, MIN_SIGMA);
  score[g] = grid.alpha_dot * x0hat + (grid.half_var_dot / (s * s)) * (x - grid.alpha * x0hat);
}
