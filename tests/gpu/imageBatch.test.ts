/**
 * The U-Net's training batch drawn on real WebGPU (shaders/learn/sample_image_batch.wgsl through
 * src/sim/learn/imageBatchSampler.ts; Ho et al. 2020, algorithm 1) against the CPU's own
 * recomputation of every draw: the row's image and level from the same Threefry bits, each
 * value's noise from the same (seed, stream, r pairs + p, step) counter, then x c_in, tau, the
 * target and the loss weight in float64 (src/maths/learn/network.ts), on fresh random images
 * (SEED=... replays).
 *
 * Error model (tests/gpu/harness.ts F32, written beside each quantity below): the picks are exact
 * integers, the stored values are read exactly, the noise carries normal2F32's bound (Box-Muller
 * through WGSL's log and sqrt, the angle through cos_sin_2pi's polynomials), and the arithmetic
 * WGSL's stated accuracy, operation by operation in the kernel's order; the x0 target and the
 * unweighted weight are copies and must match to the bit. So the bound is first order in 2^-24
 * and fails on a wrong pick, counter, layout, scale or formula, not on rounding.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { readback } from '../../src/gpu/readback';
import type { Kernel } from '../../src/gpu/kernel';
import { TARGETS, WEIGHTINGS } from '../../src/maths/learn/network';
import { DEFAULT_ADAM } from '../../src/maths/learn/optim';
import { Rng, Stream, threefry2x32, toUniform } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, levelAt } from '../../src/maths/schedules';
import { ImageBatchSampler, type ImageBatchSpec } from '../../src/sim/learn/imageBatchSampler';
import { record } from '../../src/sim/learn/ops';
import { TrainTable } from '../../src/sim/learn/trainTable';
import { SEED, seeded, within } from '../random';
import { inputScaleF32, lossWeightF32, noiseAngleF32, targetOfF32 } from './networkModels';
import { F32, gpuErrors, normal2F32, testGpu } from './harness';

const rng = new Rng(SEED, 144);
let device: GPUDevice;
let kernel: Kernel;

beforeAll(async () => {
  device = (await testGpu()).device;
  kernel = await ImageBatchSampler.compile(device, shaderSources);
});
afterEach(() => expect(gpuErrors).toEqual([]));

const LEVELS = 1000;

/**
 * (alpha_k, sigma_k) at t_k = (k + 1) / L: a variance-preserving grid (cosine: c_in within 1e-7
 * of 1) and a variance-exploding one (ve: alpha 1, sigma up to sigmaMax, c_in far from 1).
 */
function grid(schedule: 'cosine' | 've'): Float32Array<ArrayBuffer> {
  const out = new Float32Array(2 * LEVELS);
  for (let k = 0; k < LEVELS; k++) {
    const l = levelAt(schedule, DEFAULT_SCHEDULE_PARAMS, (k + 1) / LEVELS);
    out[2 * k] = l.alpha;
    out[2 * k + 1] = l.sigma;
  }
  return out;
}
const GRIDS = { cosine: grid('cosine'), ve: grid('ve') };
type Grid = keyof typeof GRIDS;

/** m random images of dim float32 values in [-1, 1], as the image datasets store them. */
function images(m: number, dim: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(m * dim);
  for (let i = 0; i < out.length; i++) out[i] = 2 * rng.uniform() - 1;
  return out;
}

interface Batch {
  x: Float32Array;
  tau: Float32Array;
  goal: Float32Array;
  weight: Float32Array;
  label: Float32Array;
}

interface Step {
  step: number;
  stratified: boolean;
}

/** The sampler's batch at each of `steps` (slots of one step table), read after each. */
async function draw(
  spec: ImageBatchSpec,
  data: Float32Array<ArrayBuffer>,
  levels: Grid,
  steps: Step[],
  labels: Uint32Array<ArrayBuffer> = new Uint32Array(1),
): Promise<Batch[]> {
  const m = data.length / spec.dim;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const make = (floats: number): GPUBuffer => device.createBuffer({ size: 4 * floats, usage });
  const outputs = {
    x: make(spec.rows * spec.dim),
    tau: make(spec.rows),
    goal: make(spec.rows * spec.dim),
    weight: make(spec.rows),
    label: make(spec.rows * Math.max(1, spec.classes ?? 0)),
  };
  const upload = (values: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>): GPUBuffer => {
    const b = device.createBuffer({
      size: values.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(b, 0, values);
    return b;
  };
  const dataBuffer = upload(data);
  const levelBuffer = upload(GRIDS[levels]);
  const labelBuffer = upload(labels);
  const table = new TrainTable(device, kernel, steps.length);
  steps.forEach((s, slot) => table.set(slot, s.step, DEFAULT_ADAM, s.stratified));
  table.flush(steps.length);
  const sampler = new ImageBatchSampler(device, kernel, spec, outputs, table.binding);
  sampler.bind(dataBuffer, m, levelBuffer, LEVELS, labelBuffer);
  const out: Batch[] = [];
  for (let slot = 0; slot < steps.length; slot++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    record(pass, sampler.op!, table.offset(slot, new Uint32Array(1)));
    pass.end();
    device.queue.submit([encoder.finish()]);
    const read = async (b: GPUBuffer): Promise<Float32Array> =>
      new Float32Array(await readback(device, b));
    out.push({
      x: await read(outputs.x),
      tau: await read(outputs.tau),
      goal: await read(outputs.goal),
      weight: await read(outputs.weight),
      label: await read(outputs.label),
    });
  }
  sampler.destroy();
  table.destroy();
  for (const b of [...Object.values(outputs), dataBuffer, levelBuffer, labelBuffer]) b.destroy();
  return out;
}

// --- the batch in float64 with float32 bounds, in the kernel's order ----------------------------

/** Row r's picks: the same Threefry draw as learn/sample_batch (x: image, y: level). */
function picks(spec: ImageBatchSpec, m: number, r: number, s: Step): { image: number; k: number } {
  const bits = threefry2x32(spec.seed, Stream.train, r, s.step);
  const k = s.stratified ? Math.floor((r * LEVELS) / spec.rows) : bits[1]! % LEVELS;
  return { image: bits[0]! % m, k };
}

/**
 * The worst |gpu - cpu| / bound over the batch (0 for an exact match; Infinity where a value whose
 * bound is 0, a copy, differs).
 */
function worstError(
  spec: ImageBatchSpec,
  data: Float32Array,
  grid: Grid,
  s: Step,
  got: Batch,
  labels?: Uint32Array,
): number {
  const levels = GRIDS[grid];
  const { dim, rows, target, weighting } = spec;
  const channels = spec.channels ?? 1;
  const pixels = dim / channels;
  const pairs = Math.ceil(dim / 2);
  const m = data.length / dim;
  let worst = 0;
  const check = (value: number, f: F32): void => {
    const error = Math.abs(value - f.v);
    worst = Math.max(worst, error === 0 ? 0 : error / f.e);
  };
  for (let r = 0; r < rows; r++) {
    const { image, k } = picks(spec, m, r, s);
    const alpha = new F32(levels[2 * k]!);
    const sigma = new F32(levels[2 * k + 1]!);
    const cIn = inputScaleF32(alpha, sigma);
    for (let p = 0; p < pairs; p++) {
      const eps = normal2F32(spec.seed, Stream.trainNoise, r * pairs + p, s.step);
      for (let j = 0; j < 2 && 2 * p + j < dim; j++) {
        const i = 2 * p + j;
        // NCHW value i = channel ch, pixel q: stored interleaved at q channels + ch.
        const ch = Math.floor(i / pixels);
        const x0 = new F32(data[image * dim + (i - ch * pixels) * channels + ch]!);
        const e = eps[j]!;
        const x = alpha.mul(x0).add(sigma.mul(e));
        check(got.x[r * dim + i]!, x.mul(cIn));
        check(got.goal[r * dim + i]!, targetOfF32(target, x0, e, alpha, sigma));
      }
    }
    check(got.tau[r]!, noiseAngleF32(alpha, sigma));
    check(got.weight[r]!, lossWeightF32(weighting, target, alpha, sigma));
    // The class one-hot, exactly: the image's class, or zeros where the row drops it.
    const C = spec.classes ?? 0;
    const dropped =
      toUniform(threefry2x32(spec.seed, Stream.trainLabel, r, s.step)[0]!) < (spec.drop ?? 0);
    for (let c = 0; C && c < C; c++)
      check(got.label[r * C + c]!, new F32(!dropped && labels![image] === c ? 1 : 0, 0));
  }
  return worst;
}

const randomStep = (): number => 1 + rng.int(100000);

describe(
  seeded('learn/sample_image_batch draws the training batch of images of Ho et al. algorithm 1'),
  () => {
    test("a class-conditional U-Net: each row its image's class one-hot, zeros where dropped", async () => {
      const spec = { rows: 64, dim: 6, seed: SEED, target: 'v', weighting: 'none' } as const;
      const classes = 2 + rng.int(8);
      const data = images(5 + rng.int(20), spec.dim);
      const labels = Uint32Array.from({ length: data.length / spec.dim }, () => rng.int(classes));
      const s = { step: randomStep(), stratified: false };
      const drop = 0.2 + 0.5 * rng.uniform();
      const conditional = { ...spec, classes, drop };
      const [batch] = await draw(conditional, data, 'cosine', [s], labels);
      within(worstError(conditional, data, 'cosine', s, batch!, labels), 1, 'batch with classes');
      // Both kinds of row: 64 rows at drop 0.2 to 0.7 all one way has probability < 1e-6.
      const hot = Array.from({ length: spec.rows }, (_, r) =>
        batch!.label.subarray(r * classes, (r + 1) * classes).some((v) => v === 1),
      );
      expect(hot).toContain(true);
      expect(hot).toContain(false);
    });

    test('every target, weighting and grid, odd D = 5: picks, noise, inputs, levels, targets, weights', async () => {
      const spec0 = { rows: 37, dim: 5, seed: SEED };
      const data = images(3 + rng.int(20), spec0.dim);
      const s = { step: randomStep(), stratified: false };
      for (const grid of ['cosine', 've'] as const)
        for (const target of TARGETS)
          for (const weighting of WEIGHTINGS) {
            const spec = { ...spec0, target, weighting };
            const [batch] = await draw(spec, data, grid, [s]);
            within(
              worstError(spec, data, grid, s, batch!),
              1,
              `sample_image_batch (${grid}, ${target}, ${weighting}, D 5): error / F32 bound`,
            );
          }
    });

    test('28 x 28 images, batch 4, every target', async () => {
      const spec0 = { rows: 4, dim: 784, seed: SEED, weighting: 'min-snr' as const };
      const data = images(2 + rng.int(10), spec0.dim);
      const s = { step: randomStep(), stratified: false };
      for (const target of TARGETS) {
        const spec = { ...spec0, target };
        const [batch] = await draw(spec, data, 'cosine', [s]);
        within(
          worstError(spec, data, 'cosine', s, batch!),
          1,
          `sample_image_batch (${target}, 28 x 28): error / F32 bound`,
        );
      }
    });

    test('colour: stored channels interleaved, the batch NCHW (D = 45 and 32 x 32 x 3)', async () => {
      for (const [rows, dim] of [
        [9, 45],
        [2, 3072],
      ] as const) {
        const spec = {
          rows,
          dim,
          channels: 3,
          seed: SEED,
          target: 'x0',
          weighting: 'none',
        } as const;
        const data = images(2 + rng.int(6), dim);
        const s = { step: randomStep(), stratified: false };
        const [batch] = await draw(spec, data, 've', [s]);
        within(
          worstError(spec, data, 've', s, batch!),
          1,
          `sample_image_batch (colour, D ${dim}): error / F32 bound`,
        );
      }
    });

    test('stratified levels: row r at k = r L / batch', async () => {
      const spec = { rows: 50, dim: 6, seed: SEED, target: 'v', weighting: 'min-snr' } as const;
      const data = images(4, spec.dim);
      const s = { step: randomStep(), stratified: true };
      const [batch] = await draw(spec, data, 'cosine', [s]);
      within(
        worstError(spec, data, 'cosine', s, batch!),
        1,
        'sample_image_batch (stratified): error / F32 bound',
      );
    });

    test('two steps draw apart; the same step twice gives the same bits', async () => {
      const spec = { rows: 16, dim: 9, seed: SEED, target: 'eps', weighting: 'none' } as const;
      const data = images(5, spec.dim);
      const step = randomStep();
      const steps = [step, step + 1, step].map((t) => ({ step: t, stratified: false }));
      const [a, b, again] = await draw(spec, data, 'cosine', steps);
      within(
        worstError(spec, data, 'cosine', steps[1]!, b!),
        1,
        'sample_image_batch (step t + 1): error / F32 bound',
      );
      const bits = (v: Float32Array): Uint32Array =>
        new Uint32Array(v.buffer, v.byteOffset, v.length);
      for (const name of ['x', 'tau', 'goal', 'weight'] as const)
        expect(bits(again![name])).toEqual(bits(a![name]));
      // Fresh noise at every value: a value repeated across steps would be the same normal twice.
      const same = a!.x.filter((v, i) => v === b!.x[i]).length;
      expect(same).toBe(0);
    });
  },
);
