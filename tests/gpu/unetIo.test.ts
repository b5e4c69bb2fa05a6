/**
 * The image run's side of the U-Net (shaders/run/unet_in.wgsl and unet_out.wgsl) on real WebGPU:
 * from particles holding images with interleaved channels, the network's NCHW input x c_in and
 * each image's tau at the step's level; from its NCHW output, x0_hat in the particles' layout for
 * each target. Every value against float64 within the F32 model of lib/network.wgsl's
 * conditioning (./networkModels.ts); the layout's moves are exact (a value lands where the
 * float64 index says, or the error is of the data's size, far past any bound).
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { bindKernel } from '../../src/gpu/kernel';
import { readback } from '../../src/gpu/readback';
import { TARGETS } from '../../src/maths/learn/network';
import { Rng } from '../../src/maths/rng';
import type { Level } from '../../src/maths/schedules';
import { stepParams, StepWriter } from '../../src/sim/run/stepTable';
import { SEED } from '../random';
import { expectWithin, F32, gpuErrors, kernel, testGpu } from './harness';
import { inputScaleF32, noiseAngleF32, x0FromOutputF32 } from './networkModels';

const rng = new Rng(SEED, 191);
let device: GPUDevice;
beforeAll(async () => {
  device = (await testGpu()).device;
});
afterEach(() => expect(gpuErrors).toEqual([]));

const usage = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const storage = (data: Float32Array<ArrayBuffer>): GPUBuffer =>
  createBuffer(device, { label: 'unet io', size: 0, usage: usage(), data });
const read = async (b: GPUBuffer): Promise<Float32Array> =>
  new Float32Array(await readback(device, b));

/** NCHW index of value q (interleaved order) of image p: the layout the kernels move between. */
const planar = (channels: number, dim: number, p: number, q: number): number =>
  p * dim + (q % channels) * (dim / channels) + Math.floor(q / channels);

async function run(
  name: 'unet_in' | 'unet_out',
  level: Level,
  n: number,
  dim: number,
  io: { channels: number; prediction: number },
  buffers: Record<string, GPUBuffer>,
): Promise<void> {
  const k = await kernel(name);
  const struct = k.definitions.structs.Step!;
  const writer = new StepWriter(struct, 256);
  const p = stepParams(level, level, level, 0, { eta: 0, n, m: 1, k: 0, seed: 1, dim });
  const step = createBuffer(device, {
    label: 'step',
    size: 256,
    usage: GPUBufferUsage.UNIFORM,
    data: new Uint8Array(writer.pack([p])),
  });
  const unet = createBuffer(device, {
    label: 'unet io',
    size: 0,
    usage: GPUBufferUsage.UNIFORM,
    data: Uint32Array.of(io.channels, io.prediction, 0, 0),
  });
  const group = bindKernel(device, k, {
    ...buffers,
    unet,
    step: { buffer: step, size: struct.size },
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, group, [0]);
  pass.dispatchWorkgroups(Math.ceil((n * dim) / 2 / k.workgroupSize));
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

const levels: [string, Level][] = [
  ['a variance-preserving level', { t: 0.6, alpha: 0.6, sigma: 0.8 }],
  // c_in far from 1 (a variance-exploding level), and a level near the data.
  ['a variance-exploding level', { t: 0.5, alpha: 1, sigma: 3.5 }],
  ['near the data', { t: 0.01, alpha: 0.99995, sigma: 0.01 }],
];

describe(`the image run's side of the U-Net (SEED=${SEED})`, () => {
  for (const [channels, height, width] of [
    [1, 28, 28],
    [3, 4, 6],
  ] as const) {
    const dim = channels * height * width;
    const n = 3;
    for (const [what, level] of levels) {
      test(`unet_in: x c_in as NCHW and tau, ${channels} x ${height} x ${width}, ${what}`, async () => {
        const x = Float32Array.from({ length: n * dim }, () => 2 * rng.normal());
        const unetX = storage(new Float32Array(n * dim).fill(NaN));
        const unetTau = storage(new Float32Array(n).fill(NaN));
        await run(
          'unet_in',
          level,
          n,
          dim,
          { channels, prediction: 0 },
          {
            x: storage(x),
            unet_x: unetX,
            unet_tau: unetTau,
            unet_label: storage(new Float32Array(1)),
          },
        );
        const alpha = new F32(Math.fround(level.alpha));
        const sigma = new F32(Math.fround(level.sigma));
        const cIn = inputScaleF32(alpha, sigma);
        const want = new Float64Array(n * dim);
        const bound = new Float64Array(n * dim);
        for (let p = 0; p < n; p++)
          for (let q = 0; q < dim; q++) {
            const v = new F32(x[p * dim + q]!).mul(cIn);
            want[planar(channels, dim, p, q)] = v.v;
            bound[planar(channels, dim, p, q)] = v.e;
          }
        expectWithin(
          'x c_in (NCHW)',
          await read(unetX),
          want,
          (i) => bound[i]!,
          'F32: x inverseSqrt(a^2 + s^2)',
        );
        const tau = noiseAngleF32(alpha, sigma);
        expectWithin(
          'tau',
          await read(unetTau),
          new Float64Array(n).fill(tau.v),
          () => tau.e,
          'F32: noise_angle',
        );
      });
    }

    for (const target of TARGETS)
      test(`unet_out: x0_hat from the NCHW output, ${channels} x ${height} x ${width}, target ${target}`, async () => {
        const [what, level] = levels[rng.int(levels.length)]!;
        const x = Float32Array.from({ length: n * dim }, () => 2 * rng.normal());
        const out = Float32Array.from({ length: n * dim }, () => rng.normal());
        const x0hat = storage(new Float32Array(n * dim).fill(NaN));
        await run(
          'unet_out',
          level,
          n,
          dim,
          { channels, prediction: TARGETS.indexOf(target) },
          {
            x: storage(x),
            x0hat,
            unet_out: storage(out),
          },
        );
        const alpha = new F32(Math.fround(level.alpha));
        const sigma = new F32(Math.fround(level.sigma));
        const model = Array.from({ length: n * dim }, (_, i) => {
          const p = Math.floor(i / dim);
          const o = new F32(out[planar(channels, dim, p, i - p * dim)]!);
          return x0FromOutputF32(target, new F32(x[i]!), o, alpha, sigma);
        });
        expectWithin(
          `x0_hat (${what})`,
          await read(x0hat),
          model.map((m) => m.v),
          (i) => model[i]!.e,
          'F32: x0_from_output',
        );
      });
  }
});
