/**
 * What scripts and tests read of the runs: positions, data, images, velocities, distances,
 * observables and memorisation. Each read waits for any rebuild after a lost device, and the
 * queued ones for every call made before them.
 */
import type { ImageSample, Measurement } from './measurement';
import type { Queue } from './queue';
import type { Recovery } from './recovery';
import type { SandboxState } from './state';
import type { LaneSamples } from './types';

export class Readings {
  constructor(
    private readonly state: SandboxState,
    private readonly queue: Queue,
    private readonly recovery: Recovery,
    private readonly measurement: Measurement,
  ) {}

  private queued<T>(what: string, work: () => Promise<T>): Promise<T> {
    return this.queue.exclusive(() => this.recovery.survive(what, work));
  }

  /** Particle positions of the first run (or of the second, in compare mode), interleaved. */
  positions(lane = 0): Promise<Float32Array> {
    return this.queued('positions()', () => {
      const l = this.state.lanes[lane];
      if (!l)
        throw new Error(lane ? 'no second run: compare mode is off' : 'the sandbox is not running');
      return l.sim.positions();
    });
  }

  /** The stored data points (training set), interleaved. */
  dataPoints(): Promise<Float32Array> {
    return this.queued('data()', () => this.state.requireLane().sim.readBuffer('data'));
  }

  /** The batch of images of the first run, n x d floats (a readback). */
  images(): Promise<Float32Array> {
    return this.recovery.survive('images()', () => {
      const st = this.state;
      if (!st.imageMode)
        throw new Error(
          `images() needs an image dataset (mnist, shapes, colour, images), not ${st.current.dataset}`,
        );
      return st.requireLane().sim.positions();
    });
  }

  /** Underdamped Langevin's velocities, interleaved (a readback). */
  velocities(): Promise<Float32Array> {
    return this.recovery.survive('velocities()', () => {
      const s = this.state.current;
      if (s.mode !== 'langevin' || s.langevin !== 'underdamped')
        throw new Error(
          "velocities exist in underdamped Langevin only (mode 'langevin', langevin 'underdamped')",
        );
      return this.state.requireLane().sim.velocities();
    });
  }

  /** The first lane's memorisation for the API: measured once any rebuild has ended. */
  memorisation(): Promise<ImageSample | null> {
    return this.recovery.survive(
      'memorisation()',
      async () => (await this.measurement.images())[0] ?? null,
    );
  }

  /** Each run's distance to the data for the API: measured once any rebuild has ended. */
  distances(): Promise<(number | null)[]> {
    return this.recovery.survive('distances()', () => this.measurement.distances());
  }

  /** The observables of the first run, and of the second in compare mode (measured now). */
  metrics(): Promise<LaneSamples> {
    return this.recovery.survive('metrics()', async () => {
      await this.state.idle();
      const [sample, b] = await this.measurement.metrics({ entropy: true });
      if (!sample) throw new Error('the sandbox is not running');
      return { ...sample, compare: b ?? null };
    });
  }
}
