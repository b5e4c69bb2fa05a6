/**
 * The measurements of `npm run bench:learn`, on whatever WebGPU they are handed: in the page
 * (learnPage.ts, in Chromium) or in Node through Dawn (learnNode.ts, for a machine with a GPU and
 * no browser). Our Trainer's optimiser steps per second against TF.js's on the same MLP and
 * batch, and the learned denoiser's reverse steps per second (run/denoise_learned, then DDIM).
 * Nothing is read back inside a timed block; each block ends when the queue has finished.
 */
import type { Gpu } from '../../src/gpu/device';
import type { ShaderSources } from '../../src/gpu/kernel';
import { generateDataset } from '../../src/maths/datasets';
import { INPUTS, MAX_STEPS, parameterCount } from '../../src/maths/learn/network';
import { Rng, Stream } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, levelAt, reverseLevels } from '../../src/maths/schedules';
import { Trainer, type TrainSettings } from '../../src/sim/learn/trainer';
import { Simulation, type RunSpec } from '../../src/sim/run/simulation';
import { TfNet, tfVersion, useBackend } from './learnTf';
import {
  toArch,
  type AdapterReport,
  type ArchSpec,
  type LearnOptions,
  type LearnReport,
  type SampleRow,
  type Timed,
  type TrainRow,
} from './learnTypes';

/** The training grid (1000 levels of the cosine schedule, as the sandbox trains) and the data. */
const LEVELS = 1000;
const POINTS = 2048;

/** The WebGPU the measurements run on, its kernels' sources, and what describes its host. */
export interface BenchGpu {
  gpu: Gpu;
  shaders: ShaderSources;
  userAgent: string;
}

const log = (message: string): void => console.log(`[learn] ${message}`);

function trainingLevels(): Float32Array<ArrayBuffer> {
  const levels = new Float32Array(2 * LEVELS);
  for (let k = 0; k < LEVELS; k++) {
    const l = levelAt('cosine', DEFAULT_SCHEDULE_PARAMS, (k + 1) / LEVELS);
    levels[2 * k] = l.alpha;
    levels[2 * k + 1] = l.sigma;
  }
  return levels;
}

/**
 * Times `run(k)` (k steps, done when it resolves) after a warm-up step: blocks grow until one
 * lasts `seconds` or holds `maxSteps` steps; the last block is the measurement.
 */
async function time(run: (k: number) => Promise<void>, o: LearnOptions): Promise<Timed> {
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

const rate = (t: Timed): string => `${(t.steps / t.seconds).toPrecision(3)} steps/s`;

async function timeOurs(
  g: Gpu,
  shaders: ShaderSources,
  spec: ArchSpec,
  batch: number,
  data: GPUBuffer,
  o: LearnOptions,
): Promise<TrainRow['ours']> {
  const settings: TrainSettings = {
    arch: toArch(spec),
    batch,
    lr: o.lr,
    weightDecay: 0.01,
    emaDecay: 0.995,
    maxGradNorm: 1,
    weighting: 'none',
    seed: o.seed,
  };
  const trainer = await Trainer.create(g.device, shaders, settings);
  trainer.setData(data, POINTS);
  trainer.setLevels(trainingLevels());
  const per = Math.min(o.stepsPerSubmit, MAX_STEPS);
  let firstLoss = NaN;
  const run = async (k: number): Promise<void> => {
    for (let done = 0; done < k;) {
      const encoder = g.device.createCommandEncoder({ label: 'bench train' });
      done += trainer.encode(encoder, Math.min(per, k - done));
      g.device.queue.submit([encoder.finish()]);
    }
    await g.device.queue.onSubmittedWorkDone();
    // The first step's loss, read after the warm-up (outside every timed block).
    if (Number.isNaN(firstLoss)) firstLoss = (await trainer.readLosses()).losses[0]!;
  };
  const timed = await time(run, o);
  const lastLoss = (await trainer.readLosses()).losses.at(-1)!;
  trainer.destroy();
  return { ...timed, firstLoss, lastLoss };
}

async function timeTf(
  spec: ArchSpec,
  batch: number,
  points: Float32Array,
  o: LearnOptions,
): Promise<TrainRow['tf']> {
  const net = new TfNet(toArch(spec), o.seed, points, trainingLevels(), o.lr);
  let firstLoss = NaN;
  let lastLoss = NaN;
  const run = async (k: number): Promise<void> => {
    const { first, last } = await net.train(k, batch);
    if (Number.isNaN(firstLoss)) firstLoss = first;
    lastLoss = last;
  };
  const timed = await time(run, o);
  net.dispose();
  return { ...timed, firstLoss, lastLoss };
}

async function timeSampling(
  g: Gpu,
  shaders: ShaderSources,
  spec: ArchSpec,
  n: number,
  o: LearnOptions,
): Promise<Timed> {
  const settings: TrainSettings = {
    arch: toArch(spec),
    batch: 1,
    lr: o.lr,
    weightDecay: 0,
    emaDecay: 0,
    maxGradNorm: 0,
    weighting: 'none',
    seed: o.seed,
  };
  const trainer = await Trainer.create(g.device, shaders, settings);
  const sim = await Simulation.create(g.device, shaders);
  sim.setParticles(n);
  sim.setData(generateDataset('gaussians8', POINTS, o.seed));
  sim.setModel({ net: trainer.net, model: trainer.ema, turns: trainer.turns });
  const run: RunSpec = {
    mode: 'reverse',
    sampler: 'ddim',
    denoiser: 'learned',
    levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, LEVELS),
    eta: 0,
    seed: o.seed,
  };
  await sim.prepare(run);
  sim.setRun(run);
  const start = g.device.createCommandEncoder({ label: 'bench reset' });
  sim.reset(start);
  g.device.queue.submit([start.finish()]);
  const per = o.stepsPerSubmit;
  const timed = await time(async (k) => {
    for (let done = 0; done < k;) {
      const encoder = g.device.createCommandEncoder({ label: 'bench sample' });
      let d = sim.encodeSteps(encoder, Math.min(per, k - done));
      // At the end of the run: from the prior again.
      if (d === 0) {
        sim.reset(encoder);
        d = sim.encodeSteps(encoder, Math.min(per, k - done));
      }
      done += d;
      g.device.queue.submit([encoder.finish()]);
    }
    await g.device.queue.onSubmittedWorkDone();
  }, o);
  sim.destroy();
  trainer.destroy();
  return timed;
}

/** Rows of (x c_in, y c_in, tau) spread over the inputs the network sees. */
function checkRows(seed: number): Float32Array {
  const rng = new Rng(seed, Stream.dataset);
  return Float32Array.from({ length: 64 * INPUTS }, (_, i) =>
    i % INPUTS === 2 ? rng.uniform() : 6 * rng.uniform() - 3,
  );
}

export function adapter({ gpu: g, userAgent }: BenchGpu): AdapterReport {
  const info = g.adapter.info;
  const cpu =
    info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(g.description);
  return { description: g.description, cpu, userAgent };
}

export async function run(bench: BenchGpu, o: LearnOptions): Promise<LearnReport> {
  const { gpu: g, shaders } = bench;
  const errors: string[] = [];
  const onError = (e: GPUUncapturedErrorEvent): void => void errors.push(e.error.message);
  g.device.addEventListener('uncapturederror', onError);
  const points = generateDataset('gaussians8', POINTS, o.seed).points;
  const data = g.device.createBuffer({
    label: 'bench points',
    size: points.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  g.device.queue.writeBuffer(data, 0, new Float32Array(points));
  const { backend, failures } = await useBackend(o.tfBackends);
  log(
    `TF.js ${tfVersion} backend ${backend ?? 'none'}${failures.length ? ` (${failures.join('; ')})` : ''}`,
  );
  const report: LearnReport = {
    adapter: adapter(bench),
    tf: { version: tfVersion, backend, failures, check: [] },
    train: [],
    sample: [],
  };
  for (const spec of o.archs) {
    const parameters = parameterCount(toArch(spec));
    if (backend) {
      const net = new TfNet(toArch(spec), o.seed, points, trainingLevels(), o.lr);
      const relError = await net.check(checkRows(o.seed), o.seed);
      net.dispose();
      report.tf.check.push({ arch: spec.name, relError });
      log(`${spec.name}: TF.js forward vs float64, relative error ${relError.toExponential(1)}`);
    }
    for (const batch of o.batches) {
      const ours = await timeOurs(g, shaders, spec, batch, data, o);
      log(`${spec.name} batch ${batch}: ours ${rate(ours)}`);
      const tf = backend ? await timeTf(spec, batch, points, o) : null;
      if (tf) log(`${spec.name} batch ${batch}: TF.js ${rate(tf)}`);
      report.train.push({ arch: spec.name, parameters, batch, ours, tf });
    }
    for (const n of o.particles) {
      const timed = await timeSampling(g, shaders, spec, n, o);
      log(`${spec.name} sampling n ${n}: ${rate(timed)}`);
      report.sample.push({ arch: spec.name, n, timed } satisfies SampleRow);
    }
  }
  data.destroy();
  g.device.removeEventListener('uncapturederror', onError);
  if (errors.length) throw new Error(`WebGPU errors: ${errors.join('; ')}`);
  return report;
}
