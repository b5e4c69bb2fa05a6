/**
 * Float64 references of the Langevin kernels (shaders/run/langevin_init.wgsl, ula.wgsl,
 * mala_propose.wgsl, mala_accept.wgsl, baoab_baoa.wgsl, baoab_b.wgsl), with the same formulas and
 * the same random draws, and the step sizes of annealed Langevin and predictor-corrector.
 * ../shared/docs/maths.md section 4. Notation: U = -log p at the denoiser's level (alpha, sigma),
 * g = grad U = (x - alpha x0_hat) / sigma^2, T the temperature, h the step size.
 */
import { normal2, threefry2x32, toUniform, Stream } from './rng';
import { laneCount, particleOf, type CpuState, type StepParams } from './steps';

/** The step parameters of a Langevin kernel: every Langevin field present. */
export type LangevinParams = StepParams &
  Required<Pick<StepParams, 'temperature' | 'h' | 'gamma' | 'close' | 'velocity_std'>>;

/** Threefry streams of the Langevin kernels (STREAM_LANGEVIN, STREAM_ACCEPT in lib/rng.wgsl). */
export const LangevinStream = { move: Stream.langevin, accept: Stream.accept } as const;

/** Words per lane of struct LangevinState (shaders/lib/langevin_state.wgsl; a unit test checks it by reflection). */
export const LANGEVIN_STATE_WORDS = 8;

/**
 * The Langevin kernels' per-particle state beside CpuState: velocities, the last MALA decision,
 * the heat released since reset (units of T) and the Langevin state (struct LangevinState).
 */
export interface LangevinCpu {
  v: Float64Array;
  accept: Float64Array;
  heat: Float64Array;
  langevinState: {
    x: Float64Array;
    x0hat: Float64Array;
    energy: Float64Array;
    logQ: Float64Array;
    moves: Uint32Array;
    pending: Uint32Array;
  };
}

/**
 * The Langevin state of n particles of `dim` coordinates: accept per particle; velocities, heat
 * and the Langevin state per vec2 lane (dim / 2 per particle; for points a lane is a particle).
 */
export function langevinCpu(n: number, dim = 2): LangevinCpu {
  const lanes = (n * dim) / 2;
  return {
    v: new Float64Array(2 * lanes),
    accept: new Float64Array(n),
    heat: new Float64Array(lanes),
    langevinState: {
      x: new Float64Array(2 * lanes),
      x0hat: new Float64Array(2 * lanes),
      energy: new Float64Array(lanes),
      logQ: new Float64Array(lanes),
      moves: new Uint32Array(lanes),
      pending: new Uint32Array(lanes),
    },
  };
}

/** The Langevin state in the GPU layout (x, x0hat, energy, log_q as f32; moves, pending as u32). */
export function packLangevinState(langevinState: LangevinCpu['langevinState']): ArrayBuffer {
  const n = langevinState.energy.length;
  const bytes = new ArrayBuffer(4 * LANGEVIN_STATE_WORDS * n);
  const f = new Float32Array(bytes);
  const u = new Uint32Array(bytes);
  for (let i = 0; i < n; i++) {
    const b = LANGEVIN_STATE_WORDS * i;
    f.set(
      [
        langevinState.x[2 * i]!,
        langevinState.x[2 * i + 1]!,
        langevinState.x0hat[2 * i]!,
        langevinState.x0hat[2 * i + 1]!,
      ],
      b,
    );
    f[b + 4] = langevinState.energy[i]!;
    f[b + 5] = langevinState.logQ[i]!;
    u[b + 6] = langevinState.moves[i]!;
    u[b + 7] = langevinState.pending[i]!;
  }
  return bytes;
}

export function unpackLangevinState(bytes: ArrayBuffer, n: number): LangevinCpu['langevinState'] {
  const f = new Float32Array(bytes);
  const u = new Uint32Array(bytes);
  const langevinState = langevinCpu(n).langevinState;
  for (let i = 0; i < n; i++) {
    const b = LANGEVIN_STATE_WORDS * i;
    langevinState.x.set([f[b]!, f[b + 1]!], 2 * i);
    langevinState.x0hat.set([f[b + 2]!, f[b + 3]!], 2 * i);
    langevinState.energy[i] = f[b + 4]!;
    langevinState.logQ[i] = f[b + 5]!;
    langevinState.moves[i] = u[b + 6]!;
    langevinState.pending[i] = u[b + 7]!;
  }
  return langevinState;
}

/**
 * Annealed Langevin's step at level sigma_i (Song & Ermon 2019, Algorithm 1):
 * e_i = h sigma_i^2 / sigma_L^2, sigma_L the run's last (smallest) noise level. Here sigma is the
 * noise level in x itself (x_t = alpha x0 + sigma eps), also on VP schedules: the variance that the
 * noise adds to p_t, which sets the scale of its local moves.
 */
export function annealedStepSize(h: number, sigma: number, sigmaLast: number): number {
  return (h * sigma * sigma) / (sigmaLast * sigmaLast);
}

/**
 * Predictor-corrector's Langevin step (Song et al. 2021, Algorithm 5): eps = 2 (r |z| / |score|)^2,
 * there with |z| and |score| the batch means of per-sample norms. In d = 2 per-particle norms are
 * useless (|z|^2 is exponential, and |score| vanishes at a mode's centre, making eps unbounded),
 * and a batch mean needs a reduction pass per move. Both norms are taken at their expected
 * values: E|z|^2 = d, and E|score|^2 = E|E[eps | x]|^2 / sigma^2 <= d / sigma^2 (Jensen), whose
 * bound is reached when sigma dominates the data's spread. So eps = 2 r^2 sigma^2: never larger than
 * the batch rule's (stable), equal to it at high noise, and deterministic.
 */
export function pcStepSize(snr: number, sigma: number): number {
  return 2 * snr * snr * sigma * sigma;
}

const z = new Float64Array(2);
const bits = new Uint32Array(2);

/** langevin_init.wgsl: velocities ~ N(0, velocity_std^2 I), the rest cleared. */
export function langevinInit(lv: LangevinCpu, p: LangevinParams): void {
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, Stream.noise, i, 1, z);
    lv.v[2 * i] = p.velocity_std * z[0]!;
    lv.v[2 * i + 1] = p.velocity_std * z[1]!;
  }
  lv.accept.fill(0);
  lv.heat.fill(0);
  const h = lv.langevinState;
  for (const a of [h.x, h.x0hat, h.energy, h.logQ, h.moves, h.pending]) a.fill(0);
}

const grad = (x: number, d: number, p: LangevinParams): number =>
  (x - p.alpha * d) / (p.sigma * p.sigma);

/** ula.wgsl: closes the pending move's heat, moves, holds the new start (or closes it, close = 1). */
export function ula(st: CpuState, lv: LangevinCpu, p: LangevinParams): void {
  const T = p.temperature;
  const sd = Math.sqrt(2 * p.h * T);
  const h = lv.langevinState;
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, LangevinStream.move, i, h.moves[i]!, z);
    let q = lv.heat[i]!;
    for (let c = 0; c < 2; c++) {
      const k = 2 * i + c;
      const x = st.x[k]!;
      const d = st.x0hat[k]!;
      const g = grad(x, d, p);
      if (h.pending[i] === 1) q -= (0.5 * (grad(h.x[k]!, h.x0hat[k]!, p) + g) * (x - h.x[k]!)) / T;
      const next = x - p.h * g + sd * z[c]!;
      if (p.close === 1) q -= (g * (next - x)) / T;
      h.x[k] = x;
      h.x0hat[k] = d;
      st.x[k] = next;
    }
    lv.heat[i] = q;
    h.moves[i] = h.moves[i]! + 1;
    h.pending[i] = p.close === 1 ? 0 : 1;
  }
}

/** mala_propose.wgsl. */
export function malaPropose(st: CpuState, lv: LangevinCpu, p: LangevinParams): void {
  const sd = Math.sqrt(2 * p.h * p.temperature);
  const h = lv.langevinState;
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, LangevinStream.move, i, h.moves[i]!, z);
    h.energy[i] = st.energy[particleOf(p, i)]!;
    h.logQ[i] = 0.5 * (z[0]! * z[0]! + z[1]! * z[1]!);
    h.pending[i] = 0;
    for (let c = 0; c < 2; c++) {
      const k = 2 * i + c;
      const x = st.x[k]!;
      h.x[k] = x;
      h.x0hat[k] = st.x0hat[k]!;
      st.x[k] = x - p.h * grad(x, st.x0hat[k]!, p) + sd * z[c]!;
    }
  }
}

/**
 * MALA's log acceptance ratio and uniform for particle i (mala_accept.wgsl), over its dim / 2
 * lanes; the state's energy and move counter are its first lane's.
 */
export function malaDecision(
  st: CpuState,
  lv: LangevinCpu,
  p: LangevinParams,
  i: number,
): { logRatio: number; logU: number } {
  const h = lv.langevinState;
  const T = p.temperature;
  const lanes = (p.dim ?? 2) / 2;
  const first = i * lanes;
  let back2 = 0;
  let logQ = 0;
  for (let k = 2 * first; k < 2 * (first + lanes); k++) {
    const back = h.x[k]! - st.x[k]! + p.h * grad(st.x[k]!, st.x0hat[k]!, p);
    back2 += back * back;
  }
  for (let j = first; j < first + lanes; j++) logQ += h.logQ[j]!;
  const logRatio = -(st.energy[i]! - h.energy[first]!) / T - back2 / (4 * p.h * T) + logQ;
  threefry2x32(p.seed, LangevinStream.accept, i, h.moves[first]!, bits);
  return { logRatio, logU: Math.log(toUniform(bits[0]!)) };
}

/** mala_accept.wgsl; `decide` may override a decision (float32 ties in the GPU comparison). */
export function malaAccept(
  st: CpuState,
  lv: LangevinCpu,
  p: LangevinParams,
  decide: (i: number, accepted: boolean) => boolean = (_, a) => a,
): void {
  const h = lv.langevinState;
  const lanes = (p.dim ?? 2) / 2;
  for (let i = 0; i < p.n; i++) {
    const first = i * lanes;
    const moves = h.moves[first]!;
    const { logRatio, logU } = malaDecision(st, lv, p, i);
    if (decide(i, logU < logRatio)) {
      let work = 0;
      for (let k = 2 * first; k < 2 * (first + lanes); k++) {
        const g = grad(h.x[k]!, h.x0hat[k]!, p);
        const gp = grad(st.x[k]!, st.x0hat[k]!, p);
        work += (g + gp) * (st.x[k]! - h.x[k]!);
      }
      lv.heat[first] = lv.heat[first]! - (0.5 * work) / p.temperature;
      lv.accept[i] = 1;
    } else {
      for (let k = 2 * first; k < 2 * (first + lanes); k++) {
        st.x[k] = h.x[k]!;
        st.x0hat[k] = h.x0hat[k]!;
      }
      st.energy[i] = h.energy[first]!;
      lv.accept[i] = 0;
    }
    for (let j = first; j < first + lanes; j++) h.moves[j] = moves + 1;
  }
}

/** baoab_baoa.wgsl: B, A, O, A; heat is the kinetic energy O removes, over T. */
export function baoabBaoa(st: CpuState, lv: LangevinCpu, p: LangevinParams): void {
  const half = 0.5 * p.h;
  const c = Math.exp(-p.gamma * p.h);
  const sd = Math.sqrt(-Math.expm1(-2 * p.gamma * p.h) * p.temperature);
  const h = lv.langevinState;
  for (let i = 0; i < laneCount(p); i++) {
    normal2(p.seed, LangevinStream.move, i, h.moves[i]!, z);
    let dk = 0;
    for (let q = 0; q < 2; q++) {
      const k = 2 * i + q;
      const vb = lv.v[k]! - half * grad(st.x[k]!, st.x0hat[k]!, p);
      const xa = st.x[k]! + half * vb;
      const vo = c * vb + sd * z[q]!;
      dk += vb * vb - vo * vo;
      lv.v[k] = vo;
      st.x[k] = xa + half * vo;
    }
    lv.heat[i] = lv.heat[i]! + (0.5 * dk) / p.temperature;
    h.moves[i] = h.moves[i]! + 1;
  }
}

/** baoab_b.wgsl: the closing half kick. */
export function baoabB(st: CpuState, lv: LangevinCpu, p: LangevinParams): void {
  for (let k = 0; k < 2 * laneCount(p); k++)
    lv.v[k] = lv.v[k]! - 0.5 * p.h * grad(st.x[k]!, st.x0hat[k]!, p);
}
