/**
 * The image U-Net's trainer (src/sim/learn/unetTrainer.ts) on real WebGPU: the batch drawn on the
 * GPU from stored shapes, the U-Net's forward, loss and backward, the shared optimiser; a seed
 * trains the same weights bit for bit, several steps in one submission. (Each layer of the step
 * is checked against float64 in ./unet.test.ts, the batch in ./imageBatch.test.ts, AdamW and the
 * EMA in ./learnLayers.test.ts.)
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateShapes } from '../../src/maths/imageDatasets';
import { trainingLevels, type UNetTrainSettings } from '../../src/maths/learn/training';
import { slotSize, type UNetArch } from '../../src/maths/learn/unet';
import { DEFAULT_SCHEDULE_PARAMS } from '../../src/maths/schedules';
import { UNetTrainer } from '../../src/sim/learn/unetTrainer';
import { SEED } from '../random';
import { gpuErrors, testGpu } from './harness';

let device: GPUDevice;
beforeAll(async () => {
  device = (await testGpu()).device;
});
afterEach(() => expect(gpuErrors).toEqual([]));

const ARCH: UNetArch = { channels: 8, levels: 2, groups: 4, frequencies: 8, target: 'v' };
const IMAGE = { channels: 1, height: 14, width: 14 };
const P = slotSize(IMAGE);

function settings(over: Partial<UNetTrainSettings> = {}): UNetTrainSettings {
  return {
    arch: ARCH,
    image: IMAGE,
    batch: 16,
    lr: 2e-3,
    weightDecay: 0,
    emaDecay: 0.99,
    maxGradNorm: 1,
    weighting: 'none',
    seed: SEED,
    ...over,
  };
}

/** m shapes, 28 x 28 average-pooled 2 x 2 to 14 x 14, in [-1, 1]. */
function shapes14(m: number, seed: number): Float32Array<ArrayBuffer> {
  const big = generateShapes(m, seed);
  const out = new Float32Array(m * P);
  for (let i = 0; i < m; i++)
    for (let y = 0; y < 14; y++)
      for (let x = 0; x < 14; x++) {
        let s = 0;
        for (const [dy, dx] of [
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ] as const)
          s += big[i * 784 + (2 * y + dy) * 28 + 2 * x + dx]!;
        out[i * P + y * 14 + x] = s / 4;
      }
  return out;
}

function storage(data: Float32Array<ArrayBuffer>): GPUBuffer {
  return createBuffer(device, {
    label: 'unet train test',
    size: 0,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    data,
  });
}

async function trainer(images: Float32Array<ArrayBuffer>, over: Partial<UNetTrainSettings> = {}) {
  const t = await UNetTrainer.create(device, shaderSources, settings(over));
  t.setData(storage(images), images.length / P);
  t.setLevels(trainingLevels('cosine', DEFAULT_SCHEDULE_PARAMS));
  return t;
}

async function train(t: UNetTrainer, steps: number): Promise<void> {
  for (let done = 0; done < steps;) {
    const encoder = device.createCommandEncoder();
    done += t.encode(encoder, Math.min(64, steps - done));
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
}

describe(`the U-Net trainer (SEED=${SEED})`, () => {
  test('a seed trains the same weights bit for bit, 3 steps in one submission', async () => {
    const images = shapes14(16, SEED);
    const a = await trainer(images, { batch: 4 });
    const b = await trainer(images, { batch: 4 });
    await train(a, 3);
    await train(b, 3);
    const [la, lb] = [await a.readLosses(), await b.readLosses()];
    expect(la.losses.length).toBe(3);
    expect(la.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    expect(Array.from(lb.losses)).toEqual(Array.from(la.losses));
    expect(await b.readWeights('params')).toEqual(await a.readWeights('params'));
    expect(await a.readWeights('params')).not.toEqual(await a.readWeights('ema'));
    a.destroy();
    b.destroy();
  });
});
