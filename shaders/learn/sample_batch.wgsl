//#include "lib/rng.wgsl"
//#include "lib/network.wgsl"
//#include "lib/train_step.wgsl"
//#include "lib/invocations.wgsl"

// A training batch drawn on the GPU (Ho et al. 2020, algorithm 1): for row r of step t, a stored
// point x0 picked uniformly, a level k of the training grid uniformly (or stratified, row r at
// k = r L / batch, for the evaluation batch), eps ~ N(0, I) from the counter-based RNG, and
// x = alpha_k x0 + sigma_k eps. Writes the network's inputs (x c_in, y c_in, tau), the target and
// the row's loss weight. A class-conditional network (classes > 0) also gets the point's label as
// a one-hot in the embedded rows' last `classes` columns, dropped to all zeros ("no class") with
// probability `drop` (classifier-free guidance's label dropout, Ho & Salimans 2022), so that one
// network learns p(x0 | c) and p(x0) both.
struct Batch {
  batch: u32,
  m: u32,
  levels: u32,
  seed: u32,
  prediction: u32,
  weighting: u32,
  classes: u32,
  drop: f32,
  embed_stride: u32,
}

@group(0) @binding(0) var<uniform> config: Batch;
@group(0) @binding(1) var<uniform> train: TrainStep;
@group(0) @binding(2) var<storage, read> data: array<vec2f>;
// (alpha_k, sigma_k) of the training grid t_k = (k + 1) / L.
@group(0) @binding(3) var<storage, read> levels: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> rows: array<f32>;
@group(0) @binding(5) var<storage, read_write> goal: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> weight: array<f32>;
// The stored points' classes, and the embedded rows (the embedding op fills their other columns).
@group(0) @binding(7) var<storage, read> labels: array<u32>;
@group(0) @binding(8) var<storage, read_write> embedded: array<f32>;

fn invocation(r: u32, lid: u32) {
  if (r >= config.batch) { return; }
  let bits = threefry2x32(vec2u(config.seed, STREAM_TRAIN), vec2u(r, train.step));
  var k = bits.y % config.levels;
  if (train.stratified != 0u) { k = (r * config.levels) / config.batch; }
  let level = levels[k];
  let pick = bits.x % config.m;
  let x0 = data[pick];
  let eps = normal2(config.seed, STREAM_TRAIN_NOISE, r, train.step);
  let x = level.x * x0 + level.y * eps;
  let c_in = input_scale(level.x, level.y);
  rows[3u * r] = x.x * c_in;
  rows[3u * r + 1u] = x.y * c_in;
  rows[3u * r + 2u] = noise_angle(level.x, level.y);
  goal[r] = target_of(config.prediction, x0, eps, level.x, level.y);
  weight[r] = loss_weight(config.weighting, config.prediction, level.x, level.y);
  if (config.classes > 0u) {
    let dropped = to_uniform(threefry2x32(vec2u(config.seed, STREAM_TRAIN_LABEL), vec2u(r, train.step)).x) < config.drop;
    let label = select(labels[pick], config.classes, dropped);
    let at = (r + 1u) * config.embed_stride - config.classes;
    for (var c = 0u; c < config.classes; c++) { embedded[at + c] = select(0.0, 1.0, c == label); }
  }
}
