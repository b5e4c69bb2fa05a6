/**
 * The step table: one Step struct (shaders/lib/step.wgsl) per slot, computed once per run on the
 * CPU in float64 and uploaded as a uniform buffer that each dispatch reads at a dynamic offset.
 * Field offsets come from the WGSL itself, so the layout is written once.
 */
import type { StructDefinition } from 'webgpu-utils';
import { datasetSize, type Dataset } from '../../maths/datasets';
import { ALL_LABELS, guidanceAt, logShare, type Condition } from '../../maths/guidance';
import type { Level } from '../../maths/schedules';
import type { RunSpec } from '../../settings/runSpec';
import { annealedStepSize, pcStepSize } from '../../maths/langevin';
import { dpmRatio, emCoefficients, type StepParams } from '../../maths/steps';
import {
  correctorSlot,
  langevinInitSlot,
  langevinSlot,
  langevinSlotCount,
  scrubSlot,
  slotCount,
  stepSlot,
  type ScoreError,
} from './plan';

/** The run's constants on its data: n particles of `dim` floats, the Gaussian model's rank. */
export function runConstants(
  spec: RunSpec,
  dataset: Dataset,
  n: number,
  dim: number,
  rank: number,
): RunConstants {
  const gaussian = spec.denoiser === 'gaussian' && dim === 2;
  const condition = spec.condition;
  const mixture = spec.denoiser === 'exact' && !!dataset.mixture;
  return {
    ...(condition ? { condition, logShare: logShare(dataset, condition.label, mixture) } : {}),
    eta: spec.eta,
    n,
    m: datasetSize(dataset),
    k: gaussian ? 1 : (dataset.mixture?.components.length ?? 0),
    seed: spec.seed,
    error: spec.error,
    dim,
    smoothing: spec.denoiser === 'smoothed' ? (spec.smoothing?.std ?? 0) : 0,
    draws: drawsOf(spec),
    rank,
  };
}

/** Monte Carlo draws per denoiser evaluation of a run (1 unless smoothed). */
export const drawsOf = (spec: RunSpec | null): number =>
  spec?.denoiser === 'smoothed' ? (spec.smoothing?.draws ?? 1) : 1;

export interface RunConstants {
  eta: number;
  n: number;
  m: number;
  k: number;
  seed: number;
  /** The deliberate score error (none when absent). */
  error?: ScoreError;
  /** Coordinates per particle: 2 (the default) for point clouds, d for images. */
  dim?: number;
  /** The smoothed denoiser's query noise std and Monte Carlo draws (defaults 0 and 1). */
  smoothing?: number;
  draws?: number;
  /** The Gaussian-model denoiser's rank (default 0). */
  rank?: number;
  /** Class conditioning and guidance, and log P(class) of the run's denoiser (none: all). */
  condition?: Condition;
  logShare?: number;
}

/** What StepWriter writes for the fields a table may leave out. */
const FIELD_DEFAULTS: Partial<Record<keyof StepParams, number>> = {
  dim: 2,
  smoothing: 0,
  draws: 1,
  rank: 0,
  label: ALL_LABELS,
  log_share: 0,
  guidance: 1,
};

/**
 * The step from level a to level b, the denoiser evaluating at `at`; `prev` is the level before a
 * (DPM-Solver++(2M)'s previous evaluation, null on the first step) and `evaluation` the run's
 * denoiser evaluation number (the perturbation's RNG counter): by default the step's slot.
 */
export function stepParams(
  a: Level,
  b: Level,
  at: Level,
  index: number,
  c: RunConstants,
  prev: Level | null = null,
  evaluation: number = stepSlot(index),
): StepParams {
  const { drift, diffusion } = emCoefficients(a.alpha, a.sigma, b.alpha, b.sigma);
  return {
    t: a.t,
    alpha_t: a.alpha,
    sigma_t: a.sigma,
    s: b.t,
    alpha_s: b.alpha,
    sigma_s: b.sigma,
    alpha: at.alpha,
    sigma: at.sigma,
    eta: c.eta,
    n: c.n,
    m: c.m,
    k: c.k,
    seed: c.seed,
    index,
    drift,
    diffusion,
    r: dpmRatio(prev, a, b),
    error_scale: c.error?.scale ?? 0,
    // Along a unit vector of R^dim: perturb.wgsl adds the bias times (0.6, 0.8) to each of the
    // dim / 2 coordinate pairs, a vector of norm sqrt(dim / 2) (1 for points).
    error_bias: (c.error?.bias ?? 0) * Math.sqrt(2 / (c.dim ?? 2)),
    error_noise: c.error?.noise ?? 0,
    evaluation,
    temperature: 1,
    h: 0,
    gamma: 0,
    close: 0,
    velocity_std: 0,
    dim: c.dim ?? 2,
    smoothing: c.smoothing ?? 0,
    draws: c.draws ?? 1,
    rank: c.rank ?? 0,
    label: c.condition?.label ?? ALL_LABELS,
    log_share: c.logShare ?? 0,
    guidance: guidanceAt(c.condition, at.t),
  };
}

/** Every slot of a run over `levels`: the step slots, the corrector slots, and the scrub slot. */
export function stepTable(levels: readonly Level[], c: RunConstants): StepParams[] {
  const steps = levels.length - 1;
  const slots: StepParams[] = new Array<StepParams>(slotCount(steps));
  for (let i = 0; i < steps; i++) {
    const a = levels[i]!;
    const b = levels[i + 1]!;
    const prev = i > 0 ? levels[i - 1]! : null;
    slots[stepSlot(i)] = stepParams(a, b, a, i, c, prev, stepSlot(i));
    slots[correctorSlot(i)] = stepParams(a, b, b, i, c, prev, correctorSlot(i));
  }
  const first = levels[0]!;
  slots[scrubSlot(steps)] = stepParams(first, levels[Math.min(1, steps)]!, first, 0, c);
  return slots;
}

import type { LangevinConstants } from '../../settings/runSpec';
export type { LangevinConstants };

/**
 * Every slot of a Langevin run over `levels` (src/sim/run/plan.ts langevinSlot): ula, mala and
 * underdamped sample one energy, every level the same; annealed moves at level i with
 * e_i = h sigma_i^2 / sigma_L^2 (sigma_L: the last level with sigma > 0); pc's predictor slots are
 * the reverse run's, its moves at level i + 1 take eps = 2 r^2 sigma^2 (`pcStepSize`). The init
 * slot draws x ~ N(0, sigma_t^2 I), sigma_t = 1 (ula, mala, underdamped) or the first level's
 * (annealed, pc), and velocities ~ N(0, T I) for underdamped (0 otherwise).
 */
export function langevinTable(
  levels: readonly Level[],
  c: RunConstants,
  lv: LangevinConstants,
): StepParams[] {
  const steps = levels.length - 1;
  const slots: StepParams[] = new Array<StepParams>(langevinSlotCount(steps));
  const positive = levels.filter((l) => l.sigma > 0);
  const sigmaLast = positive[positive.length - 1]?.sigma ?? 1;
  const fields = { temperature: lv.temperature, gamma: lv.gamma, velocity_std: 0 };
  const move = (l: Level, i: number, h: number, part: 0 | 1 | 2 | 3): StepParams => ({
    ...stepParams(l, l, l, i, c, null, langevinSlot(i, part)),
    ...fields,
    h,
    close: part === 3 ? 1 : 0,
  });
  for (let i = 0; i < steps; i++) {
    const a = levels[i]!;
    const b = levels[i + 1]!;
    const prev = i > 0 ? levels[i - 1]! : null;
    if (lv.kind === 'pc') {
      const h = b.sigma > 0 ? pcStepSize(lv.snr, b.sigma) : 0;
      slots[langevinSlot(i, 0)] = {
        ...stepParams(a, b, a, i, c, prev, langevinSlot(i, 0)),
        ...fields,
        h,
        close: 0,
      };
      slots[langevinSlot(i, 1)] = {
        ...stepParams(a, b, b, i, c, prev, langevinSlot(i, 1)),
        ...fields,
        h,
        close: 0,
      };
      slots[langevinSlot(i, 2)] = move(b, i, h, 2);
      slots[langevinSlot(i, 3)] = move(b, i, h, 3);
    } else {
      const h =
        lv.kind === 'annealed' ? annealedStepSize(lv.stepSize, a.sigma, sigmaLast) : lv.stepSize;
      for (const part of [0, 1, 2, 3] as const) slots[langevinSlot(i, part)] = move(a, i, h, part);
    }
  }
  const first = levels[0]!;
  const start = lv.kind === 'annealed' || lv.kind === 'pc' ? first : { ...first, sigma: 1 };
  slots[langevinInitSlot(steps)] = {
    ...stepParams(start, start, start, 0, c),
    ...fields,
    h: 0,
    close: 0,
    velocity_std: lv.kind === 'underdamped' ? Math.sqrt(lv.temperature) : 0,
  };
  return slots;
}

/** Writes StepParams into an ArrayBuffer at the WGSL struct's offsets and types. */
export class StepWriter {
  private readonly fields: { name: keyof StepParams; offset: number; float: boolean }[];

  constructor(
    readonly struct: StructDefinition,
    /** Bytes between slots: the struct size rounded up to the uniform offset alignment. */
    readonly stride: number,
  ) {
    this.fields = Object.entries(struct.fields).map(([name, field]) => {
      const type = (field.type as { type?: string }).type;
      if (type !== 'f32' && type !== 'u32')
        throw new Error(`Step.${name}: unsupported type ${type}`);
      return { name: name as keyof StepParams, offset: field.offset, float: type === 'f32' };
    });
  }

  write(view: DataView, slot: number, p: StepParams): void {
    const base = slot * this.stride;
    for (const f of this.fields) {
      const value = p[f.name] ?? FIELD_DEFAULTS[f.name];
      if (value === undefined) throw new Error(`StepParams lacks ${f.name}`);
      if (f.float) view.setFloat32(base + f.offset, value, true);
      else view.setUint32(base + f.offset, value >>> 0, true);
    }
  }

  /** The whole table as bytes ready for upload. */
  pack(slots: readonly StepParams[]): ArrayBuffer {
    const bytes = new ArrayBuffer(slots.length * this.stride);
    const view = new DataView(bytes);
    slots.forEach((p, i) => this.write(view, i, p));
    return bytes;
  }
}

/** The unconditional evaluation's copy of a slot: every class kept. */
export const unconditional = (p: StepParams): StepParams => ({
  ...p,
  label: ALL_LABELS,
  log_share: 0,
});

/**
 * A run's step table and its guidance: a guided run (`guided`, kernels.ts guides) appends a copy
 * of its slots with every class kept, which its unconditional evaluations read, and evaluates
 * twice only at the slots where w != 1 (`slots[slot]` = 1): outside the guidance interval w = 1,
 * and the conditional evaluation alone is the guided one.
 */
export function guidedTable(
  table: StepParams[],
  guided: boolean,
): { rows: StepParams[]; uncond: boolean; slots: Uint8Array } {
  return {
    rows: guided ? [...table, ...table.map(unconditional)] : table,
    uncond: guided,
    slots: Uint8Array.from(table, (p) => (guided && (p.guidance ?? 1) !== 1 ? 1 : 0)),
  };
}
