//#include "lib/grid.wgsl"
//#include "lib/invocations.wgsl"
//#include "lib/network_forward.wgsl"

// The learned network's velocity on the landscape's grid (src/sim/field/energyGrid.ts), written
// over the arrows after the field kernel when the arrows are the velocity: at each grid point x,
// x0_hat = the 2D network at (x, alpha, sigma) (lib/network_forward.wgsl, as run/denoise_learned)
// and v = alpha' x0_hat + sigma' eps_hat = alpha' x0_hat + (sigma sigma' / sigma^2) (x - alpha x0_hat),
// sigma floored at MIN_SIGMA (src/sim/field/energyGrid.ts MIN_FIELD_SIGMA) in the division only.
const MIN_SIGMA = 1e-3;

@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(3) var<storage, read_write> score: array<vec2f>;

fn invocation(g: u32, lid: u32) {
  if (g >= grid.width * grid.height) { return; }
  let x = grid_point(grid, g);
  let x0hat = network_x0hat(x, grid.alpha, grid.sigma);
  let s = max(grid.sigma, MIN_SIGMA);
  score[g] = grid.alpha_dot * x0hat + (grid.half_var_dot / (s * s)) * (x - grid.alpha * x0hat);
}
