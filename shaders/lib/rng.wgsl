// Threefry-2x32-20 (Salmon et al. 2011, Random123), the same function as src/maths/rng.ts.
// Keyed by (seed, stream), counted by (particle, step): no state, every draw recomputable.

const STREAM_NOISE: u32 = 0u;
const STREAM_PICK: u32 = 1u;
const STREAM_STEP: u32 = 2u;
// 3 and 4 are the CPU's (datasets, subsampling): src/maths/rng.ts Stream.
const STREAM_PERTURB: u32 = 5u;
// Langevin moves' noise (counted by LangevinState.moves in lib/langevin_state.wgsl) and MALA's accept uniforms.
const STREAM_LANGEVIN: u32 = 6u;
const STREAM_ACCEPT: u32 = 7u;
// The smoothed denoiser's query noise (denoise_image_empirical.wgsl), counted by evaluation.
const STREAM_SMOOTH: u32 = 8u;
// The learned denoiser's training batches: which point and level (learn/sample_batch), and the noise.
const STREAM_TRAIN: u32 = 9u;
const STREAM_TRAIN_NOISE: u32 = 10u;
// 11 is the CPU's (the network's initial weights). 12: which training rows drop their label.
const STREAM_TRAIN_LABEL: u32 = 12u;

fn rotl32(x: u32, r: u32) -> u32 {
  return (x << r) | (x >> (32u - r));
}

fn threefry2x32(key: vec2u, counter: vec2u) -> vec2u {
  let ks = array<u32, 3>(key.x, key.y, 0x1bd11bdau ^ key.x ^ key.y);
  let rot = array<u32, 8>(13u, 15u, 26u, 6u, 17u, 29u, 16u, 24u);
  var x0 = counter.x + ks[0];
  var x1 = counter.y + ks[1];
  for (var s = 1u; s <= 5u; s++) {
    for (var r = 0u; r < 4u; r++) {
      x0 += x1;
      x1 = rotl32(x1, rot[((s - 1u) * 4u + r) % 8u]);
      x1 ^= x0;
    }
    x0 += ks[s % 3u];
    x1 += ks[(s + 1u) % 3u] + s;
  }
  return vec2u(x0, x1);
}

// A u32 to a uniform in (0, 1) from its top 23 bits: k + 0.5 is exact in f32 for k < 2^23.
fn to_uniform(u: u32) -> f32 {
  return (f32(u >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// (cos, sin) of 2 pi u to about 1e-7, by quadrant and Taylor polynomials on [-pi/4, pi/4]: WGSL
// only promises 2^-11 absolute error for the built-in sin and cos.
fn cos_sin_2pi(u: f32) -> vec2f {
  let q = round(4.0 * u);
  let a = 6.283185307179586 * (u - 0.25 * q);
  let a2 = a * a;
  let s = a * (1.0 + a2 * (-1.0 / 6.0 + a2 * (1.0 / 120.0 + a2 * (-1.0 / 5040.0 + a2 * (1.0 / 362880.0)))));
  let c = 1.0 + a2 * (-0.5 + a2 * (1.0 / 24.0 + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40320.0 + a2 * (-1.0 / 3628800.0)))));
  switch (u32(q) & 3u) {
    case 0u: { return vec2f(c, s); }
    case 1u: { return vec2f(-s, c); }
    case 2u: { return vec2f(-c, -s); }
    default: { return vec2f(s, -c); }
  }
}

// Two independent standard normals (Box-Muller).
fn normal2(seed: u32, stream: u32, particle: u32, step: u32) -> vec2f {
  let bits = threefry2x32(vec2u(seed, stream), vec2u(particle, step));
  let r = sqrt(-2.0 * log(to_uniform(bits.x)));
  return r * cos_sin_2pi(to_uniform(bits.y));
}

// An integer in [0, m): the draw modulo m (bias m / 2^32), the same integers as rng.ts.
fn pick_index(seed: u32, stream: u32, particle: u32, m: u32) -> u32 {
  let bits = threefry2x32(vec2u(seed, stream), vec2u(particle, 0u));
  return bits.x % m;
}
