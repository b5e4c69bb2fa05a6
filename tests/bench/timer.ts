/**
 * Times steps on the GPU: many steps per submit, wall clock from submit to onSubmittedWorkDone,
 * and, when the device has 'timestamp-query', GPU timestamps written by two empty passes that
 * bracket the steps (so a workload may open passes of its own, as Simulation.encodeSteps does).
 */

/** Something that records steps; what a benchmark case builds for one size. */
export interface Workload {
  /** Called before each batch of `steps` steps, outside the timed region. */
  prepare(steps: number): void;
  /** Records `steps` steps on the encoder. */
  encode(encoder: GPUCommandEncoder, steps: number): void;
  destroy(): void;
}

export interface TimingOptions {
  /** Seconds one timed submit should last (steps per submit are chosen to match). */
  target: number;
  maxSteps: number;
  maxReps: number;
  /** performance.now() by which the measurement should end: fewer repetitions near it. */
  deadline: number;
}

export interface Timing {
  stepsPerSubmit: number;
  reps: number;
  /** Seconds per step, medians over the repetitions. */
  wall: number;
  gpu: number | null;
}

interface Batch {
  wall: number;
  gpu: number | null;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class StepTimer {
  private readonly query: {
    set: GPUQuerySet;
    resolve: GPUBuffer;
    staging: GPUBuffer;
  } | null;

  constructor(
    private readonly device: GPUDevice,
    timestamps: boolean,
  ) {
    this.query = timestamps
      ? {
          set: device.createQuerySet({ label: 'bench', type: 'timestamp', count: 2 }),
          resolve: device.createBuffer({
            label: 'bench timestamps',
            size: 16,
            usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
          }),
          staging: device.createBuffer({
            label: 'bench timestamps readback',
            size: 16,
            usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
          }),
        }
      : null;
  }

  /** Warm-up, then the median of timed repetitions. */
  async time(work: Workload, o: TimingOptions): Promise<Timing> {
    // Warm-up: the first use of each pipeline, and caches.
    await this.batch(work, 1);
    let steps = 1;
    let perStep = (await this.batch(work, 1)).wall;
    // Grows the batch (at most tenfold at a time) until one submit lasts half the target: small
    // batches are dominated by the submit's fixed cost, which overstates the time per step.
    while (steps < o.maxSteps && perStep * steps < o.target / 2) {
      const wanted = Math.ceil(o.target / Math.max(perStep, 1e-9));
      steps = Math.min(o.maxSteps, Math.max(2 * steps, Math.min(10 * steps, wanted)));
      perStep = (await this.batch(work, steps)).wall;
    }
    steps = Math.max(1, Math.min(o.maxSteps, Math.round(o.target / perStep)));
    const left = (o.deadline - performance.now()) / 1000;
    const reps = Math.max(1, Math.min(o.maxReps, Math.floor(left / (steps * perStep))));
    const batches: Batch[] = [];
    for (let r = 0; r < reps; r++) batches.push(await this.batch(work, steps));
    const gpu = batches.every((b) => b.gpu !== null) ? median(batches.map((b) => b.gpu!)) : null;
    return { stepsPerSubmit: steps, reps, wall: median(batches.map((b) => b.wall)), gpu };
  }

  /** One submit of `steps` steps; seconds per step. */
  private async batch(work: Workload, steps: number): Promise<Batch> {
    work.prepare(steps);
    const encoder = this.device.createCommandEncoder({ label: 'bench' });
    const q = this.query;
    if (q)
      encoder
        .beginComputePass({ timestampWrites: { querySet: q.set, beginningOfPassWriteIndex: 0 } })
        .end();
    work.encode(encoder, steps);
    if (q) {
      encoder
        .beginComputePass({ timestampWrites: { querySet: q.set, endOfPassWriteIndex: 1 } })
        .end();
      encoder.resolveQuerySet(q.set, 0, 2, q.resolve, 0);
      encoder.copyBufferToBuffer(q.resolve, 0, q.staging, 0, 16);
    }
    const commands = encoder.finish();
    const start = performance.now();
    this.device.queue.submit([commands]);
    await this.device.queue.onSubmittedWorkDone();
    const wall = (performance.now() - start) / 1000 / steps;
    let gpu: number | null = null;
    if (q) {
      await q.staging.mapAsync(GPUMapMode.READ);
      const [begin, end] = new BigUint64Array(q.staging.getMappedRange());
      q.staging.unmap();
      const seconds = Number(end! - begin!) / 1e9 / steps;
      // A clock that went backwards or ran longer than the wall clock is not trusted.
      if (end! > begin! && seconds <= wall * 1.05) gpu = seconds;
    }
    return { wall, gpu };
  }

  destroy(): void {
    this.query?.set.destroy();
    this.query?.resolve.destroy();
    this.query?.staging.destroy();
  }
}
