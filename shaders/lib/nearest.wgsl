// One query's record of distance/image_nearest.wgsl (buffer `nearest`): the squared distances to
// its nearest and second nearest training images and the nearest's index; read on the CPU by
// src/maths/memorisation.ts.
struct Nearest {
  d1: f32,
  d2: f32,
  index: u32,
  pad: u32,
}
