/**
 * Live distance to the data: the sliced Wasserstein-2 distance of each run's particles to the
 * dataset, measured on the GPU (a few numbers read back, never on the frame path). P, the
 * particles and data points compared, is the largest power of two up to 4096 that both have.
 */
import type { ShaderSources } from '../../gpu/kernel';
import { SlicedWasserstein } from './slicedWasserstein';

const MAX_POINTS = 4096;
const MIN_POINTS = 256;
const PROJECTIONS = 64;

/** The largest power of two not above n. */
export const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

export interface Measured {
  x: GPUBuffer;
  n: number;
  /** Where the run is: read when its measurement is recorded, so the value is of that step. */
  status(): { step: number; t: number };
}

/** A distance and the particles it is of: the run (a count that every reset bumps), step and t. */
export interface Distance {
  distance: number;
  run: number;
  step: number;
  t: number;
}

export class DistanceMeter {
  /** The measure for the current data, made on the first measurement that needs it. */
  private sw: Promise<SlicedWasserstein | null> | null = null;
  /** What setData asked for: P and the data (null: nothing to measure against). */
  private reference: { points: number; data: Float32Array } | null = null;
  private latest: (Distance | null)[] = [];
  private pending: Promise<(Distance | null)[]> | null = null;
  /** Bumped by clear and setData: a measurement begun before then is of other particles. */
  private epoch = 0;
  private pendingEpoch = -1;
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly sources: ShaderSources,
  ) {}

  /** The last measured distances, one per run (null: not measured since the last change). */
  get values(): readonly (Distance | null)[] {
    return this.latest;
  }

  /**
   * Fits the measure to n particles and these data points, and forgets older values. Compiles
   * nothing: the kernels compile on the first measurement.
   */
  setData(n: number, data: Float32Array): Promise<void> {
    const points = Math.min(MAX_POINTS, floorPow2(Math.min(n, data.length / 2)));
    this.clear();
    const old = this.sw;
    this.sw = null;
    void old?.then(
      (sw) => sw?.destroy(),
      () => undefined,
    );
    this.reference = points < MIN_POINTS ? null : { points, data };
    return Promise.resolve();
  }

  /** Forgets the values (a run restarted); measurements in flight will not be kept. */
  clear(): void {
    this.latest = [];
    this.epoch++;
  }

  /**
   * Measures each run now (`run`: the runs' count of resets, kept with the values); concurrent
   * calls share one measurement.
   */
  measure(runs: readonly Measured[], run: number): Promise<(Distance | null)[]> {
    if (this.pending && this.pendingEpoch === this.epoch) return this.pending;
    // One begun before a clear is of other particles: this one follows it.
    const before = this.pending;
    const epoch = this.epoch;
    this.pendingEpoch = epoch;
    const pending: Promise<(Distance | null)[]> = (async () => {
      await before?.catch(() => undefined);
      try {
        const sw = await this.measureFor();
        const out: (Distance | null)[] = [];
        // New data, a restart or destroy() while the measure compiled: it measures nothing now
        // (setData and destroy release the measures they replace).
        if (epoch !== this.epoch || this.destroyed) return out;
        for (const r of runs) {
          if (epoch !== this.epoch || this.destroyed) return out;
          const { step, t } = r.status();
          const distance = sw && r.n >= sw.points ? await sw.measure(r.x) : null;
          out.push(distance === null ? null : { distance, run, step, t });
        }
        if (epoch === this.epoch) this.latest = out;
        return out;
      } finally {
        if (this.pendingEpoch === epoch) this.pending = null;
      }
    })();
    this.pending = pending;
    return pending;
  }

  /** Compiles the measure now (once per device), ahead of the first measurement. */
  async prepare(): Promise<void> {
    await this.measureFor().catch(() => undefined);
  }

  destroy(): void {
    this.destroyed = true;
    void this.sw?.then(
      (sw) => sw?.destroy(),
      () => undefined,
    );
    this.sw = null;
  }

  /** The measure of the current data: compiled (once per device) and set up on first use. */
  private measureFor(): Promise<SlicedWasserstein | null> {
    const reference = this.reference;
    if (!reference || this.destroyed) return Promise.resolve(null);
    if (this.sw) return this.sw;
    const made = SlicedWasserstein.create(this.device, this.sources, {
      points: reference.points,
      projections: PROJECTIONS,
      seed: 0,
    }).then((sw) => {
      sw.setReference(reference.data);
      return sw;
    });
    this.sw = made;
    made.catch(() => {
      if (this.sw === made) this.sw = null;
    });
    return made;
  }
}
