//#include "lib/float.wgsl"

// The entropy passes' parameters (src/sim/observe/entropy.ts): the first P points take part, the
// distance to the k-th nearest neighbour, points beyond the radius left out.
struct Knn {
  points: u32,
  k: u32,
  radius: f32,
}

// The most neighbours a lane keeps (the largest k).
const K_MAX: u32 = 16u;
const FAR: f32 = 3.0e38;
// src/maths/observables.ts MIN_DISTANCE_SQUARED: coincident points give a finite log r.
const MIN_DISTANCE_SQUARED: f32 = 1e-30;

// Whether a point takes part: finite and within the radius (images pass (|x|, 0)).
fn knn_usable(p: vec2f, r: f32) -> bool {
  return is_finite(p.x) && is_finite(p.y) && max(abs(p.x), abs(p.y)) <= r && dot(p, p) <= r * r;
}

// Inserts a squared distance into the k smallest so far, kept sorted ascending in `best`.
fn knn_insert(best: ptr<function, array<f32, K_MAX>>, k: u32, d2: f32) {
  var v = d2;
  for (var s = 0u; s < k; s++) {
    let b = (*best)[s];
    if (v < b) {
      (*best)[s] = v;
      v = b;
    }
  }
}

// (1, log r) of a point that takes part with k-th squared distance kth, else (0, 0).
fn knn_log_r(ok: bool, kth: f32) -> vec2f {
  if (ok && kth < FAR) { return vec2f(1.0, 0.5 * log(max(kth, MIN_DISTANCE_SQUARED))); }
  return vec2f(0.0);
}
