/**
 * Clone experiments on the GPU (Biroli, Bonnaire, de Bortoli & Mezard 2024, "Dynamical regimes
 * of diffusion models", arXiv:2402.18491): run a reverse run to a level t_c, copy its particles,
 * run the originals and the copies to the end with independent fresh noise, and count the pairs
 * that end in the same class. P(same class | t_c) rises from chance (sum_k p_k^2) to 1 as t_c
 * passes the time the trajectories commit. Not on the frame path: it reads the GPU back, runs
 * in chunks and yields between them, and is cancellable with an AbortSignal.
 */
import type { ShaderSources } from '../../gpu/kernel';
import { datasetDim, type Dataset } from '../../maths/datasets';
import { threefry2x32 } from '../../maths/rng';
import {
  cloneLevels,
  labelChance,
  modeClassifier,
  sameFraction,
  type ModeClassifier,
  type SpeciationPoint,
} from '../../maths/speciation';
import type { SamplerId } from '../../settings/settings';
import { Simulation, type RunSpec } from '../run/simulation';
import { nearestLabels } from '../distance/imageDistance';

export type { SpeciationPoint } from '../../maths/speciation';

/** Steps recorded per submission: small enough to keep the page animating between chunks. */
const CHUNK = 32;
/** Key of the continuation seeds: an arbitrary constant, distinct from the RNG streams. */
const CLONE_KEY = 0xc10e;
const STOCHASTIC: readonly SamplerId[] = ['ddpm', 'em'];

export interface CloneOptions {
  signal?: AbortSignal;
  /** The continuation's seeds of the originals and the copies (derived from the run's when absent). */
  seeds?: readonly [number, number];
}

export interface CurveOptions {
  signal?: AbortSignal;
  /** Clone levels (indices into the run's levels); 12 spread over the run when absent. */
  levels?: readonly number[];
  onProgress?: (done: number, total: number, point: SpeciationPoint | null) => void;
}

/**
 * The run the clones continue with: the run's own when its sampler draws fresh noise (ddpm, em,
 * ddim with eta > 0); otherwise DDPM (ancestral), since a deterministic sampler would carry both
 * clones to the same end. `note` says so when it swaps.
 */
export function continuation(spec: RunSpec): { spec: RunSpec; note: string | null } {
  if (STOCHASTIC.includes(spec.sampler) || (spec.sampler === 'ddim' && spec.eta > 0))
    return { spec, note: null };
  const what = spec.sampler === 'ddim' ? 'ddim η 0' : spec.sampler;
  return {
    spec: { ...spec, sampler: 'ddpm' },
    note: `${what} is deterministic: the clones continue with ddpm`,
  };
}

/** The two continuation seeds of a clone at `level`: independent of each other and of the run. */
export function cloneSeeds(seed: number, level: number): [number, number] {
  const bits = threefry2x32(seed, CLONE_KEY, level, 0);
  return [bits[0]!, bits[1]!];
}

const cancelled = (): DOMException =>
  new DOMException('the speciation experiment was cancelled', 'AbortError');

/**
 * Images have no modes in the plane: each end's class is the label of its nearest training image
 * (MNIST's digit, the shape's class), and chance comes from the labels' frequencies.
 */
interface ImageClasses {
  kind: 'images';
  labels: Uint8Array;
  chance: number;
}

/** Two Simulations sized for one clone experiment, reused across clone levels. */
export class Cloner {
  private classifier: ModeClassifier | ImageClasses | null = null;
  private dataset: Dataset | null = null;

  private constructor(
    readonly device: GPUDevice,
    private readonly originals: Simulation,
    private readonly copies: Simulation,
  ) {}

  static async create(device: GPUDevice, sources: ShaderSources): Promise<Cloner> {
    const [a, b] = await Promise.all([
      Simulation.create(device, sources),
      Simulation.create(device, sources),
    ]);
    return new Cloner(device, a, b);
  }

  /**
   * Uploads the data and sizes both runs for `count` pairs. Images need their labels (MNIST,
   * shapes): their kernels compile on the first image dataset.
   */
  setup(dataset: Dataset, count: number): void {
    const images = datasetDim(dataset) > 2;
    const labels = (dataset as { labels?: Uint8Array }).labels;
    if (images && !labels)
      throw new Error(
        `cloning on images classes each end by its nearest training image's label: ${dataset.id} has none (mnist and shapes do)`,
      );
    for (const sim of [this.originals, this.copies]) {
      if (this.dataset !== dataset) sim.setData(dataset);
      if (sim.n !== count) sim.setParticles(count);
    }
    // Point datasets carry labels too (issue 15), but their modes classify an end better.
    if (this.dataset !== dataset)
      this.classifier = images
        ? { kind: 'images', labels: labels!, chance: labelChance(labels!) }
        : modeClassifier(dataset);
    this.dataset = dataset;
  }

  /** P(same class) of two ends over the noise after t_c: sum_k p_k^2 of the data. */
  get chance(): number {
    return this.requireClassifier().chance;
  }

  /**
   * One clone experiment: `count` particles (setup) of the reverse run `spec` taken to
   * level index `level`, copied, both continued to t = 0 with fresh noise.
   */
  async clone(spec: RunSpec, level: number, options: CloneOptions = {}): Promise<SpeciationPoint> {
    if (spec.mode !== 'reverse') throw new Error('clones split a reverse run');
    const classifier = this.requireClassifier();
    const steps = spec.levels.length - 1;
    if (!Number.isInteger(level) || level < 0 || level >= steps)
      throw new Error(`clone level ${level} is not a noisy level of the run (0 to ${steps - 1})`);
    const { signal } = options;
    const a = this.originals;
    const b = this.copies;
    const t = spec.levels[level]!.t;
    // The run's own prefix: its prior noise and sampler, as the sandbox runs it.
    const next = continuation(spec).spec;
    const levels = spec.levels.slice(level);
    const [seedA, seedB] = options.seeds ?? cloneSeeds(spec.seed, level);
    const continued = [
      { ...next, levels, seed: seedA },
      { ...next, levels, seed: seedB },
    ] as const;
    // Compiled once per device (the live lanes' kernels are the same ones).
    await Promise.all([a.prepare(spec), a.prepare(continued[0]), b.prepare(continued[1])]);
    a.setRun(spec);
    let encoder = this.device.createCommandEncoder({ label: 'clone reset' });
    a.reset(encoder);
    this.device.queue.submit([encoder.finish()]);
    await this.advance([a], level, signal);
    a.setRun(continued[0]);
    b.setRun(continued[1]);
    encoder = this.device.createCommandEncoder({ label: 'clone copy' });
    encoder.copyBufferToBuffer(a.x, 0, b.x, 0, 4 * a.dim * a.n);
    this.device.queue.submit([encoder.finish()]);
    await this.advance([a, b], Infinity, signal);
    return { t, sameMode: await this.sameClass(classifier), count: a.n };
  }

  /** The fraction of pairs whose two ends are of the same class. */
  private async sameClass(classifier: ModeClassifier | ImageClasses): Promise<number> {
    const [a, b] = [this.originals, this.copies];
    if ('kind' in classifier) {
      const own = classifier.labels;
      const [la, lb] = await Promise.all([nearestLabels(a, own), nearestLabels(b, own)]);
      // An end not finite (-1) is of no class: never the same as its twin's.
      return sameFraction(
        la,
        lb.map((l, i) => (l < 0 || la[i]! < 0 ? -2 - i : l)),
      );
    }
    const [endA, endB] = await Promise.all([a.positions(), b.positions()]);
    return sameFraction(classifier.labels(endA), classifier.labels(endB));
  }

  /** Both ends of the last clone, originals then copies (for tests and plots). */
  async ends(): Promise<[Float32Array, Float32Array]> {
    return Promise.all([this.originals.positions(), this.copies.positions()]);
  }

  destroy(): void {
    this.originals.destroy();
    this.copies.destroy();
  }

  private requireClassifier(): ModeClassifier | ImageClasses {
    if (!this.classifier) throw new Error('call setup first');
    return this.classifier;
  }

  /** Records up to k steps of each run in chunks, waiting for the GPU between them. */
  private async advance(
    sims: readonly Simulation[],
    k: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let left = k;
    while (left > 0 && sims.some((s) => !s.done)) {
      if (signal?.aborted) throw cancelled();
      const encoder = this.device.createCommandEncoder({ label: 'clone steps' });
      let recorded = 0;
      for (const s of sims)
        recorded = Math.max(recorded, s.encodeSteps(encoder, Math.min(CHUNK, left)));
      this.device.queue.submit([encoder.finish()]);
      await this.device.queue.onSubmittedWorkDone();
      left -= recorded;
    }
  }
}

/** The "clone at the current t" action: one point at level index `level` of the run. */
export async function cloneAt(
  device: GPUDevice,
  sources: ShaderSources,
  spec: RunSpec,
  dataset: Dataset,
  level: number,
  count: number,
  options: CloneOptions = {},
): Promise<SpeciationPoint> {
  const cloner = await Cloner.create(device, sources);
  try {
    cloner.setup(dataset, count);
    return await cloner.clone(spec, level, options);
  } finally {
    cloner.destroy();
  }
}

/**
 * P(same class | t_c) over a set of clone levels (12 spread over the run by default), noisiest
 * first, by a cloner set up for the data (one per device: the sandbox keeps it). Rejects with an
 * AbortError DOMException when cancelled.
 */
export async function speciationCurve(
  cloner: Cloner,
  spec: RunSpec,
  options: CurveOptions = {},
): Promise<SpeciationPoint[]> {
  const levels = options.levels ?? cloneLevels(spec.levels.length - 1, 12);
  const points: SpeciationPoint[] = [];
  options.onProgress?.(0, levels.length, null);
  for (const level of levels) {
    const point = await cloner.clone(spec, level, { signal: options.signal });
    points.push(point);
    options.onProgress?.(points.length, levels.length, point);
  }
  return points;
}
