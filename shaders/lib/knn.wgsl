// The entropy passes' parameters (src/sim/observe/entropy.ts): the first P points take part, the
// distance to the k-th nearest neighbour, points beyond the radius left out.
struct Knn {
  points: u32,
  k: u32,
  radius: f32,
}
