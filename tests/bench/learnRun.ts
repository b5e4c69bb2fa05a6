/**
 * The measurements of `npm run bench:learn`, on whatever WebGPU they are handed: in the page
 * (page.ts, in Chromium) or in Node through Dawn (learnNode.ts, for a machine with a GPU and
 * no browser). Our Trainer's optimiser steps per second against TF.js's on the same MLP and
 * batch, and the learned denoiser's reverse steps per second (run/denoise_learned, then DDIM).
 * Nothing is read back inside a timed block; each block ends when the queue has finished.
 */
import type { Gpu } from '../../src/gpu/device';
import type { ShaderSources } from '../../src/gpu/kernel';
import { generateDataset } from '../../src/maths/datasets';
import { INPUTS, MAX_STEPS, parameterCount } from '../../src/maths/learn/network';
import { Rng, Stream } from '../../src/maths/rng';
import { trainingLevels } from '../../src/maths/learn/training';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import { Trainer, type TrainSettings } from '../../src/sim/learn/trainer';
import { Simulation, type RunSpec } from '../../src/sim/run/simulation';
import { adapterReport, withGpuErrors, type BenchGpu } from './benchGpu';
import type { Timed, TimedTraining } from './benchTypes';
import { TfNet } from './learnTf';
import {
  toArch,
  type ArchSpec,
  type LearnOptions,
  type LearnReport,
  type SampleRow,
} from './learnTypes';
import { tfVersion, useBackend } from './tfjs';
import { rate, timeEncoded, timeTfTraining, timeTrainer } from './timeBlocks';

/** The data (gaussians8 points) and the sampling run's DDIM steps. */
const POINTS = 2048;
const SAMPLING_STEPS = 1000;

const log = (message: string): void => console.log(`[learn] ${message}`);

/** The training grid: 1000 levels of the cosine schedule, as the sandbox trains. */
const cosineLevels = (): Float32Array<ArrayBuffer> =>
  trainingLevels('cosine', DEFAULT_SCHEDULE_PARAMS);

async function timeOurs(
  g: Gpu,
  shaders: ShaderSources,
  spec: ArchSpec,
  batch: number,
  data: GPUBuffer,
  o: LearnOptions,
): Promise<TimedTraining> {
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
  trainer.setLevels(cosineLevels());
  const timed = await timeTrainer(g.device, trainer, { ...o, perSubmitLimit: MAX_STEPS });
  trainer.destroy();
  return timed;
}

async function timeTf(
  spec: ArchSpec,
  batch: number,
  points: Float32Array,
  o: LearnOptions,
): Promise<TimedTraining> {
  const net = new TfNet(toArch(spec), o.seed, points, cosineLevels(), o.lr);
  const timed = await timeTfTraining((k) => net.train(k, batch), o);
  net.dispose();
  return timed;
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
    levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, SAMPLING_STEPS),
    eta: 0,
    seed: o.seed,
  };
  await sim.prepare(run);
  sim.setRun(run);
  const start = g.device.createCommandEncoder({ label: 'bench reset' });
  sim.reset(start);
  g.device.queue.submit([start.finish()]);
  const timed = await timeEncoded(
    g.device,
    (encoder, k) => {
      const d = sim.encodeSteps(encoder, k);
      if (d > 0) return d;
      // At the end of the run: from the prior again.
      sim.reset(encoder);
      return sim.encodeSteps(encoder, k);
    },
    o,
  );
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

export async function run(bench: BenchGpu, o: LearnOptions): Promise<LearnReport> {
  return withGpuErrors(bench.gpu.device, () => measure(bench, o));
}

async function measure(bench: BenchGpu, o: LearnOptions): Promise<LearnReport> {
  const { gpu: g, shaders } = bench;
  const points = generateDataset('gaussians8', POINTS, o.seed).points;
  const data = g.device.createBuffer({
    label: 'bench points',
    size: points.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  g.device.queue.writeBuffer(data, 0, new Float32Array(points));
  const tf = await useBackend(o.tfBackends);
  const { backend } = tf;
  log(
    `TF.js ${tfVersion} backend ${backend ?? 'none'}${tf.failures.length ? ` (${tf.failures.join('; ')})` : ''}`,
  );
  const report: LearnReport = {
    adapter: adapterReport(bench),
    tf: { ...tf, check: [] },
    train: [],
    sample: [],
  };
  for (const spec of o.archs) {
    const parameters = parameterCount(toArch(spec));
    if (backend) {
      const net = new TfNet(toArch(spec), o.seed, points, cosineLevels(), o.lr);
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
  return report;
}
