/**
 * The filmstrip's history (src/sim/run/filmstrip.ts) on real WebGPU: an image followed only after
 * the batch was recorded (after a run ended, say) gets its trajectory at once, copied bit for bit
 * from the history into the ring, in the slots the state (head, frames) describes.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { Rng } from '../../src/maths/rng';
import { Filmstrip } from '../../src/sim/run/filmstrip';
import { SEED } from '../random';
import { gpuErrors, testGpu } from './harness';

const rng = new Rng(SEED, 92);
/** A batch of n images of d floats, a ring of K frames. */
const n = 5;
const d = 7;
const K = 4;
let device: GPUDevice;
let x: GPUBuffer;

beforeAll(async () => {
  device = (await testGpu()).device;
  x = createBuffer(device, {
    label: 'batch',
    size: 4 * n * d,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
});
afterAll(() => x.destroy());

/** Records `count` fresh random batches following image `index` (-1: none); returns them. */
function record(strip: Filmstrip, count: number, index: number): Float32Array[] {
  const batches: Float32Array[] = [];
  for (let r = 0; r < count; r++) {
    const batch = Float32Array.from({ length: n * d }, () => rng.normal());
    device.queue.writeBuffer(x, 0, batch);
    const encoder = device.createCommandEncoder();
    strip.record(encoder, x, index, d);
    device.queue.submit([encoder.finish()]);
    batches.push(batch);
  }
  return batches;
}

/** The ring's frames, oldest to newest, as the state on the GPU says they lie. */
async function frames(strip: Filmstrip): Promise<Float32Array[]> {
  const [head, count] = new Uint32Array(await readback(device, strip.state!));
  const ring = new Float32Array(await readback(device, strip.ring!));
  return Array.from({ length: count! }, (_, t) => {
    const slot = (head! + 1 - count! + t + K) % K;
    return ring.slice(slot * d, (slot + 1) * d);
  });
}

const image = (batch: Float32Array, i: number): Float32Array => batch.slice(i * d, (i + 1) * d);

test(`an image followed after the records gets its last K frames at once (seed ${SEED})`, async () => {
  const strip = new Filmstrip();
  strip.setup(device, d, K);
  strip.keepHistory(n);
  expect(strip.keepsHistory).toBe(true);
  // Fewer records than K, then more (the ring wraps): nobody followed while they were made.
  for (const count of [K - 2, K + 2]) {
    strip.reset();
    const batches = record(strip, count, -1);
    for (const i of [rng.int(n), n - 1]) {
      strip.follow(i);
      const expected = batches.slice(-K).map((b) => image(b, i));
      expect(await frames(strip), `follow ${i} after ${count} records`).toEqual(expected);
    }
  }
  // Followed from here on, its next record lands after its past.
  const i = rng.int(n);
  strip.follow(i);
  const before = await frames(strip);
  const [next] = record(strip, 1, i);
  expect(await frames(strip)).toEqual([...before.slice(1), image(next!, i)]);
  strip.destroy();
  expect(gpuErrors).toEqual([]);
});

test('with no history kept, a newly followed image starts an empty filmstrip', async () => {
  const strip = new Filmstrip();
  strip.setup(device, d, K);
  record(strip, 3, 1);
  expect(await frames(strip)).toHaveLength(3);
  strip.follow(2);
  expect(strip.frames).toBe(0);
  expect(await frames(strip)).toHaveLength(0);
  strip.destroy();
  expect(gpuErrors).toEqual([]);
});
