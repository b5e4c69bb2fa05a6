//#include "lib/rng.wgsl"
//#include "lib/network.wgsl"
//#include "lib/train_step.wgsl"
//#include "lib/invocations.wgsl"

// A training batch of images drawn on the GPU (Ho et al. 2020, algorithm 1), the image twin of
// learn/sample_batch: for row r of step t, a stored image x0 picked uniformly, a level k of the
// training grid uniformly (or stratified, row r at k = r L / batch, for the evaluation batch),
// eps ~ N(0, I) per value, and x = alpha_k x0 + sigma_k eps. Writes the network's input x c_in,
// the level's input tau, the target per value and the row's loss weight.
//
// The stored images (`data`) are the image simulation's own buffer (src/sim/run/runBuffers.ts
// setData, src/maths/imageDatasets.ts): m images of `dim` f32 each, image after image, each rows
// top to bottom, pixels left to right, channels interleaved (RGB RGB ...), values in [-1, 1]
// (nothing here depends on the range). The batch is the network's NCHW input (src/maths/learn/
// unet.ts): row r holds channel c's plane, then the next: value i = c P + q (P = dim / channels
// pixels, q = y W + x) reads stored value q channels + c of the row's image. One channel: the same.
//
// Random streams and counters (lib/rng.wgsl), keyed by (seed, stream) and counted by
// (particle, step) with step = train.step:
// - STREAM_TRAIN, particle r: the row's picks (x: the image, modulo m; y: the level, modulo L),
//   the same draw as learn/sample_batch, recomputed by every lane of the row;
// - STREAM_TRAIN_LABEL, particle r: whether row r drops its class (a class-conditional U-Net);
// - STREAM_TRAIN_NOISE, particle r pairs + p (pairs = ceil(dim / 2)): normal2's pair is the noise
//   of values 2p and 2p + 1 of row r (NCHW order); an odd dim's last pair uses only its first.
// One invocation per pair of values: batch x pairs lanes, folded into 2D past 65535 workgroups.
struct ImageBatch {
  batch: u32,
  m: u32,
  levels: u32,
  seed: u32,
  prediction: u32,
  weighting: u32,
  // Values per image (channels x pixels) and channels per pixel.
  dim: u32,
  channels: u32,
  // A class-conditional U-Net's classes (0: none) and its label dropout (learn/sample_batch's).
  classes: u32,
  drop: f32,
}

@group(0) @binding(0) var<uniform> config: ImageBatch;
@group(0) @binding(1) var<uniform> train: TrainStep;
@group(0) @binding(2) var<storage, read> data: array<f32>;
// (alpha_k, sigma_k) of the training grid t_k = (k + 1) / L.
@group(0) @binding(3) var<storage, read> levels: array<vec2f>;
// batch x dim: the network's input x c_in, NCHW.
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
// batch: tau = noise_angle(alpha, sigma).
@group(0) @binding(5) var<storage, read_write> tau: array<f32>;
// batch x dim: the target, NCHW.
@group(0) @binding(6) var<storage, read_write> goal: array<f32>;
@group(0) @binding(7) var<storage, read_write> weight: array<f32>;
// The stored images' classes, and the batch's class one-hot (batch x classes; all zeros dropped).
@group(0) @binding(8) var<storage, read> labels: array<u32>;
@group(0) @binding(9) var<storage, read_write> label: array<f32>;

// Stored value of NCHW value i of image `image`.
fn stored(image: u32, i: u32) -> f32 {
  let pixels = config.dim / config.channels;
  let c = i / pixels;
  let q = i - c * pixels;
  return data[image * config.dim + q * config.channels + c];
}

fn invocation(lane: u32, lid: u32) {
  let pairs = (config.dim + 1u) / 2u;
  if (lane >= config.batch * pairs) { return; }
  let r = lane / pairs;
  let p = lane - r * pairs;
  let bits = threefry2x32(vec2u(config.seed, STREAM_TRAIN), vec2u(r, train.step));
  var k = bits.y % config.levels;
  if (train.stratified != 0u) { k = (r * config.levels) / config.batch; }
  let level = levels[k];
  let image = bits.x % config.m;
  let i = 2u * p;
  let second = i + 1u < config.dim;
  var x0 = vec2f(stored(image, i), 0.0);
  if (second) { x0.y = stored(image, i + 1u); }
  let eps = normal2(config.seed, STREAM_TRAIN_NOISE, lane, train.step);
  let xt = level.x * x0 + level.y * eps;
  let c_in = input_scale(level.x, level.y);
  let g = target_of(config.prediction, x0, eps, level.x, level.y);
  let at = r * config.dim + i;
  x[at] = xt.x * c_in;
  goal[at] = g.x;
  if (second) {
    x[at + 1u] = xt.y * c_in;
    goal[at + 1u] = g.y;
  }
  if (p == 0u) {
    tau[r] = noise_angle(level.x, level.y);
    weight[r] = loss_weight(config.weighting, config.prediction, level.x, level.y);
    if (config.classes > 0u) {
      let dropped = to_uniform(threefry2x32(vec2u(config.seed, STREAM_TRAIN_LABEL), vec2u(r, train.step)).x) < config.drop;
      let wanted = select(labels[image], config.classes, dropped);
      for (var c = 0u; c < config.classes; c++) { label[r * config.classes + c] = select(0.0, 1.0, c == wanted); }
    }
  }
}
