/**
 * The measurements of `npm run bench:unet`, on whatever WebGPU they are handed: in the page
 * (page.ts, in Chromium) or in Node through Dawn (unetNode.ts). Our UNetTrainer's images per
 * second against TF.js's on the same U-Net and batch, and the network's forward over a batch
 * (one NFE per image) with no gradients, ours (createUNetPasses' forward ops) and TF.js's.
 * The forward alone: not a whole sampler step. Nothing is read back inside a timed block.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createBuffer } from '../../src/gpu/buffers';
import type { Gpu } from '../../src/gpu/device';
import type { ShaderSources } from '../../src/gpu/kernel';
import {
  COLOUR_SHAPE,
  generateColour,
  generateShapes,
  MNIST_SHAPE,
  type ImageShape,
} from '../../src/maths/imageDatasets';
import { MAX_STEPS } from '../../src/maths/learn/network';
import { trainingLevels } from '../../src/maths/learn/training';
import {
  slotSize,
  unetInitialParameters,
  unetPlan,
  type ImageFormat,
  type UNetPlan,
} from '../../src/maths/learn/unet';
import { unetForward } from '../../src/maths/learn/unetPass';
import { Rng, Stream } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS } from '../../src/maths/schedules';
import { record } from '../../src/sim/learn/layers';
import { UNetTrainer } from '../../src/sim/learn/unetTrainer';
import {
  compileUNetKernels,
  createUNetPasses,
  type UNetKernels,
} from '../../src/sim/learn/unetPasses';
import { adapterReport, withGpuErrors, type BenchGpu } from './benchGpu';
import type { Timed, TimedTraining } from './benchTypes';
import { relativeError, tfVersion, useBackend } from './tfjs';
import { perSecond, timeBlocks, timeEncoded, timeTfTraining, timeTrainer } from './timeBlocks';
import { TfUNet } from './unetTf';
import {
  toUNetArch,
  type UNetArchRow,
  type UNetDataset,
  type UNetOptions,
  type UNetReport,
} from './unetTypes';

const log = (message: string): void => console.log(`[unet] ${message}`);

const DATASETS: Record<UNetDataset, { shape: ImageShape; make: typeof generateShapes }> = {
  shapes: { shape: MNIST_SHAPE, make: generateShapes },
  colour: { shape: COLOUR_SHAPE, make: generateColour },
};

/** Images per second of a timed run of steps over batches of `batch` images. */
const images = (t: Timed, batch: number): string =>
  `${(perSecond(t) * batch).toPrecision(3)} images/s`;

/** The training grid: 1000 levels of the cosine schedule, as the sandbox trains. */
const cosineLevels = (): Float32Array<ArrayBuffer> =>
  trainingLevels('cosine', DEFAULT_SCHEDULE_PARAMS);

/** Uniform values in [lo, hi), seeded. */
function uniform(n: number, lo: number, hi: number, seed: number): Float32Array<ArrayBuffer> {
  const rng = new Rng(seed, Stream.dataset);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/**
 * Parameters for the forward's check and timing: the initial ones with every value moved a
 * little, so that the zero output convolution and GroupNorm's gamma 1, beta 0 test the layout too.
 */
function perturbed(plan: UNetPlan, seed: number): Float32Array<ArrayBuffer> {
  const noise = uniform(plan.parameters, -0.02, 0.02, seed + 1);
  return unetInitialParameters(plan, seed).map((v, i) => v + noise[i]!);
}

/** NHWC (TF's, the stored images') to NCHW (our network's) of `n` images. */
function toNchw(x: Float32Array, n: number, f: ImageFormat): Float32Array {
  const pixels = f.height * f.width;
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++)
    for (let q = 0; q < pixels; q++)
      for (let c = 0; c < f.channels; c++)
        out[(i * f.channels + c) * pixels + q] = x[(i * pixels + q) * f.channels + c]!;
  return out;
}

/** TF.js's parameter count and its forward's error against the float64 reference. */
async function checkTf(
  plan: UNetPlan,
  o: UNetOptions,
): Promise<Omit<UNetArchRow, 'arch' | 'parameters'>> {
  const net = new TfUNet(plan.arch, plan.image, o.lr);
  const params = perturbed(plan, o.seed);
  net.load(params, plan.tensors);
  const batch = 2;
  const f = plan.image;
  const x = uniform(batch * slotSize(f), -2, 2, o.seed + 2);
  const tau = uniform(batch, 0, 1, o.seed + 3);
  const out = tf.tidy(() =>
    net.forward(
      tf.tensor4d(x, [batch, f.height, f.width, f.channels]),
      tf.tensor2d(tau, [batch, 1]),
    ),
  );
  const got = toNchw(await out.data<'float32'>(), batch, f);
  out.dispose();
  const want = unetForward(plan, params, toNchw(x, batch, f), tau, batch).out;
  const row = { tfParameters: net.parameters, relError: relativeError(got, want) };
  net.dispose();
  return row;
}

async function timeOurs(
  g: Gpu,
  shaders: ShaderSources,
  plan: UNetPlan,
  batch: number,
  data: { buffer: GPUBuffer; m: number },
  o: UNetOptions,
): Promise<TimedTraining> {
  const trainer = await UNetTrainer.create(g.device, shaders, {
    arch: plan.arch,
    image: plan.image,
    batch,
    lr: o.lr,
    weightDecay: 0.01,
    emaDecay: 0.999,
    maxGradNorm: 1,
    weighting: 'none',
    seed: o.seed,
  });
  trainer.setData(data.buffer, data.m);
  trainer.setLevels(cosineLevels());
  const timed = await timeTrainer(g.device, trainer, { ...o, perSubmitLimit: MAX_STEPS });
  trainer.destroy();
  return timed;
}

async function timeTf(
  plan: UNetPlan,
  batch: number,
  stored: { images: Float32Array; m: number },
  o: UNetOptions,
): Promise<TimedTraining> {
  const net = new TfUNet(plan.arch, plan.image, o.lr);
  net.load(unetInitialParameters(plan, o.seed), plan.tensors);
  net.setData(stored.images, stored.m, cosineLevels());
  const timed = await timeTfTraining((k) => net.train(k, batch), o);
  net.dispose();
  return timed;
}

/** Our forward over `batch` images: the passes with no gradients, one compute pass per NFE. */
async function timeOurForward(
  g: Gpu,
  kernels: UNetKernels,
  plan: UNetPlan,
  batch: number,
  o: UNetOptions,
): Promise<Timed> {
  const params = createBuffer(g.device, {
    label: 'bench unet params',
    size: 0,
    usage: GPUBufferUsage.STORAGE,
    data: perturbed(plan, o.seed),
  });
  const passes = createUNetPasses(g.device, kernels, plan, batch, params, null);
  g.device.queue.writeBuffer(
    passes.values.get('x')!,
    0,
    uniform(batch * slotSize(plan.image), -2, 2, o.seed),
  );
  g.device.queue.writeBuffer(passes.values.get('tau')!, 0, uniform(batch, 0, 1, o.seed));
  const timed = await timeEncoded(
    g.device,
    (encoder, k) => {
      for (let i = 0; i < k; i++) {
        const pass = encoder.beginComputePass({ label: 'bench unet forward' });
        for (const op of passes.forward) record(pass, op);
        pass.end();
      }
      return k;
    },
    o,
  );
  passes.destroy();
  params.destroy();
  return timed;
}

async function timeTfForward(plan: UNetPlan, batch: number, o: UNetOptions): Promise<Timed> {
  const net = new TfUNet(plan.arch, plan.image, o.lr);
  net.load(perturbed(plan, o.seed), plan.tensors);
  const f = plan.image;
  const x = tf.tensor4d(uniform(batch * slotSize(f), -2, 2, o.seed), [
    batch,
    f.height,
    f.width,
    f.channels,
  ]);
  const tau = tf.tensor2d(uniform(batch, 0, 1, o.seed), [batch, 1]);
  const timed = await timeBlocks((k) => net.forwards(k, x, tau), o);
  x.dispose();
  tau.dispose();
  net.dispose();
  return timed;
}

export async function run(bench: BenchGpu, o: UNetOptions): Promise<UNetReport> {
  return withGpuErrors(bench.gpu.device, () => measure(bench, o));
}

async function measure(bench: BenchGpu, o: UNetOptions): Promise<UNetReport> {
  const { gpu: g, shaders } = bench;
  const { shape, make } = DATASETS[o.dataset];
  const image: ImageFormat = { ...shape };
  const stored = { images: make(o.images, o.seed), m: o.images };
  const buffer = createBuffer(g.device, {
    label: 'bench images',
    size: 0,
    usage: GPUBufferUsage.STORAGE,
    data: new Float32Array(stored.images),
  });
  const tfReport = await useBackend(o.tfBackends);
  const { backend } = tfReport;
  log(
    `TF.js ${tfVersion} backend ${backend ?? 'none'}${tfReport.failures.length ? ` (${tfReport.failures.join('; ')})` : ''}`,
  );
  const kernels = await compileUNetKernels(g.device, shaders);
  const report: UNetReport = {
    adapter: adapterReport(bench),
    image,
    tf: tfReport,
    archs: [],
    train: [],
    forward: [],
  };
  for (const spec of o.archs) {
    const plan = unetPlan(toUNetArch(spec), image);
    const tfRow = backend ? await checkTf(plan, o) : { tfParameters: null, relError: null };
    report.archs.push({ arch: spec.name, parameters: plan.parameters, ...tfRow });
    log(
      `${spec.name}: ${plan.parameters} parameters; TF.js ${tfRow.tfParameters ?? '-'}, forward vs float64 relative error ${tfRow.relError?.toExponential(1) ?? '-'}`,
    );
    for (const batch of o.batches) {
      const ours = await timeOurs(g, shaders, plan, batch, { buffer, m: stored.m }, o);
      log(`${spec.name} batch ${batch}: ours ${images(ours, batch)}`);
      const tfTimed = backend ? await timeTf(plan, batch, stored, o) : null;
      if (tfTimed) log(`${spec.name} batch ${batch}: TF.js ${images(tfTimed, batch)}`);
      report.train.push({ arch: spec.name, batch, ours, tf: tfTimed });
    }
    for (const batch of o.batches) {
      const ours = await timeOurForward(g, kernels, plan, batch, o);
      log(`${spec.name} forward batch ${batch}: ours ${images(ours, batch)}`);
      const tfTimed = backend ? await timeTfForward(plan, batch, o) : null;
      if (tfTimed) log(`${spec.name} forward batch ${batch}: TF.js ${images(tfTimed, batch)}`);
      report.forward.push({ arch: spec.name, batch, ours, tf: tfTimed });
    }
  }
  buffer.destroy();
  return report;
}
