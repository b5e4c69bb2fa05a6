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
  private sw: SlicedWasserstein | null = null;
  private latest: (Distance | null)[] = [];
  private pending: Promise<(Distance | null)[]> | null = null;
  /** Bumped by clear and setData: a measurement begun before then is of other particles. */
  private epoch = 0;
  private pendingEpoch = -1;

  constructor(
    private readonly device: GPUDevice,
    private readonly sources: ShaderSources,
  ) {}

  /** The last measured distances, one per run (null: not measured since the last change). */
  get values(): readonly (Distance | null)[] {
    return this.latest;
  }

  /** Fits the measure to n particles and these data points, and forgets older values. */
  async setData(n: number, data: Float32Array): Promise<void> {
    const points = Math.min(MAX_POINTS, floorPow2(Math.min(n, data.length / 2)));
    this.clear();
    if (this.sw?.points !== points) {
      this.sw?.destroy();
      this.sw = null;
      if (points < MIN_POINTS) return;
      this.sw = await SlicedWasserstein.create(this.device, this.sources, {
        points,
        projections: PROJECTIONS,
        seed: 0,
      });
    }
    this.sw.setReference(data);
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
        const out: (Distance | null)[] = [];
        for (const r of runs) {
          const sw = this.sw;
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

  destroy(): void {
    this.sw?.destroy();
    this.sw = null;
  }
}
