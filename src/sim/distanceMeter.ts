/**
 * Live distance to the data: the sliced Wasserstein-2 distance of each run's particles to the
 * dataset, measured on the GPU (a few numbers read back, never on the frame path). P, the
 * particles and data points compared, is the largest power of two up to 4096 that both have.
 */
import type { ShaderSources } from '../gpu/kernel';
import { SlicedWasserstein } from './slicedWasserstein';

const MAX_POINTS = 4096;
const MIN_POINTS = 256;
const PROJECTIONS = 64;

/** The largest power of two not above n. */
export const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

export interface Measured {
  x: GPUBuffer;
  n: number;
}

export class DistanceMeter {
  private sw: SlicedWasserstein | null = null;
  private latest: (number | null)[] = [];
  private pending: Promise<(number | null)[]> | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly sources: ShaderSources,
  ) {}

  /** The last measured distances, one per run (null: not measured since the last change). */
  get values(): readonly (number | null)[] {
    return this.latest;
  }

  /** Fits the measure to n particles and these data points, and forgets older values. */
  async setData(n: number, data: Float32Array): Promise<void> {
    const points = Math.min(MAX_POINTS, floorPow2(Math.min(n, data.length / 2)));
    this.latest = [];
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

  /** Forgets the values (a run restarted). */
  clear(): void {
    this.latest = [];
  }

  /** Measures each run now; concurrent calls share one measurement. */
  measure(runs: readonly Measured[]): Promise<(number | null)[]> {
    this.pending ??= (async () => {
      try {
        const out: (number | null)[] = [];
        for (const run of runs) {
          const sw = this.sw;
          out.push(sw && run.n >= sw.points ? await sw.measure(run.x) : null);
        }
        this.latest = out;
        return out;
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  destroy(): void {
    this.sw?.destroy();
    this.sw = null;
  }
}
