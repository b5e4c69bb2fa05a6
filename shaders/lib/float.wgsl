// log(2 pi), for Gaussian normalising constants.
const LOG_2PI: f32 = 1.8378770664093453;

// By the bits: WGSL lets a compiler assume floats are finite, so x != x may fold to false.
fn is_finite(f: f32) -> bool {
  return (bitcast<u32>(f) & 0x7f800000u) != 0x7f800000u;
}
