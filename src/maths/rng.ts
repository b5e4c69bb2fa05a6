/**
 * Counter-based random numbers: Threefry-2x32 with 20 rounds (Salmon et al. 2011,
 * "Parallel random numbers: as easy as 1, 2, 3"; Random123). The same function runs in
 * shaders/lib/rng.wgsl, so a CPU reference and a GPU kernel see the same draws: the u32 outputs
 * agree bit for bit, the normals to float32 rounding.
 *
 * Keyed by (seed, stream); counted by (particle, step). No state, so any draw of any run can be
 * recomputed on its own.
 */

/** Independent streams of one seed: each use of randomness has its own key. */
export const Stream = {
  /** Initial noise of a reverse run; the fixed eps of the forward jump. */
  noise: 0,
  /** Which stored data point a particle starts from in forward mode. */
  pick: 1,
  /** Fresh noise inside a step (ancestral samplers, forward SDE). */
  step: 2,
  /** Generating datasets. */
  dataset: 3,
  /** Subsampling user files. */
  subsample: 4,
  /** The deliberate score error's noise, per denoiser evaluation (shaders/run/perturb.wgsl). */
  perturb: 5,
  /** Langevin moves, counted by each particle's move number (src/maths/langevin.ts). */
  langevin: 6,
  /** MALA's accept/reject uniforms. */
  accept: 7,
  /** The smoothed image denoiser's query noise, per denoiser evaluation. */
  smooth: 8,
  /** The learned denoiser's training batches: which point and level, per row and step. */
  train: 9,
  /** The training batches' noise. */
  trainNoise: 10,
  /** The network's initial weights. */
  init: 11,
  /** Which training rows drop their class label (classifier-free guidance's label dropout). */
  trainLabel: 12,
} as const;

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;
const PARITY = 0x1bd11bda;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** Threefry-2x32-20 of counter (c0, c1) under key (k0, k1), as two u32. */
export function threefry2x32(
  k0: number,
  k1: number,
  c0: number,
  c1: number,
  out: Uint32Array = new Uint32Array(2),
): Uint32Array {
  const ks0 = k0 >>> 0;
  const ks1 = k1 >>> 0;
  const ks2 = (PARITY ^ k0 ^ k1) >>> 0;
  let x0 = (c0 + ks0) >>> 0;
  let x1 = (c1 + ks1) >>> 0;
  for (let s = 1; s <= 5; s++) {
    for (let r = 0; r < 4; r++) {
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, ROTATIONS[((s - 1) * 4 + r) % 8]!);
      x1 = (x1 ^ x0) >>> 0;
    }
    // Key injection s: (ks[s % 3], ks[(s + 1) % 3] + s).
    const a = s % 3;
    x0 = (x0 + (a === 0 ? ks0 : a === 1 ? ks1 : ks2)) >>> 0;
    const b = (s + 1) % 3;
    x1 = (x1 + (b === 0 ? ks0 : b === 1 ? ks1 : ks2) + s) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  return out;
}

/**
 * A u32 to a uniform in (0, 1), from its top 23 bits: k + 0.5 for k < 2^23 fits float32's 24-bit
 * significand, so WGSL's float32 arithmetic gives exactly this value too.
 */
export function toUniform(u: number): number {
  return ((u >>> 9) + 0.5) / 8388608;
}

/** Two independent standard normals by Box-Muller from one Threefry draw. */
export function normal2(
  seed: number,
  stream: number,
  particle: number,
  step: number,
  out: Float64Array = new Float64Array(2),
): Float64Array {
  const bits = threefry2x32(seed, stream, particle, step, scratch);
  const r = Math.sqrt(-2 * Math.log(toUniform(bits[0]!)));
  const theta = 2 * Math.PI * toUniform(bits[1]!);
  out[0] = r * Math.cos(theta);
  out[1] = r * Math.sin(theta);
  return out;
}

/** Two uniforms in (0, 1) from one draw. */
export function uniform2(
  seed: number,
  stream: number,
  particle: number,
  step: number,
  out: Float64Array = new Float64Array(2),
): Float64Array {
  const bits = threefry2x32(seed, stream, particle, step, scratch);
  out[0] = toUniform(bits[0]!);
  out[1] = toUniform(bits[1]!);
  return out;
}

/**
 * An integer in [0, m), as the WGSL pick_index: the draw modulo m, integer arithmetic on both
 * sides (its bias, m / 2^32, is below 3e-5 for m <= 100,000).
 */
export function pickIndex(seed: number, stream: number, particle: number, m: number): number {
  const bits = threefry2x32(seed, stream, particle, 0, scratch);
  return bits[0]! % m;
}

const scratch = new Uint32Array(2);

/**
 * A sequential generator for CPU-side work (datasets, subsampling) built on the same counter
 * function: the i-th pair of draws is threefry(seed, stream; i, 0).
 */
export class Rng {
  private counter = 0;
  private spare: number | null = null;
  private readonly pair = new Float64Array(2);

  constructor(
    private readonly seed: number,
    private readonly stream: number = Stream.dataset,
  ) {}

  uniform(): number {
    const bits = threefry2x32(this.seed, this.stream, this.counter++, 0, scratch);
    // 53 bits for CPU-side use.
    return ((bits[0]! >>> 5) * 67108864 + (bits[1]! >>> 6) + 0.5) / 9007199254740992;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    normal2(this.seed, this.stream, this.counter++, 1, this.pair);
    this.spare = this.pair[1]!;
    return this.pair[0]!;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
}
