// Per-lane state of the Langevin kernels (buffer `langevinState`), 32 bytes. MALA: the position before
// the proposal, its x0_hat and U, and |z|^2 / 2 of the proposal's noise. ULA and the correctors:
// the position before the last move and its x0_hat, whose heat awaits the gradient at the move's
// end (pending = 1). moves: Langevin moves since reset, the RNG counter of the next move's noise
// (annealed and pc take several moves per step table slot).
struct LangevinState {
  x: vec2f,
  x0hat: vec2f,
  energy: f32,
  log_q: f32,
  moves: u32,
  pending: u32,
}

@group(0) @binding(7) var<storage, read_write> langevinState: array<LangevinState>;
