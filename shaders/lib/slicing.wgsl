// The sliced Wasserstein passes' parameters (src/sim/distance/slicedWasserstein.ts).
struct Slicing {
  // P, the points per cloud; P rounded up to a power of two; K, the directions.
  points: u32,
  padded: u32,
  projections: u32,
}
