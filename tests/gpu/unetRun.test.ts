/**
 * The U-Net as an image run's denoiser (denoiser 'learned' on images), on real WebGPU through the
 * Simulation as the page drives it: the evaluation is run/unet_in, the U-Net's forward over the
 * run's n images (the lent weights), run/unet_out. What is checked is the wiring, each piece
 * being checked against float64 in its own file (unetIo.test.ts, unet.test.ts):
 *   - the network's input is the particles at the level the run is at (x c_in, its tau), within
 *     lib/network.wgsl's F32 model;
 *   - its output is the forward of those inputs with the lent weights over all n images: bit for
 *     bit what a separately bound forward of the same plan computes from the same inputs;
 *   - x0_hat is that output through run/unet_out's F32 model, measured (measureDenoiser) and in
 *     the step itself (the same floats), for eps, x0 and v, and again after n changes.
 * Images are 4 x 6 x 3 (channels interleaved in the particles, planes in the network); weights
 * are the initial ones plus noise, so every layer (out.conv included) carries signal.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Dataset } from '../../src/maths/datasets';
import type { Target } from '../../src/maths/learn/network';
import {
  unetArchOf,
  unetInitialParameters,
  unetPlan,
  type UNetPlan,
} from '../../src/maths/learn/unet';
import { Rng } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import { record } from '../../src/sim/learn/ops';
import {
  compileUNetKernels,
  createUNetPasses,
  type UNetKernels,
} from '../../src/sim/learn/unetPasses';
import { Simulation, type UNetModel } from '../../src/sim/run/simulation';
import { SEED } from '../random';
import { expectWithin, F32, gpuErrors, setRun, testGpu } from './harness';
import { inputScaleF32, noiseAngleF32, x0FromOutputF32 } from './networkModels';

const IMAGE = { channels: 3, height: 4, width: 6 };
const D = IMAGE.channels * IMAGE.height * IMAGE.width;
const STEPS = 6;
const rng = new Rng(SEED, 207);

let device: GPUDevice;
let sim: Simulation;
let kernels: UNetKernels;
const owned: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
  kernels = await compileUNetKernels(device, shaderSources);
});
afterAll(() => {
  sim.destroy();
  for (const b of owned) b.destroy();
});
afterEach(() => expect(gpuErrors).toEqual([]));

const usage = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

function data(m: number): Dataset {
  const points = new Float32Array(m * D).map(() => 2 * rng.uniform() - 1);
  return { id: 'images', points, mixture: null, dim: D };
}

/** A U-Net for IMAGE predicting `target`, its weights the initial ones plus N(0, 0.05^2). */
function model(target: Target): { model: UNetModel; weights: Float32Array<ArrayBuffer> } {
  const plan = unetPlan(unetArchOf(4, 2, target), IMAGE);
  const weights = unetInitialParameters(plan, SEED).map((w) => w + 0.05 * rng.normal());
  const buffer = createBuffer(device, { label: 'weights', size: 0, usage: usage(), data: weights });
  owned.push(buffer);
  return { model: { plan, weights: buffer, kernels, target }, weights };
}

const read = async (b: GPUBuffer, floats: number): Promise<Float32Array> =>
  new Float32Array(await readback(device, b, 4 * floats));

/** The plan's forward bound on its own, run from these inputs: its output. */
async function separateForward(
  plan: UNetPlan,
  weights: GPUBuffer,
  n: number,
  x: Float32Array,
  tau: Float32Array,
): Promise<Float32Array> {
  const passes = createUNetPasses(device, kernels, plan, n, weights, null);
  device.queue.writeBuffer(passes.values.get('x')!, 0, x as Float32Array<ArrayBuffer>);
  device.queue.writeBuffer(passes.values.get('tau')!, 0, tau as Float32Array<ArrayBuffer>);
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const op of passes.forward) record(pass, op);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const out = await read(passes.values.get(plan.output)!, n * D);
  passes.destroy();
  return out;
}

/** NCHW index of value q (interleaved order) of image p. */
const planar = (p: number, q: number): number =>
  p * D + (q % IMAGE.channels) * (D / IMAGE.channels) + Math.floor(q / IMAGE.channels);

/**
 * Checks the denoiser's evaluation at the run's current level: the network's input, its output
 * against a separate forward, and the measured x0_hat; returns the measured x0_hat.
 */
async function checkEvaluation(m: UNetModel, n: number): Promise<Float32Array> {
  const encoder = device.createCommandEncoder();
  sim.measureDenoiser(encoder);
  device.queue.submit([encoder.finish()]);
  const io = sim.networks.resources;
  const [x, ux, tau, out, x0hat] = await Promise.all([
    sim.positions(),
    read(io.unet_x!, n * D),
    read(io.unet_tau!, n),
    read(io.unet_out!, n * D),
    read(sim.measuredX0hat, n * D),
  ]);
  const level = sim.level()!;
  const alpha = F32.of(level.alpha);
  const sigma = F32.of(level.sigma);
  const scale = inputScaleF32(alpha, sigma);
  const angle = noiseAngleF32(alpha, sigma);
  const input = (p: number, q: number) => F32.of(x[p * D + q]!).mul(scale);
  const inputs = Array.from({ length: n * D }, (_, i) => input(Math.floor(i / D), i % D));
  expectWithin(
    'network input x c_in (NCHW)',
    Array.from({ length: n * D }, (_, i) => ux[planar(Math.floor(i / D), i % D)]!),
    inputs.map((f) => f.v),
    (i) => inputs[i]!.e,
    'lib/network.wgsl input_scale times x (networkModels.ts)',
  );
  expectWithin(
    'network level tau',
    tau,
    Array.from({ length: n }, () => angle.v),
    () => angle.e,
    'noise_angle of the run level (networkModels.ts)',
  );
  // The same plan, weights and inputs bound apart: the same kernels give the same floats.
  const again = await separateForward(m.plan, m.weights, n, ux, tau);
  expect(Array.from(out)).toEqual(Array.from(again));
  const expected = Array.from({ length: n * D }, (_, i) => {
    const p = Math.floor(i / D);
    const q = i % D;
    return x0FromOutputF32(m.target, F32.of(x[i]!), F32.of(out[planar(p, q)]!), alpha, sigma);
  });
  expectWithin(
    `x0_hat from the ${m.target} output`,
    x0hat,
    expected.map((f) => f.v),
    (i) => expected[i]!.e,
    'x0_from_output (networkModels.ts)',
  );
  return x0hat;
}

describe(`the U-Net as the image run's denoiser (SEED=${SEED})`, () => {
  for (const target of ['eps', 'x0', 'v'] as const) {
    test(`${target}: the evaluation reads the run's level and images, and the step uses it`, async () => {
      const { model: m } = model(target);
      sim.setData(data(5));
      sim.setParticles(3);
      sim.setModel(m);
      const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, STEPS);
      const spec = {
        mode: 'reverse' as const,
        sampler: 'ddim' as const,
        denoiser: 'learned' as const,
        levels,
        eta: 0,
        seed: SEED,
      };
      await setRun(sim, spec);
      let encoder = device.createCommandEncoder();
      sim.reset(encoder);
      sim.encodeSteps(encoder, 2);
      device.queue.submit([encoder.finish()]);
      // At the third level: the measurement, then the step's own evaluation (the same floats).
      const measured = await checkEvaluation(m, 3);
      encoder = device.createCommandEncoder();
      sim.encodeSteps(encoder, 1);
      device.queue.submit([encoder.finish()]);
      expect(Array.from(await read(sim.x0hat, 3 * D))).toEqual(Array.from(measured));
      // A new batch size rebinds the forward over the new n images.
      sim.setParticles(5);
      await setRun(sim, spec);
      encoder = device.createCommandEncoder();
      sim.reset(encoder);
      sim.encodeSteps(encoder, 4);
      device.queue.submit([encoder.finish()]);
      await checkEvaluation(m, 5);
      sim.setModel(null);
    });
  }

  test('refused: a U-Net made for other images, and a learned run without one', async () => {
    sim.setData(data(4));
    sim.setParticles(2);
    const other = unetPlan(unetArchOf(4, 2, 'v'), { channels: 1, height: 4, width: 6 });
    const { model: m } = model('v');
    expect(() => sim.setModel({ ...m, plan: other })).toThrow(
      'the U-Net is made for 4 x 6 x 1 images, not these of 72 values',
    );
    const spec = {
      mode: 'reverse' as const,
      sampler: 'ddim' as const,
      denoiser: 'learned' as const,
      levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, 2),
      eta: 0,
      seed: SEED,
    };
    await expect(setRun(sim, spec)).rejects.toThrow(
      'the learned denoiser has no network for this data',
    );
  });

  test('class-conditional: unet_in writes the class one-hot; guidance mixes class and no class', async () => {
    const classes = 3;
    const plan = unetPlan(unetArchOf(4, 2, 'v', classes), IMAGE);
    const weights = unetInitialParameters(plan, SEED).map((w) => w + 0.05 * rng.normal());
    const buffer = createBuffer(device, {
      label: 'weights',
      size: 0,
      usage: usage(),
      data: weights,
    });
    owned.push(buffer);
    const m: UNetModel = { plan, weights: buffer, kernels, target: 'v' };
    const n = 3;
    const images = data(6);
    sim.setData({ ...images, labels: Uint8Array.from({ length: 6 }, (_, i) => i % classes) });
    sim.setParticles(n);
    sim.setModel(m);
    const label = rng.int(classes);
    /** x0_hat measured at the start (the seed's noise: the same for every condition). */
    const measure = async (condition?: { guidance: number }): Promise<Float32Array> => {
      await setRun(sim, {
        mode: 'reverse',
        sampler: 'ddim',
        denoiser: 'learned',
        levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, STEPS),
        eta: 0,
        seed: SEED,
        ...(condition ? { condition: { label, interval: [0, 1], ...condition } } : {}),
      });
      const encoder = device.createCommandEncoder();
      sim.reset(encoder);
      sim.measureDenoiser(encoder);
      device.queue.submit([encoder.finish()]);
      return read(sim.measuredX0hat, n * D);
    };
    const cond = await measure({ guidance: 1 });
    // The network's class input: the one-hot of the class, exactly, for every image.
    const io = sim.networks.resources;
    const hot = await read(io.unet_label!, n * classes);
    const want = Array.from({ length: n * classes }, (_, i) => (i % classes === label ? 1 : 0));
    expect(Array.from(hot)).toEqual(want);
    const uncond = await measure();
    expect(Array.from(await read(io.unet_label!, n * classes))).toEqual(want.map(() => 0));
    expect(cond).not.toEqual(uncond);
    // w = 0: the unconditional evaluation, bit for bit; w: w c + (1 - w) u in float32.
    expect(await measure({ guidance: 0 })).toEqual(uncond);
    const w = Math.fround(1.5 + 2 * rng.uniform());
    const guided = await measure({ guidance: w });
    const mix = Array.from(cond, (c, i) => w * c + (1 - w) * uncond[i]!);
    expectWithin(
      'guided x0_hat',
      guided,
      mix,
      (i) => 4 * 2 ** -24 * (Math.abs(w * cond[i]!) + Math.abs((1 - w) * uncond[i]!)),
      'run/guide.wgsl: two products and a sum, each rounded once (and 1 - w)',
    );
    sim.setModel(null);
  });
});
