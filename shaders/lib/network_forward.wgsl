//#include "lib/rng.wgsl"
//#include "lib/network.wgsl"

// The 2D learned denoiser's forward pass (src/maths/learn/network.ts), shared by the denoiser
// kernel (run/denoise_learned.wgsl) and the velocity arrows on the landscape's grid
// (field/field_learned.wgsl). One invocation holds its row in private arrays; every invocation
// reads the same weight at once (a broadcast).
const MAX_WIDTH: u32 = 256u;
const MAX_EMBEDDING: u32 = 384u;

struct Net {
  width: u32,
  depth: u32,
  frequencies: u32,
  activation: u32,
  prediction: u32,
  // A class-conditional network's classes (0: none): the class one-hot after the embeddings.
  classes: u32,
}

@group(0) @binding(7) var<uniform> net: Net;
// The EMA weights in the flat layout (linear layers one after another, W row-major then b).
@group(0) @binding(8) var<storage, read> model: array<f32>;
// The frequencies in turns: K for x and y, then K for tau.
@group(0) @binding(9) var<storage, read> turns: array<f32>;

// Writes sin and cos of 2 pi g_k s at e[at + k] and e[at + K + k], as learn/embed.wgsl does.
fn embed_into(e: ptr<function, array<f32, MAX_EMBEDDING>>, at: u32, s: f32, first_turn: u32) {
  let k_count = net.frequencies;
  for (var k = 0u; k < k_count; k++) {
    let u = turns[first_turn + k] * s;
    let cs = cos_sin_2pi(abs(u));
    (*e)[at + k] = select(cs.y, -cs.y, u < 0.0);
    (*e)[at + k_count + k] = cs.x;
  }
}

// x0_hat of the network at x and level (alpha, sigma), of class `label` for a class-conditional
// network: the input layer's column of that class is added to its embeddings' sum; a label past
// the classes (ALL_LABELS) adds none, the "no class" its label dropout trained.
fn network_x0hat(xi: vec2f, alpha: f32, sigma: f32, label: u32) -> vec2f {
  let c_in = input_scale(alpha, sigma);
  let k_count = net.frequencies;
  let width = net.width;
  var e: array<f32, MAX_EMBEDDING>;
  embed_into(&e, 0u, xi.x * c_in, 0u);
  embed_into(&e, 2u * k_count, xi.y * c_in, 0u);
  embed_into(&e, 4u * k_count, noise_angle(alpha, sigma), k_count);
  let embedded = 6u * k_count;
  let inputs = embedded + net.classes;
  let labelled = label < net.classes;
  var h: array<f32, MAX_WIDTH>;
  var g: array<f32, MAX_WIDTH>;
  var offset = 0u;
  for (var j = 0u; j < width; j++) {
    var acc = 0.0;
    let row = offset + j * inputs;
    for (var k = 0u; k < embedded; k++) { acc += e[k] * model[row + k]; }
    if (labelled) { acc += model[row + embedded + label]; }
    h[j] = activate(net.activation, acc + model[offset + width * inputs + j]);
  }
  offset += width * inputs + width;
  for (var d = 0u; d < net.depth; d++) {
    for (var j = 0u; j < width; j++) {
      var acc = 0.0;
      let row = offset + j * width;
      for (var k = 0u; k < width; k++) { acc += h[k] * model[row + k]; }
      g[j] = activate(net.activation, acc + model[offset + width * width + j]);
    }
    for (var j = 0u; j < width; j++) { h[j] += g[j]; }
    offset += width * width + width;
  }
  var out = vec2f(0.0);
  for (var k = 0u; k < width; k++) {
    out += h[k] * vec2f(model[offset + k], model[offset + width + k]);
  }
  out += vec2f(model[offset + 2u * width], model[offset + 2u * width + 1u]);
  return x0_from_output(net.prediction, xi, out, alpha, sigma);
}
