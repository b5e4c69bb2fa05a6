/**
 * What the benchmark measures: each kernel alone (createKernel/bindKernel, one step-table slot,
 * one dispatch per step) and whole reverse steps as users run them (the real Simulation), each
 * with its float64 CPU reference (src/maths) doing the same step.
 */
import { createBuffer } from '../../src/gpu/buffers';
import {
  bindKernel,
  createKernel,
  kernelSource,
  workgroups,
  type Kernel,
  type ShaderSources,
} from '../../src/gpu/kernel';
import { generateDataset, type Dataset, type Mixture } from '../../src/maths/datasets';
import { denoiseEmpirical, denoiseMixture } from '../../src/maths/denoisers';
import { Rng } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels, type Level } from '../../src/maths/schedules';
import * as ref from '../../src/maths/steps';
import { packMixture } from '../../src/sim/run/mixture';
import { Simulation, type RunSpec } from '../../src/sim/run/simulation';
import { StepWriter, stepParams, type RunConstants } from '../../src/sim/run/stepTable';
import type { DenoiserId, SamplerId } from '../../src/settings/settings';
import { imageBenchCases } from './imageDenoisers';
import type { Workload } from './timer';

const SEED = 1;
const ETA = 0;
/** The app's default schedule; single kernels take the step from t = 0.5 to t = 0.49. */
const LEVELS = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, 100);
const LEVEL_T = LEVELS[50]!;
const LEVEL_S = LEVELS[51]!;

export interface BenchCase {
  /** Row label: a kernel, or 'step <sampler> + <denoiser>'. */
  name: string;
  /** Stored data points of the empirical denoiser, else null. */
  m: number | null;
  /** Mixture components of the exact denoiser, else null. */
  k: number | null;
  /** Denoiser evaluations per step (pair evaluations per step are n * m * this). */
  denoises: number;
  /** Particle counts to time, instead of the bench's (image cases: batches of images). */
  sizes?: readonly number[];
  /** Cost of one pair in point-cloud pairs, to scale the CPU reference's work (images: d / 2). */
  pairCost?: number;
  gpu(ctx: GpuContext, n: number): Promise<Workload>;
  /** A closure that runs one step over n particles on the CPU in float64. */
  cpu(n: number): () => void;
}

/** The device, the shader sources and compiled kernels, shared by every case. */
export class GpuContext {
  private readonly kernels = new Map<string, Promise<Kernel>>();

  constructor(
    readonly device: GPUDevice,
    readonly sources: ShaderSources,
  ) {}

  kernel(name: string): Promise<Kernel> {
    let k = this.kernels.get(name);
    if (!k) {
      k = createKernel(this.device, {
        label: name,
        code: kernelSource(this.sources, `run/${name}`),
        dynamic: ['step'],
      });
      this.kernels.set(name, k);
    }
    return k;
  }

  async settle(encoder: GPUCommandEncoder): Promise<void> {
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
  }
}

const datasets = new Map<string, Dataset>();

function dataset(id: 'gaussians8' | 'gaussians25', m: number): Dataset {
  const key = `${id}/${m}`;
  let d = datasets.get(key);
  if (!d) {
    d = generateDataset(id, m, SEED);
    datasets.set(key, d);
  }
  return d;
}

function constants(n: number, data: Dataset): RunConstants {
  return {
    eta: ETA,
    n,
    m: data.points.length / 2,
    k: data.mixture?.components.length ?? 0,
    seed: SEED,
  };
}

/** The one step a single-kernel case repeats; forward_step goes the other way, t to s > t. */
function kernelStep(name: string, c: RunConstants): ref.StepParams {
  return name === 'forward_step'
    ? stepParams(LEVEL_S, LEVEL_T, LEVEL_S, 50, c)
    : stepParams(LEVEL_T, LEVEL_S, LEVEL_T, 50, c);
}

/** One kernel over n particles, its input particles drawn by the prior kernel. */
async function kernelWorkload(
  ctx: GpuContext,
  name: string,
  n: number,
  data: Dataset,
): Promise<Workload> {
  const { device } = ctx;
  const [kernel, prior] = await Promise.all([ctx.kernel(name), ctx.kernel('prior')]);
  const struct = kernel.definitions.structs.Step;
  if (!struct) throw new Error(`${name}: no Step struct`);
  const writer = new StepWriter(struct, struct.size);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers = {
    step: createBuffer(device, {
      label: 'step',
      size: 0,
      usage: GPUBufferUsage.UNIFORM,
      data: new Uint8Array(writer.pack([kernelStep(name, constants(n, data))])),
    }),
    x: createBuffer(device, { label: 'x', size: 8 * n, usage }),
    x0hat: createBuffer(device, { label: 'x0hat', size: 8 * n, usage }),
    energy: createBuffer(device, { label: 'energy', size: 4 * n, usage }),
    history: createBuffer(device, { label: 'history', size: 16 * n, usage }),
    data: createBuffer(device, { label: 'data', size: 0, usage, data: data.points }),
    mixture: createBuffer(device, {
      label: 'mixture',
      size: 0,
      usage,
      data: packMixture(data.mixture),
    }),
  };
  const resources = { ...buffers, step: { buffer: buffers.step, size: struct.size } };
  const group = bindKernel(device, kernel, resources);
  const [gx, gy] = workgroups(
    n,
    kernel.workgroupSize,
    device.limits.maxComputeWorkgroupsPerDimension,
  );
  const init = device.createCommandEncoder({ label: 'bench init' });
  const pass = init.beginComputePass({ label: 'prior' });
  pass.setPipeline(prior.pipeline);
  pass.setBindGroup(0, bindKernel(device, prior, resources), [0]);
  pass.dispatchWorkgroups(gx, gy);
  pass.end();
  await ctx.settle(init);
  return {
    prepare: () => undefined,
    encode(encoder, steps) {
      const p = encoder.beginComputePass({ label: name });
      p.setPipeline(kernel.pipeline);
      p.setBindGroup(0, group, [0]);
      for (let s = 0; s < steps; s++) p.dispatchWorkgroups(gx, gy);
      p.end();
    },
    destroy() {
      for (const b of Object.values(buffers)) b.destroy();
    },
  };
}

/** Whole reverse steps through the real Simulation, as the app records them each frame. */
async function stepWorkload(
  ctx: GpuContext,
  sampler: SamplerId,
  denoiser: DenoiserId,
  n: number,
  data: Dataset,
): Promise<Workload> {
  const sim = await Simulation.create(ctx.device, ctx.sources);
  sim.setParticles(n);
  sim.setData(data);
  // Runs longer than the batch, so that no batch holds the shorter last step (to sigma = 0).
  const spec = (steps: number): RunSpec => ({
    mode: 'reverse',
    sampler,
    denoiser,
    levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, Math.max(steps + 1, 100)),
    eta: ETA,
    seed: SEED,
  });
  const run = (steps: number): void => sim.setRun(spec(steps));
  // Every run of the bench dispatches the same kernels (at least 100 levels each).
  await sim.prepare(spec(1));
  run(1);
  const init = ctx.device.createCommandEncoder({ label: 'bench init' });
  sim.reset(init);
  await ctx.settle(init);
  return {
    prepare: run,
    encode(encoder, steps) {
      const done = sim.encodeSteps(encoder, steps);
      if (done !== steps) throw new Error(`recorded ${done} of ${steps} steps`);
    },
    destroy() {
      sim.destroy();
    },
  };
}

/** Particles for the CPU references: N(0, sigma_t^2) as the prior draws them, seeded. */
function cpuParticles(n: number, level: Level): ref.CpuState {
  const st = ref.cpuState(n);
  const rng = new Rng(SEED, 101);
  for (let i = 0; i < 2 * n; i++) {
    st.x[i] = level.sigma * rng.normal();
    st.x0hat[i] = 0.5 * rng.normal();
  }
  return st;
}

type Denoise = (x: Float64Array, alpha: number, sigma: number) => Float64Array;

function cpuDenoiser(data: Dataset, exact: boolean): Denoise {
  if (exact) {
    const mixture: Mixture | null = data.mixture;
    if (!mixture) throw new Error(`${data.id} has no mixture`);
    return (x, alpha, sigma) => denoiseMixture(x, mixture, alpha, sigma).x0hat;
  }
  return (x, alpha, sigma) => denoiseEmpirical(x, data.points, alpha, sigma).x0hat;
}

function mixtureCase(id: 'gaussians8' | 'gaussians25'): BenchCase {
  const data = dataset(id, 1000);
  return {
    name: 'denoise_mixture',
    m: null,
    k: data.mixture?.components.length ?? 0,
    denoises: 1,
    gpu: (ctx, n) => kernelWorkload(ctx, 'denoise_mixture', n, data),
    cpu(n) {
      const st = cpuParticles(n, LEVEL_T);
      const denoise = cpuDenoiser(data, true);
      return () => void denoise(st.x, LEVEL_T.alpha, LEVEL_T.sigma);
    },
  };
}

function empiricalCase(m: number): BenchCase {
  const data = dataset('gaussians8', m);
  return {
    name: 'denoise_empirical',
    m,
    k: null,
    denoises: 1,
    gpu: (ctx, n) => kernelWorkload(ctx, 'denoise_empirical', n, data),
    cpu(n) {
      const st = cpuParticles(n, LEVEL_T);
      const denoise = cpuDenoiser(data, false);
      return () => void denoise(st.x, LEVEL_T.alpha, LEVEL_T.sigma);
    },
  };
}

const SAMPLER_REFS = {
  ddim: ref.ddim,
  ddpm: ref.ddpm,
  euler: ref.euler,
  forward_step: ref.forwardStep,
} as const;

function samplerCase(name: keyof typeof SAMPLER_REFS): BenchCase {
  const data = dataset('gaussians8', 1000);
  return {
    name,
    m: null,
    k: null,
    denoises: 0,
    gpu: (ctx, n) => kernelWorkload(ctx, name, n, data),
    cpu(n) {
      const st = cpuParticles(n, LEVEL_T);
      const p = kernelStep(name, constants(n, data));
      const step = SAMPLER_REFS[name];
      return () => step(st, p);
    },
  };
}

/** A whole reverse step: the denoiser, then the sampler (Heun: twice, predict and correct). */
function stepCase(sampler: 'ddim' | 'heun', denoiser: DenoiserId, m: number): BenchCase {
  const data = dataset('gaussians8', m);
  const exact = denoiser === 'exact';
  const denoises = sampler === 'heun' ? 2 : 1;
  return {
    name: `step ${sampler} + ${denoiser}`,
    m: exact ? null : m,
    k: exact ? (data.mixture?.components.length ?? 0) : null,
    denoises,
    gpu: (ctx, n) => stepWorkload(ctx, sampler, denoiser, n, data),
    cpu(n) {
      const st = cpuParticles(n, LEVEL_T);
      const c = constants(n, data);
      const atT = stepParams(LEVEL_T, LEVEL_S, LEVEL_T, 50, c);
      const atS = stepParams(LEVEL_T, LEVEL_S, LEVEL_S, 50, c);
      const denoise = cpuDenoiser(data, exact);
      if (sampler === 'ddim')
        return () => {
          st.x0hat.set(denoise(st.x, atT.alpha, atT.sigma));
          ref.ddim(st, atT);
        };
      return () => {
        st.x0hat.set(denoise(st.x, atT.alpha, atT.sigma));
        ref.heunPredict(st, atT);
        st.x0hat.set(denoise(st.x, atS.alpha, atS.sigma));
        ref.heunCorrect(st, atS);
      };
    },
  };
}

/**
 * Every case, in table order; `ms` are the empirical denoiser's data sizes, `imageM` the image
 * cases' training images and `imageSizes` their batches.
 */
export function benchCases(
  ms: readonly number[],
  stepM: number,
  imageM = 10_000,
  imageSizes?: readonly number[],
): BenchCase[] {
  return [
    mixtureCase('gaussians8'),
    mixtureCase('gaussians25'),
    ...ms.map(empiricalCase),
    samplerCase('ddim'),
    samplerCase('ddpm'),
    samplerCase('euler'),
    samplerCase('forward_step'),
    stepCase('ddim', 'exact', stepM),
    stepCase('ddim', 'empirical', stepM),
    stepCase('heun', 'exact', stepM),
    stepCase('heun', 'empirical', stepM),
    ...imageBenchCases(imageM, imageSizes),
  ];
}
