// The landscape of a Gaussian mixture on a grid (src/sim/field/energyGrid.ts), at temperature T: at
// each grid point x, energy = U_t(x) / T with U_t = -log p_t,
// p_t = sum_k pi_k N(x; alpha mu_k, C_k), C_k = alpha^2 Sigma_k + sigma^2 I, and score =
// grad log exp(-U_t / T) = -grad U_t / T = sum_k r_k(x) C_k^-1 (alpha mu_k - x) / T, r_k the
// responsibilities, by an online softmax over k (as shaders/denoise_mixture.wgsl).
// Grid point (i, j), at index j W + i, is origin + spacing (i, j).
struct Grid {
  origin: vec2f,
  spacing: vec2f,
  width: u32,
  height: u32,
  // Mixture components (or stored data points, for field_empirical.wgsl).
  count: u32,
  alpha: f32,
  sigma: f32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(1) var<storage, read> mixture: array<Component>;
@group(0) @binding(2) var<storage, read_write> energy: array<f32>;
@group(0) @binding(3) var<storage, read_write> score: array<vec2f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let g = particle_index(wid, nwg, lid);
  if (g >= grid.width * grid.height) { return; }
  let xi = grid.origin + grid.spacing * vec2f(f32(g % grid.width), f32(g / grid.width));
  let a = grid.alpha;
  let s2 = grid.sigma * grid.sigma;
  var m = -3.0e38;
  var l = 0.0;
  var acc = vec2f(0.0);
  for (var k = 0u; k < grid.count; k++) {
    let c = mixture[k];
    let term = component_term(c, xi, a, s2);
    let logit = term.logit;
    let ci_r = term.ci_r;
    if (logit > m) {
      let scale = exp(m - logit);
      l = l * scale + 1.0;
      acc = acc * scale - ci_r;
      m = logit;
    } else {
      let w = exp(logit - m);
      l += w;
      acc -= w * ci_r;
    }
  }
  energy[g] = -(m + log(l)) / grid.temperature;
  score[g] = acc / (l * grid.temperature);
}
