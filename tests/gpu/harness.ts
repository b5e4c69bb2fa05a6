/**
 * Runs one kernel on real WebGPU over given inputs, for comparison with its float64 reference.
 * The same createKernel/bindKernel path as the product, with a one-slot step table.
 */
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { bindKernel, createKernel, kernelSource, type Kernel } from '../../src/gpu/kernel';
import { shaderSources } from '../../src/gpu/shaderSources';
import { LANGEVIN_STATE_WORDS } from '../../src/maths/langevin';
import type { StepParams } from '../../src/maths/steps';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels, type ScheduleId } from '../../src/maths/schedules';
import type { DenoiserId } from '../../src/settings/settings';
import type { RunSpec, Simulation } from '../../src/sim/run/simulation';
import { StepWriter } from '../../src/sim/run/stepTable';
import { packMixture } from '../../src/sim/run/mixture';
import { expect } from 'vitest';
import { within } from '../random';

let gpu: Promise<Gpu> | null = null;

/** One device for the whole test file. */
export function testGpu(): Promise<Gpu> {
  gpu ??= acquireGpu().then((g) => {
    g.device.addEventListener('uncapturederror', (e) => {
      gpuErrors.push(e.error.message);
    });
    return g;
  });
  return gpu;
}

/** Validation and out-of-memory errors the device reported: every test expects none. */
export const gpuErrors: string[] = [];

const kernels = new Map<string, Promise<Kernel>>();

export async function kernel(name: string): Promise<Kernel> {
  const { device } = await testGpu();
  let k = kernels.get(name);
  if (!k) {
    k = createKernel(device, {
      label: name,
      code: kernelSource(shaderSources, `run/${name}`),
      dynamic: ['step'],
    });
    kernels.set(name, k);
  }
  return k;
}

export interface KernelInputs {
  x?: ArrayLike<number>;
  x0hat?: ArrayLike<number>;
  energy?: ArrayLike<number>;
  history?: ArrayLike<number>;
  data?: ArrayLike<number>;
  /** The class of each data point (all 0 when absent). */
  labels?: ArrayLike<number>;
  /** The unconditional denoiser's outputs (run/guide.wgsl). */
  x0uncond?: ArrayLike<number>;
  energyUncond?: ArrayLike<number>;
  mixture?: Float32Array;
  /** The Langevin kernels' buffers; langevinState as packed bytes (src/maths/langevin.ts packLangevinState). */
  v?: ArrayLike<number>;
  accept?: ArrayLike<number>;
  heat?: ArrayLike<number>;
  langevinState?: ArrayBuffer;
}

export interface KernelOutputs {
  x: Float32Array;
  x0hat: Float32Array;
  energy: Float32Array;
  history: Float32Array;
  v: Float32Array;
  accept: Float32Array;
  heat: Float32Array;
  langevinState: ArrayBuffer;
}

export async function runKernel(
  name: string,
  p: StepParams,
  inputs: KernelInputs,
): Promise<KernelOutputs> {
  const { device } = await testGpu();
  const k = await kernel(name);
  const struct = k.definitions.structs.Step!;
  const writer = new StepWriter(struct, 256);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const f32 = (a: ArrayLike<number> | undefined, size: number): Float32Array<ArrayBuffer> =>
    a ? Float32Array.from(a) : new Float32Array(size);
  // Per-lane buffers: dim / 2 vec2 lanes per particle (one for points); energy and accept per
  // particle. Kernels that run per particle dispatch n invocations, the rest one per lane.
  const lanes = (p.n * (p.dim ?? 2)) / 2;
  const perParticle = name === 'mala_accept' || name === 'guide' || name.startsWith('denoise_');
  const buffers = {
    step: createBuffer(device, {
      label: 'step',
      size: 256,
      usage: GPUBufferUsage.UNIFORM,
      data: new Uint8Array(writer.pack([p])),
    }),
    x: createBuffer(device, { label: 'x', size: 0, usage, data: f32(inputs.x, 2 * lanes) }),
    x0hat: createBuffer(device, {
      label: 'x0hat',
      size: 0,
      usage,
      data: f32(inputs.x0hat, 2 * lanes),
    }),
    energy: createBuffer(device, {
      label: 'energy',
      size: 0,
      usage,
      data: f32(inputs.energy, p.n),
    }),
    v: createBuffer(device, { label: 'v', size: 0, usage, data: f32(inputs.v, 2 * lanes) }),
    accept: createBuffer(device, {
      label: 'accept',
      size: 0,
      usage,
      data: f32(inputs.accept, p.n),
    }),
    heat: createBuffer(device, { label: 'heat', size: 0, usage, data: f32(inputs.heat, lanes) }),
    langevinState: createBuffer(device, {
      label: 'langevinState',
      size: 4 * LANGEVIN_STATE_WORDS * lanes,
      usage,
      ...(inputs.langevinState ? { data: new Uint8Array(inputs.langevinState) } : {}),
    }),
    history: createBuffer(device, {
      label: 'history',
      size: 0,
      usage,
      data: f32(inputs.history, 4 * lanes),
    }),
    data: createBuffer(device, { label: 'data', size: 0, usage, data: f32(inputs.data, 2) }),
    labels: createBuffer(device, {
      label: 'labels',
      size: 0,
      usage,
      data: Uint32Array.from(inputs.labels ?? new Uint32Array((inputs.data?.length ?? 2) / 2)),
    }),
    x0uncond: createBuffer(device, {
      label: 'x0uncond',
      size: 0,
      usage,
      data: f32(inputs.x0uncond, 2 * lanes),
    }),
    energyUncond: createBuffer(device, {
      label: 'energyUncond',
      size: 0,
      usage,
      data: f32(inputs.energyUncond, p.n),
    }),
    mixture: createBuffer(device, {
      label: 'mixture',
      size: 0,
      usage,
      data: inputs.mixture ?? packMixture(null),
    }),
  };
  const group = bindKernel(device, k, {
    ...buffers,
    step: { buffer: buffers.step, size: struct.size },
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, group, [0]);
  pass.dispatchWorkgroups(Math.ceil((perParticle ? p.n : lanes) / k.workgroupSize));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const read = async (b: GPUBuffer): Promise<Float32Array> =>
    new Float32Array(await readback(device, b));
  const out = {
    x: await read(buffers.x),
    x0hat: await read(buffers.x0hat),
    energy: await read(buffers.energy),
    history: await read(buffers.history),
    v: await read(buffers.v),
    accept: await read(buffers.accept),
    heat: await read(buffers.heat),
    langevinState: await readback(device, buffers.langevinState),
  };
  for (const b of Object.values(buffers)) b.destroy();
  return out;
}

/** Normwise relative error max|a - b| / max|b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

// Float32 error bounds from the inputs: what a kernel's own arithmetic may cost (running error
// analysis, Wilkinson 1963; Higham 2002 section 3.3), each operation at the accuracy WGSL states
// (section 15.7.4): + - * correctly rounded, / 2.5 ulp, sqrt as 1 / inverseSqrt (2 + 2.5 ulp),
// exp 3 + 2|x| ulp, log 3 ulp (2^-21 absolute on [0.5, 2]); 1 ulp <= 2 EPS32 |value|.
import { threefry2x32, toUniform } from '../../src/maths/rng';

/** float32's unit roundoff (EPS32 of tests/random.ts). */
const ROUNDOFF = 2 ** -24;
/** The smallest normal float32: WGSL lets a subnormal input or result be flushed to zero. */
const FLUSHED = 2 ** -126;

/**
 * A float64 value v with a first-order bound e on the error of computing it in WGSL's float32:
 * each operation carries its operands' bounds through and adds its own rounding. Numbers passed
 * as operands are exact constants (0.5, 1, 2); a rounded constant is `F32.of(c)`.
 */
export class F32 {
  constructor(
    readonly v: number,
    readonly e = 0,
  ) {}

  /** A float64 value rounded once to float32 (an input buffer, a uniform field, a constant). */
  static of(v: number): F32 {
    return new F32(v, ROUNDOFF * Math.abs(v) + FLUSHED);
  }

  add(b: F32 | number): F32 {
    const o = lift(b);
    const v = this.v + o.v;
    return new F32(v, this.e + o.e + ROUNDOFF * Math.abs(v) + FLUSHED);
  }

  sub(b: F32 | number): F32 {
    return this.add(lift(b).neg());
  }

  neg(): F32 {
    return new F32(-this.v, this.e);
  }

  /** max(x, 0): exact; a negative x within its bound of 0 may be positive. */
  max0(): F32 {
    return this.v >= 0 ? this : new F32(0, Math.max(0, this.e + this.v));
  }

  mul(b: F32 | number): F32 {
    const o = lift(b);
    const v = this.v * o.v;
    const e = Math.abs(this.v) * o.e + Math.abs(o.v) * this.e + this.e * o.e;
    return new F32(v, e + ROUNDOFF * Math.abs(v) + FLUSHED);
  }

  div(b: F32 | number): F32 {
    const o = lift(b);
    const v = this.v / o.v;
    const room = Math.abs(o.v) - o.e;
    const e = room > 0 ? (this.e + Math.abs(v) * o.e) / room : Infinity;
    return new F32(v, e + 5 * ROUNDOFF * Math.abs(v) + FLUSHED);
  }

  /** sqrt(max(x, 0)), as the kernels write it. */
  sqrt(): F32 {
    const a = Math.max(this.v, 0);
    const v = Math.sqrt(a);
    const spread = Math.max(Math.sqrt(a + this.e) - v, v - Math.sqrt(Math.max(a - this.e, 0)));
    return new F32(v, spread + 9 * ROUNDOFF * v + FLUSHED);
  }

  exp(): F32 {
    const v = Math.exp(this.v);
    return new F32(v, v * Math.expm1(this.e) + (6 + 4 * Math.abs(this.v)) * ROUNDOFF * v + FLUSHED);
  }

  log(): F32 {
    const v = Math.log(this.v);
    const spread = this.e < this.v ? -Math.log1p(-this.e / this.v) : Infinity;
    const own = this.v >= 0.5 && this.v <= 2 ? 2 ** -21 : 6 * ROUNDOFF * Math.abs(v);
    return new F32(v, spread + own);
  }
}

const lift = (b: F32 | number): F32 => (typeof b === 'number' ? new F32(b) : b);

/** dot(a, b) of two vec2f. */
export const dot2 = (a: readonly F32[], b: readonly F32[]): F32 =>
  a[0]!.mul(b[0]!).add(a[1]!.mul(b[1]!));

/** Taylor polynomials of cos_sin_2pi (shaders/lib/rng.wgsl) on [-pi/4, pi/4]: truncation. */
const POLYNOMIAL_TRUNCATION = (Math.PI / 4) ** 11 / 39916800;

/** a0 + a (a1 + a (a2 + ...)), float32 constants. */
function horner(a: F32, coefficients: readonly number[]): F32 {
  let t = F32.of(coefficients[coefficients.length - 1]!);
  for (let k = coefficients.length - 2; k >= 0; k--) t = F32.of(coefficients[k]!).add(a.mul(t));
  return t;
}

/**
 * cos_sin_2pi(u) of shaders/lib/rng.wgsl with its bound, [cos 2 pi u, sin 2 pi u], u carrying its
 * own: the reduction u - q / 4 is exact (u a float32, |u - q / 4| <= 1 / 8), so u's error passes
 * through times 2 pi; the angle through the Taylor polynomials, their truncation added.
 */
export function cosSin2piF32(u: F32): [F32, F32] {
  const q = Math.round(4 * u.v);
  const a = F32.of(2 * Math.PI).mul(new F32(u.v - 0.25 * q, u.e));
  const a2 = a.mul(a);
  const sin = a.mul(horner(a2, [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880]));
  const cos = horner(a2, [1, -1 / 2, 1 / 24, -1 / 720, 1 / 40320, -1 / 3628800]);
  const s = new F32(sin.v, sin.e + POLYNOMIAL_TRUNCATION);
  const c = new F32(cos.v, cos.e + POLYNOMIAL_TRUNCATION);
  const quadrant: [F32, F32][] = [
    [c, s],
    [s.neg(), c],
    [c.neg(), s.neg()],
    [s, c.neg()],
  ];
  return quadrant[q & 3]!;
}

/**
 * normal2 of shaders/lib/rng.wgsl with its bound: Box-Muller through WGSL's log and sqrt, the
 * angle through cos_sin_2pi's polynomials; the uniforms themselves are exact.
 */
export function normal2F32(seed: number, stream: number, particle: number, step: number): F32[] {
  const bits = threefry2x32(seed, stream, particle, step);
  const r = new F32(toUniform(bits[0]!)).log().mul(-2).sqrt();
  const [c, s] = cosSin2piF32(new F32(toUniform(bits[1]!)));
  return [r.mul(c), r.mul(s)];
}

/**
 * The kernels' online softmax (running max; Milakov & Gimelshein 2018) over m terms in order,
 * with bounds: the weighted mean of the values (dim per term) and log sum_j exp(logit_j). Beyond
 * the logits' and values' own bounds: each exp(logit - max) (its argument and 3 + 2|x| ulp),
 * each rescale of the running sums by exp(max_old - max_new) (an error on every earlier weight),
 * the sums' roundings (running bounds of their partial sums), the division and the log. First
 * order; the running maxima's own errors cancel. Plain arrays, for the denoisers' m x n terms.
 */
export function softmaxBounds(
  logit: Float64Array,
  logitErr: Float64Array,
  values: ArrayLike<number>,
  valueErr: ArrayLike<number> | null,
  dim: number,
): { mean: Float64Array; meanErr: Float64Array; lse: number; lseErr: number } {
  const m = logit.length;
  let max = -Infinity;
  for (let j = 0; j < m; j++) max = Math.max(max, logit[j]!);
  const w = new Float64Array(m);
  const theta = new Float64Array(m);
  const rescale = new Float64Array(m);
  let running = -Infinity;
  let total = 0;
  const mean = new Float64Array(dim);
  for (let j = 0; j < m; j++) {
    const l = logit[j]!;
    w[j] = Math.exp(l - max);
    total += w[j]!;
    for (let c = 0; c < dim; c++) mean[c]! += w[j]! * values[j * dim + c]!;
    if (l > running) {
      if (j > 0) rescale[j] = ROUNDOFF * (6 + 5 * (l - running));
      theta[j] = logitErr[j]!;
      running = l;
    } else {
      theta[j] = logitErr[j]! + ROUNDOFF * (6 + 5 * (running - l));
    }
  }
  for (let c = 0; c < dim; c++) mean[c]! /= total;
  for (let j = m - 2, later = rescale[m - 1]!; j >= 0; j--) {
    theta[j]! += later;
    later += rescale[j]!;
  }
  // Running bounds of l and acc: every partial sum rounded once (twice at a rescale).
  let sum = 0;
  let sumErr = 0;
  let weighted = 0;
  const partial = new Float64Array(dim);
  const accErr = new Float64Array(dim);
  const spread = new Float64Array(dim);
  for (let j = 0; j < m; j++) {
    const wj = w[j]!;
    const p = wj / total;
    const tj = theta[j]!;
    const rescaled = rescale[j]! > 0;
    sumErr += (rescaled ? 2 * sum : sum) + wj;
    sum += wj;
    weighted += p * tj;
    for (let c = 0; c < dim; c++) {
      const v = values[j * dim + c]!;
      const term = wj * v;
      const before = partial[c]!;
      const after = before + term;
      partial[c] = after;
      accErr[c] = accErr[c]! + (rescaled ? Math.abs(before) : Math.abs(term)) + Math.abs(after);
      spread[c] = spread[c]! + p * tj * Math.abs(v - mean[c]!);
    }
  }
  if (valueErr) {
    for (let j = 0; j < m; j++)
      for (let c = 0; c < dim; c++)
        spread[c] = spread[c]! + (w[j]! / total) * valueErr[j * dim + c]!;
  }
  sumErr *= ROUNDOFF;
  const meanErr = mean.map(
    (v, c) =>
      spread[c]! +
      (ROUNDOFF * accErr[c]! + Math.abs(v) * sumErr) / total +
      5 * ROUNDOFF * Math.abs(v),
  );
  const logSum = new F32(total, sumErr).log();
  const lse = new F32(max).add(new F32(logSum.v, logSum.e + weighted));
  return { mean, meanErr, lse: lse.v, lseErr: lse.e };
}

/** softmaxBounds on F32 logits and values. */
export function softmaxF32(
  logits: readonly F32[],
  values: readonly F32[],
  dim: number,
): { mean: F32[]; lse: F32 } {
  const s = softmaxBounds(
    Float64Array.from(logits, (l) => l.v),
    Float64Array.from(logits, (l) => l.e),
    Float64Array.from(values, (v) => v.v),
    Float64Array.from(values, (v) => v.e),
    dim,
  );
  return {
    mean: Array.from(s.mean, (v, c) => new F32(v, s.meanErr[c])),
    lse: new F32(s.lse, s.lseErr),
  };
}

/**
 * The logits -|q - a y_j|^2 inv of the empirical denoisers and fields, dv_j = q - a y_j (2 per
 * term) and their bounds, y_j the float32 data (exact), operation for operation as F32 would:
 * inline, as there are n m of them.
 */
export function distanceLogits(
  q: readonly F32[],
  data: Float32Array,
  a: F32,
  inv: F32,
): { logit: Float64Array; logitErr: Float64Array; dv: Float64Array; dvErr: Float64Array } {
  const m = data.length / 2;
  const logit = new Float64Array(m);
  const logitErr = new Float64Array(m);
  const dvs = new Float64Array(2 * m);
  const dvErrs = new Float64Array(2 * m);
  for (let j = 0; j < m; j++) {
    let dot = 0;
    let dotErr = 0;
    for (let c = 0; c < 2; c++) {
      const y = data[2 * j + c]!;
      const ay = a.v * y;
      const ayErr = Math.abs(y) * a.e + ROUNDOFF * Math.abs(ay);
      const dv = q[c]!.v - ay;
      const dvErr = q[c]!.e + ayErr + ROUNDOFF * Math.abs(dv);
      dvs[2 * j + c] = dv;
      dvErrs[2 * j + c] = dvErr;
      const sq = dv * dv;
      dotErr += 2 * Math.abs(dv) * dvErr + dvErr * dvErr + ROUNDOFF * sq;
      dot += sq;
    }
    dotErr += ROUNDOFF * dot;
    const v = -dot * inv.v;
    logit[j] = v;
    logitErr[j] = dot * inv.e + inv.v * dotErr + dotErr * inv.e + ROUNDOFF * Math.abs(v);
  }
  return { logit, logitErr, dv: dvs, dvErr: dvErrs };
}

/** A Gaussian mixture component as packMixture stores it (src/sim/run/mixture.ts): float64 here. */
interface ComponentF64 {
  weight: number;
  mean: readonly [number, number];
  cov: readonly [number, number, number];
}

/** component_term of shaders/lib/mixture.wgsl with bounds: log(pi N(x; a mu, C)) and C^-1 r. */
export function componentTermF32(
  c: ComponentF64,
  x: readonly F32[],
  a: F32,
  s2: F32,
): { logit: F32; ciR: F32[] } {
  const aa = a.mul(a);
  const cxx = aa.mul(F32.of(c.cov[0])).add(s2);
  const cxy = aa.mul(F32.of(c.cov[1]));
  const cyy = aa.mul(F32.of(c.cov[2])).add(s2);
  const det = cxx.mul(cyy).sub(cxy.mul(cxy));
  const r = [x[0]!.sub(a.mul(F32.of(c.mean[0]))), x[1]!.sub(a.mul(F32.of(c.mean[1])))];
  const ciR = [
    cyy.mul(r[0]!).sub(cxy.mul(r[1]!)).div(det),
    cxx.mul(r[1]!).sub(cxy.mul(r[0]!)).div(det),
  ];
  const logit = F32.of(Math.log(c.weight))
    .sub(dot2(r, ciR).mul(0.5))
    .sub(det.log().mul(0.5))
    .sub(F32.of(Math.log(2 * Math.PI)));
  return { logit, ciR };
}

/**
 * WGSL may reassociate and fuse operations (section 15.7.4), so a kernel's roundings may fall on
 * other partial sums than the F32 replay's: tolerances are twice the replayed bound.
 */
export const REASSOCIATION_SLACK = 2;

/**
 * The element where |a - b| is the largest fraction of its bound, as { error, tolerance } for
 * within(): a comparison element by element, each against REASSOCIATION_SLACK times its bound.
 */
export function worstElement(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bound: ArrayLike<number>,
): { error: number; tolerance: number } {
  if (a.length !== b.length || a.length !== bound.length)
    throw new Error(`lengths ${a.length}, ${b.length}, ${bound.length}`);
  let worst = { error: 0, tolerance: 1, ratio: 0 };
  for (let i = 0; i < a.length; i++) {
    const error = Math.abs(a[i]! - b[i]!);
    const ratio = error === 0 ? 0 : error / bound[i]!;
    if (!(ratio <= worst.ratio)) worst = { error, tolerance: bound[i]!, ratio };
  }
  return { error: worst.error, tolerance: REASSOCIATION_SLACK * worst.tolerance };
}

/**
 * 1 - exp(-a) as shaders/run/baoab_baoa.wgsl forms it: its Horner series to a^6 below a = 0.1
 * (truncated: a^7 / 5040 more), else the subtraction.
 */
export function oneMinusExpF32(a: F32): F32 {
  if (a.v >= 0.1) return new F32(1).sub(a.neg().exp());
  let h = F32.of(1 / 120).sub(a.div(720));
  for (const k of [F32.of(1 / 24), F32.of(1 / 6), new F32(0.5), new F32(1)]) h = k.sub(a.mul(h));
  const series = a.mul(h);
  return new F32(series.v, series.e + a.v ** 7 / 5040);
}

/** Sets a run on a Simulation as the app does: its kernels prepared (compiled), then set. */
export async function setRun(sim: Simulation, spec: RunSpec): Promise<void> {
  await sim.prepare(spec);
  sim.setRun(spec);
}

/**
 * The particles at the end of a whole reverse DDIM run (eta 0) over `steps` levels of the
 * schedule (cosine unless given), from the seed's noise, with the denoiser (and the data, network
 * and particles) already on `sim`, conditioned on a class (and guided) when `condition` says so.
 */
export async function ddimSamples(
  sim: Simulation,
  device: GPUDevice,
  run: {
    denoiser: DenoiserId;
    steps: number;
    seed: number;
    smoothing?: RunSpec['smoothing'];
    schedule?: ScheduleId;
    condition?: RunSpec['condition'];
  },
): Promise<Float32Array> {
  const { denoiser, steps, seed, smoothing, schedule = 'cosine', condition } = run;
  await setRun(sim, {
    mode: 'reverse',
    sampler: 'ddim',
    denoiser,
    levels: reverseLevels(schedule, DEFAULT_SCHEDULE_PARAMS, steps),
    eta: 0,
    seed,
    ...(smoothing ? { smoothing } : {}),
    ...(condition ? { condition } : {}),
  });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  sim.encodeSteps(encoder, steps);
  device.queue.submit([encoder.finish()]);
  return sim.positions();
}

/** A storage buffer holding `data`, kept in `kept` for the test file's afterAll to destroy. */
export function uploadInput(
  device: GPUDevice,
  data: Float32Array<ArrayBuffer>,
  kept: GPUBuffer[],
): GPUBuffer {
  const b = createBuffer(device, {
    label: 'input',
    size: 0,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    data,
  });
  kept.push(b);
  return b;
}

/**
 * Every gpu[i] against cpu[i] within bound(i), failing on the worst error / bound with `model`
 * named (the error model the bounds come from); a bound of 0 means a value that must be exactly
 * cpu[i] (one the kernel must leave untouched, or a copy).
 */
export function expectWithin(
  what: string,
  gpu: ArrayLike<number>,
  cpu: ArrayLike<number>,
  bound: (i: number) => number,
  model: string,
): void {
  expect(gpu.length, what).toBe(cpu.length);
  let worst = { error: 0, tolerance: 1, ratio: -1, i: 0 };
  for (let i = 0; i < cpu.length; i++) {
    const error = Math.abs(gpu[i]! - cpu[i]!);
    const tolerance = bound(i);
    if (tolerance === 0) {
      expect(gpu[i], `${what}[${i}] exact (untouched, or a copy)`).toBe(cpu[i]);
      continue;
    }
    if (!(error / tolerance <= worst.ratio))
      worst = { error, tolerance, ratio: error / tolerance, i };
  }
  within(worst.error, worst.tolerance, `${what}[${worst.i}]: ${model}`);
}

/** A kernel test file's buffers and passes on its device (Scratch). */
export interface Scratch {
  /** A storage buffer holding `data` (or that many zeros), freed by destroy(). */
  buffer(data: Float32Array<ArrayBuffer> | number): GPUBuffer;
  /** Records one compute pass, submits it and waits for the queue. */
  run(record: (pass: GPUComputePassEncoder) => void): Promise<void>;
  /** The first n floats of a buffer. */
  read(b: GPUBuffer, n: number): Promise<Float32Array>;
  destroy(): void;
}

export function scratch(device: GPUDevice, label: string): Scratch {
  const kept: GPUBuffer[] = [];
  return {
    buffer(data) {
      const b = createBuffer(device, {
        label,
        size: typeof data === 'number' ? 4 * data : 0,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        ...(typeof data === 'number' ? {} : { data }),
      });
      kept.push(b);
      return b;
    },
    async run(record) {
      const encoder = device.createCommandEncoder({ label });
      const pass = encoder.beginComputePass({ label });
      record(pass);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    },
    read: async (b, n) => new Float32Array(await readback(device, b, 4 * n)),
    destroy: () => kept.forEach((b) => b.destroy()),
  };
}
