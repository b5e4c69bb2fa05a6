/**
 * Where a run is: its spec and plan, the steps done, a scrubbed position (forward mode), and the
 * level the particles are at, by the one rule for it (currentLevelIndex, settings/runSpec.ts).
 */
import type { Level } from '../../maths/schedules';
import { currentLevelIndex, type RunSpec } from '../../settings/runSpec';
import {
  correctorSlot,
  cumulativeNfe,
  langevinSlot,
  runPlan,
  scrubSlot,
  stepSlot,
  type Pass,
} from './plan';

export interface RunStatus {
  t: number;
  step: number;
  steps: number;
  nfe: number;
}

/** The plan of a run and how far it has got. */
export class RunCursor {
  spec: RunSpec | null = null;
  plan: Pass[][] = [];
  /** Denoiser evaluations after each number of steps. */
  private nfe: Uint32Array = new Uint32Array(1);
  /** A guided run: 1 at the slots where w != 1 (two evaluations and their mix), else 0. */
  guided: Uint8Array = new Uint8Array(0);
  /** Steps done; after a scrub, the step the scrubbed position goes on from. */
  step = 0;
  /** The level of the last scrub (forward mode), while the particles sit there. */
  scrubbed: Level | null = null;

  /** A new run, at its start; `guided[slot]` 1 where it evaluates twice (cumulativeNfe). */
  start(
    spec: RunSpec,
    plan: Pass[][] = planOf(spec),
    guided: Uint8Array = new Uint8Array(0),
  ): void {
    this.spec = spec;
    this.plan = plan;
    this.guided = guided;
    this.nfe = cumulativeNfe(plan, guided);
    this.rewind();
  }

  /** No run (new data or particles: a run must be set again). */
  clear(): void {
    this.spec = null;
    this.plan = [];
    this.nfe = new Uint32Array(1);
    this.guided = new Uint8Array(0);
    this.rewind();
  }

  rewind(): void {
    this.step = 0;
    this.scrubbed = null;
  }

  get steps(): number {
    return this.plan.length;
  }

  get done(): boolean {
    return this.step >= this.plan.length;
  }

  /** The level the particles are at (the scrubbed one after a scrub); null before a run. */
  currentLevel(): Level | null {
    if (this.scrubbed) return this.scrubbed;
    const spec = this.spec;
    if (!spec) return null;
    const i = currentLevelIndex(spec.mode, spec.langevin?.kind, this.step, this.plan.length);
    return spec.levels[Math.min(i, spec.levels.length - 1)] ?? null;
  }

  /** Where the run is: t is the t of currentLevel() (0 before a run). */
  status(): RunStatus {
    return {
      t: this.currentLevel()?.t ?? 0,
      step: this.step,
      steps: this.plan.length,
      nfe: this.nfe[this.step] ?? 0,
    };
  }

  /**
   * The slot of the step table whose denoiser evaluation is at currentLevel(): the next step's
   * first evaluation (its slot holds the level it starts from); at the end, the last step's
   * corrector slot (its level is the last); after a scrub, the scrub slot. Langevin at one
   * energy (ula, mala, underdamped) and annealed: the slot of the current (at the end, the last)
   * step; pc: its predictor's, as for a reverse run.
   */
  measuredSlot(): number {
    const spec = this.spec;
    if (!spec) throw new Error('no run: call setRun first');
    const steps = this.plan.length;
    const k = this.step;
    if (this.scrubbed) return scrubSlot(steps);
    if (spec.mode === 'langevin' && spec.langevin?.kind !== 'pc')
      return langevinSlot(Math.min(k, steps - 1), 0);
    if (spec.mode === 'langevin')
      return k < steps ? langevinSlot(k, 0) : langevinSlot(steps - 1, 1);
    return k < steps ? stepSlot(k) : correctorSlot(steps - 1);
  }
}

/** The passes of every step of a run. */
export function planOf(spec: RunSpec): Pass[][] {
  return runPlan(
    spec.mode,
    spec.sampler,
    spec.levels,
    spec.error,
    spec.mode === 'langevin' ? spec.langevin : undefined,
  );
}
