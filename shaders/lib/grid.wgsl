// A landscape grid (src/sim/field/energyGrid.ts) at level (alpha, sigma) and temperature T: grid
// point (i, j), at index j W + i, is origin + spacing (i, j).
struct Grid {
  origin: vec2f,
  spacing: vec2f,
  width: u32,
  height: u32,
  // Stored data points (field_empirical.wgsl) or mixture components (field_mixture.wgsl).
  count: u32,
  alpha: f32,
  sigma: f32,
  temperature: f32,
  // Class conditioning and guidance (run/guide.wgsl, lib/labels.wgsl): the class kept
  // (ALL_LABELS: every class, the unconditional landscape), log P(class) added to its U (0 for
  // all), and the guidance w of the level, 1 when no class or outside the guidance interval.
  label: u32,
  log_share: f32,
  guidance: f32,
  // What the `score` buffer holds (ARROWS_SCORE or ARROWS_VELOCITY), and for the velocity
  // v = alpha' x0_hat + sigma' eps_hat the schedule's rates alpha' and sigma sigma'
  // (src/maths/scheduleRates.ts; sigma sigma' stays finite where sigma' does not).
  arrows: u32,
  alpha_dot: f32,
  half_var_dot: f32,
}

const ARROWS_SCORE = 0u;
const ARROWS_VELOCITY = 1u;

// A grid's summary (field/field_normalise.wgsl, buffer `stats`): the least and greatest energy
// E = U / T on it, log Z, T and the greatest |arrow| (score or velocity); the landscape renderer reads it as five
// f32 (src/render/landscape.ts STATS).
struct FieldStats {
  energy_min: f32,
  energy_max: f32,
  log_z: f32,
  temperature: f32,
  score_max: f32,
}

// The position of grid point g.
fn grid_point(grid: Grid, g: u32) -> vec2f {
  return grid.origin + grid.spacing * vec2f(f32(g % grid.width), f32(g / grid.width));
}
