/**
 * The step table: one Step struct (shaders/lib/step.wgsl) per slot, computed once per run on the
 * CPU in float64 and uploaded as a uniform buffer that each dispatch reads at a dynamic offset.
 * Field offsets come from the WGSL itself, so the layout is written once.
 */
import type { StructDefinition } from 'webgpu-utils';
import type { Level } from '../maths/schedules';
import type { StepParams } from '../maths/steps';
import { correctorSlot, scrubSlot, slotCount, stepSlot } from './plan';

export interface RunConstants {
  eta: number;
  n: number;
  m: number;
  k: number;
  seed: number;
}

/** The step from level a to level b, the denoiser evaluating at `at`. */
export function stepParams(
  a: Level,
  b: Level,
  at: Level,
  index: number,
  c: RunConstants,
): StepParams {
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
  };
}

/** Every slot of a run over `levels`: the step slots, the corrector slots, and the scrub slot. */
export function stepTable(levels: readonly Level[], c: RunConstants): StepParams[] {
  const steps = levels.length - 1;
  const slots: StepParams[] = new Array<StepParams>(slotCount(steps));
  for (let i = 0; i < steps; i++) {
    const a = levels[i]!;
    const b = levels[i + 1]!;
    slots[stepSlot(i)] = stepParams(a, b, a, i, c);
    slots[correctorSlot(i)] = stepParams(a, b, b, i, c);
  }
  const first = levels[0]!;
  slots[scrubSlot(steps)] = stepParams(first, levels[Math.min(1, steps)]!, first, 0, c);
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
      const value = p[f.name];
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
