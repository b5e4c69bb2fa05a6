// The landscape of the stored data on a grid (src/sim/field/energyGrid.ts), at temperature T: at each
// grid point x, with logit_j = -|x - alpha y_j|^2 / (2 sigma^2) over the M points y_j, energy =
// U_t(x) / T with U_t = -logsumexp_j logit_j + log M + log(2 pi sigma^2) (d = 2), and score =
// -grad U_t / T = sum_j w_j (alpha y_j - x) / (sigma^2 T), w = softmax(logit), summed as
// differences so x near alpha D(x) loses nothing. Tiled through workgroup memory with an online
// softmax, as shaders/denoise_empirical.wgsl. Grid point (i, j), at index j W + i, is
// origin + spacing (i, j).
struct Grid {
  origin: vec2f,
  spacing: vec2f,
  width: u32,
  height: u32,
  // Stored data points (or mixture components, for field_mixture.wgsl).
  count: u32,
  alpha: f32,
  sigma: f32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(1) var<storage, read> data: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> energy: array<f32>;
@group(0) @binding(3) var<storage, read_write> score: array<vec2f>;

var<workgroup> tile: array<vec2f, WORKGROUP_SIZE>;


@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let g = particle_index(wid, nwg, lid);
  // Lanes past the end still load tiles and reach every barrier.
  let points = grid.width * grid.height;
  let gc = min(g, points - 1u);
  let xi = grid.origin + grid.spacing * vec2f(f32(gc % grid.width), f32(gc / grid.width));
  let a = grid.alpha;
  let s2 = grid.sigma * grid.sigma;
  let inv = 1.0 / (2.0 * s2);
  var m = -3.0e38;
  var l = 0.0;
  var acc = vec2f(0.0);
  for (var base = 0u; base < grid.count; base += WORKGROUP_SIZE) {
    let j = base + lid.x;
    if (j < grid.count) {
      tile[lid.x] = data[j];
    }
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, grid.count - base);
    for (var jj = 0u; jj < count; jj++) {
      let dv = a * tile[jj] - xi;
      let logit = -dot(dv, dv) * inv;
      if (logit > m) {
        let scale = exp(m - logit);
        l = l * scale + 1.0;
        acc = acc * scale + dv;
        m = logit;
      } else {
        let w = exp(logit - m);
        l += w;
        acc += w * dv;
      }
    }
    workgroupBarrier();
  }
  if (g < points) {
    let u = -(m + log(l)) + log(f32(grid.count)) + log(s2) + LOG_2PI;
    energy[g] = u / grid.temperature;
    score[g] = acc / (l * s2 * grid.temperature);
  }
}
