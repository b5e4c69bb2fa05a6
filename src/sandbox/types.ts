/** The sandbox's public types: its events, status, samples and the data and patches it takes. */
import type { NetworkArch } from '../maths/learn/network';
import type { GeneralisationResult } from './generalisationExperiment';
import type { UNetArch } from '../maths/learn/unet';
import type { MarginalDensities } from '../maths/observables';
import type { SpeciationPoint } from '../sim/experiments/speciation';
import type { SweepSpec } from '../sim/experiments/sweep';
import type { MetricsSample } from '../sim/observe/metrics';
import type { RunStatus } from '../sim/run/simulation';
import type { ClassLabels } from '../maths/datasets';
import type { Settings } from '../settings/settings';

/** A sweep: samplers, schedules and NFE values, plus any settings keys (dataset, n, seed...). */
export type SweepRequest = SweepSpec & Partial<Settings>;

export type MessageLevel = 'info' | 'warning' | 'error';

/** A settings patch, or one made from the settings as they are when its turn comes. */
export type SettingsPatch =
  | Readonly<Partial<Settings>>
  | Readonly<Record<string, unknown>>
  | ((current: Readonly<Settings>) => Readonly<Partial<Settings>>);

/** New data for the runs: the user's points ('custom'), or images added to (or replacing) 'images'. */
export type UserData =
  | { points: Float32Array; labels?: ClassLabels | null }
  | { images: Float32Array; replace?: boolean };

export interface SandboxEvents {
  /** Settings changed (after validation), with the keys that changed. */
  settings?: (settings: Readonly<Settings>, changed: readonly (keyof Settings)[]) => void;
  /** Something to tell the user. */
  message?: (text: string, level: MessageLevel) => void;
  /** After each rendered frame. */
  frame?: () => void;
  /** The learned denoiser's training: a few times a second while it trains. */
  training?: (snapshot: TrainingSnapshot) => void;
  /** The generalisation experiment's results so far, whoever started it. */
  generalisation?: (result: GeneralisationResult) => void;
}

/** Where the learned denoiser's training stands (the Model panel, model()). */
export interface TrainingSnapshot {
  /** The 2D network's architecture on points, the U-Net's on images. */
  arch: NetworkArch | UNetArch;
  parameters: number;
  /** Optimiser steps taken. */
  step: number;
  /** The latest mean loss read, or null before any. */
  loss: number | null;
  stepsPerSecond: number;
  /** The mean loss of each read, against the step it reached. */
  history: { steps: number[]; losses: number[] };
  /** The EMA network's loss in bins of t (EVAL_BINS, t from 0 to 1), or null. */
  lossByT: number[] | null;
  /** The memorised fraction of the network's samples (d1 / d2 < 1/3) against the step. */
  memorisation: { steps: number[]; fractions: number[] };
}

export interface SandboxStatus extends RunStatus {
  /**
   * Sliced Wasserstein-2 distance to the data of the particles as they are now: null until it
   * has been measured at this step of this run (a few times a second, or distances()).
   */
  distance: number | null;
  /** The second run in compare mode. */
  compare: (RunStatus & { distance: number | null }) | null;
}

/** A lane's observables with where its run was when they were measured. */
export interface PhysicsSample extends MetricsSample {
  t: number;
  step: number;
  /** The run measured: a count that every new run or reset bumps. */
  run: number;
  /** Sliced Wasserstein-2 to the data of the same particles (NaN: not measured at this step). */
  distance: number;
}

/** The first run's observables, and the compared run B's (null when compare mode is off). */
export type LaneSamples = PhysicsSample & { compare: PhysicsSample | null };

/** The particles' marginal densities and the target's on the same bins. */
export interface MarginalsView {
  particles: MarginalDensities;
  target: MarginalDensities;
}

/** The outcome of cloning: the points measured and what they mean. */
export interface Speciation {
  points: SpeciationPoint[];
  /** P(same mode) of two independent samples. */
  chance: number;
  /** Biroli & Mezard's speciation time on this schedule's t, when the data allows. */
  theory: number | null;
  /** Set when the clones continue with another sampler than the run's. */
  note: string | null;
}
