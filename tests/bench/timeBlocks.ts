/**
 * The timed blocks of the browser benchmarks (bench:learn, bench:unet): after a warm-up step,
 * blocks of k steps grow until one lasts `seconds` or holds `maxSteps` steps; the last block is
 * the measurement. A block ends when its work is done (onSubmittedWorkDone, or TF.js's data()),
 * and nothing is read back inside one.
 */
import type { BlockOptions, Timed, TimedTraining } from './benchTypes';

/** Times `run(k)` (k steps, done when it resolves). */
export async function timeBlocks(
  run: (k: number) => Promise<void>,
  o: Pick<BlockOptions, 'seconds' | 'maxSteps'>,
): Promise<Timed> {
  const block = async (k: number): Promise<number> => {
    const t0 = performance.now();
    await run(k);
    return (performance.now() - t0) / 1000;
  };
  await block(1);
  let k = 1;
  let t = await block(1);
  while (t < o.seconds && k < o.maxSteps) {
    k = Math.min(o.maxSteps, Math.max(2 * k, Math.ceil((1.2 * k * o.seconds) / t)));
    t = await block(k);
  }
  return { steps: k, seconds: t };
}

export const perSecond = (t: Timed): number => t.steps / t.seconds;
export const rate = (t: Timed): string => `${perSecond(t).toPrecision(3)} steps/s`;

/**
 * Times our GPU work: `encode(encoder, k)` records up to k steps and returns how many; each block
 * records `stepsPerSubmit` steps per command buffer and ends when the queue has finished. `after`
 * runs after each block, outside its time.
 */
export function timeEncoded(
  device: GPUDevice,
  encode: (encoder: GPUCommandEncoder, k: number) => number,
  o: Pick<BlockOptions, 'seconds' | 'maxSteps' | 'stepsPerSubmit'>,
  after: () => Promise<void> = () => Promise.resolve(),
): Promise<Timed> {
  return timeBlocks(async (k) => {
    for (let done = 0; done < k;) {
      const encoder = device.createCommandEncoder({ label: 'bench' });
      done += encode(encoder, Math.min(o.stepsPerSubmit, k - done));
      device.queue.submit([encoder.finish()]);
    }
    await device.queue.onSubmittedWorkDone();
    await after();
  }, o);
}

/** What our trainers (Trainer, UNetTrainer) offer a benchmark. */
export interface EncodesSteps {
  encode(encoder: GPUCommandEncoder, k: number): number;
  readLosses(): Promise<{ losses: Float32Array }>;
}

/**
 * Times our trainer's steps (at most `perSubmitLimit` per command buffer); its first step's loss
 * is read after the warm-up and its last after the measurement, both outside every timed block.
 */
export async function timeTrainer(
  device: GPUDevice,
  trainer: EncodesSteps,
  o: BlockOptions & { perSubmitLimit: number },
): Promise<TimedTraining> {
  let firstLoss = NaN;
  const per = { ...o, stepsPerSubmit: Math.min(o.stepsPerSubmit, o.perSubmitLimit) };
  const timed = await timeEncoded(
    device,
    (encoder, k) => trainer.encode(encoder, k),
    per,
    async () => {
      if (Number.isNaN(firstLoss)) firstLoss = (await trainer.readLosses()).losses[0]!;
    },
  );
  const lastLoss = (await trainer.readLosses()).losses.at(-1)!;
  return { ...timed, firstLoss, lastLoss };
}

/** Times TF.js's `train(k)` (k steps; the first and the last loss, read once at its end). */
export async function timeTfTraining(
  train: (k: number) => Promise<{ first: number; last: number }>,
  o: BlockOptions,
): Promise<TimedTraining> {
  let firstLoss = NaN;
  let lastLoss = NaN;
  const timed = await timeBlocks(async (k) => {
    const { first, last } = await train(k);
    if (Number.isNaN(firstLoss)) firstLoss = first;
    lastLoss = last;
  }, o);
  return { ...timed, firstLoss, lastLoss };
}
