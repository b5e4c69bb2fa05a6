/**
 * A run on the GPU: the buffers it owns, the kernels of its plan, and where it is. The frame path
 * (`encodeSteps`) only records dispatches: it never reads the GPU back and never allocates.
 */
import { createBuffer, readback } from '../../gpu/buffers';
import {
  bindKernel,
  createKernel,
  kernelSource,
  workgroups,
  type Kernel,
  type ShaderSources,
} from '../../gpu/kernel';
import { structOf } from '../../gpu/wgslIncludes';
import { datasetDim, datasetSize, type Dataset, type Mixture } from '../../maths/datasets';
import { fitGaussianModel, packGaussianModel } from '../../maths/gaussianModel';
import { moments } from '../../maths/stats';
import {
  IMAGE_KERNELS,
  IMAGE_WORKGROUP_SIZE,
  imageWorkgroups,
  type ImageKernelId,
} from './imageKernels';
import type { Level } from '../../maths/schedules';
import type { RunSpec } from '../../settings/runSpec';
import {
  correctorSlot,
  cumulativeNfe,
  langevinInitSlot,
  langevinSlot,
  perturbs,
  runPlan,
  scrubSlot,
  stepSlot,
  type KernelName,
  type Pass,
} from './plan';
import { langevinTable, stepParams, stepTable, StepWriter, type RunConstants } from './stepTable';

const KERNEL_FILES = {
  prior: 'run/prior',
  forward_jump: 'run/forward_jump',
  forward_step: 'run/forward_step',
  denoise_mixture: 'run/denoise_mixture',
  // The same kernel bound to the one-Gaussian model of the points (denoiser 'gaussian').
  denoise_gaussian: 'run/denoise_mixture',
  denoise_empirical: 'run/denoise_empirical',
  ddpm: 'run/ddpm',
  ddim: 'run/ddim',
  euler: 'run/euler',
  heun_predict: 'run/heun_predict',
  heun_correct: 'run/heun_correct',
  em: 'run/em',
  dpmpp2m: 'run/dpmpp2m',
  perturb: 'run/perturb',
  langevin_init: 'run/langevin_init',
  ula: 'run/ula',
  mala_propose: 'run/mala_propose',
  mala_accept: 'run/mala_accept',
  baoab_baoa: 'run/baoab_baoa',
  baoab_b: 'run/baoab_b',
  denoise_image_empirical: IMAGE_KERNELS.empirical,
  denoise_image_gaussian: IMAGE_KERNELS.gaussian,
  image_nearest: IMAGE_KERNELS.nearest,
} as const;
type KernelId = keyof typeof KERNEL_FILES;
type PointKernelId = Exclude<
  KernelId,
  'denoise_image_empirical' | 'denoise_image_gaussian' | 'image_nearest'
>;

/** The image kernels, dispatched by their own tiling (src/sim/run/imageKernels.ts). */
const IMAGE_KERNEL_OF: Partial<Record<KernelId, ImageKernelId>> = {
  denoise_image_empirical: 'empirical',
  denoise_image_gaussian: 'gaussian',
  image_nearest: 'nearest',
};

async function compile(
  device: GPUDevice,
  sources: ShaderSources,
  id: KernelId,
  workgroupSize = 64,
): Promise<Kernel> {
  return createKernel(device, {
    label: id,
    code: kernelSource(sources, KERNEL_FILES[id]),
    dynamic: ['step'],
    workgroupSize: IMAGE_KERNEL_OF[id] ? IMAGE_WORKGROUP_SIZE : workgroupSize,
  });
}

/** Rank of the Gaussian model of images (denoiser 'gaussian'): its top principal directions. */
export const IMAGE_GAUSSIAN_RANK = 64;

/** Floats per mixture component: struct Component of shaders/lib/mixture.wgsl (a unit test checks). */
const COMPONENT_FLOATS = 8;

/** Descriptors of the frame path, made once. */
const STEPS_PASS: GPUComputePassDescriptor = { label: 'steps' };
const RESET_PASS: GPUComputePassDescriptor = { label: 'reset' };
const SCRUB_PASS: GPUComputePassDescriptor = { label: 'scrub' };
const NEAREST_PASS: GPUComputePassDescriptor = { label: 'nearest' };
const MEASURE_PASS: GPUComputePassDescriptor = { label: 'measure denoiser' };

/** The kernels a measurement runs on its own outputs (see measureDenoiser). */
const MEASURED: ReadonlySet<KernelId> = new Set([
  'denoise_mixture',
  'denoise_gaussian',
  'denoise_empirical',
  'denoise_image_empirical',
  'denoise_image_gaussian',
  'perturb',
  'image_nearest',
]);

export type { RunSpec } from '../../settings/runSpec';

export interface RunStatus {
  t: number;
  step: number;
  steps: number;
  nfe: number;
}

export function packMixture(mixture: Mixture | null): Float32Array<ArrayBuffer> {
  const components = mixture?.components ?? [];
  const out = new Float32Array(Math.max(1, components.length) * COMPONENT_FLOATS);
  components.forEach((c, k) => {
    out.set(
      [c.mean[0], c.mean[1], Math.log(c.weight), 0, c.cov[0], c.cov[1], c.cov[2], 0],
      k * COMPONENT_FLOATS,
    );
  });
  return out;
}

/** The one-Gaussian model of a point cloud (denoiser 'gaussian' on points): its mean and covariance. */
export function gaussianOfPoints(points: Float32Array): Mixture {
  const m = moments(points);
  return { components: [{ weight: 1, mean: m.mean, cov: m.cov }] };
}

/** Kernels that run once per particle; every other kernel runs once per vec2 lane. */
const PER_PARTICLE: ReadonlySet<KernelId> = new Set([
  'denoise_mixture',
  'denoise_gaussian',
  'denoise_empirical',
  'mala_accept',
]);

export class Simulation {
  /**
   * Particle positions, `dim` floats each (x and y interleaved for points, pixels for images):
   * what three.js draws.
   */
  x!: GPUBuffer;
  x0hat!: GPUBuffer;
  energy!: GPUBuffer;
  /**
   * What a measurement reads (measureDenoiser): the run's denoiser evaluated at the particles as
   * they are, at the level status() reports. x0hat and energy above are the sampler's own: the
   * last evaluation of a step, at the level the particles have left.
   */
  measuredX0hat!: GPUBuffer;
  measuredEnergy!: GPUBuffer;
  aux!: GPUBuffer;
  data!: GPUBuffer;
  mixture!: GPUBuffer;
  /** The one-Gaussian model of the stored points (denoiser 'gaussian'), as a 1-component mixture. */
  gaussian!: GPUBuffer;
  /**
   * Images: the Gaussian model of the training images (src/maths/gaussianModel.ts layout), fitted
   * when a run first asks for it, and each particle's nearest training images (measureNearest).
   */
  gauss: GPUBuffer | null = null;
  nearest!: GPUBuffer;
  /** Velocities, array<vec2f>: zero unless the run is underdamped Langevin. */
  v!: GPUBuffer;
  /** array<f32>: 1 if the particle's last MALA proposal was accepted, else 0. */
  accept!: GPUBuffer;
  /** array<f32>: heat released to the bath per particle since reset, in units of T. */
  heat!: GPUBuffer;
  /** The Langevin kernels' per-particle state (struct Held in shaders/lib/held.wgsl). */
  private held!: GPUBuffer;
  table: GPUBuffer | null = null;

  n = 0;
  /** The rank of the images' Gaussian model, once fitted. */
  private rank = 0;
  /** Coordinates per particle: 2 for point clouds, d for images (from the dataset). */
  dim = 2;
  private dataset: Dataset | null = null;
  private spec: RunSpec | null = null;
  private plan: Pass[][] = [];
  /** Denoiser evaluations after each number of steps. */
  private nfe: Uint32Array = new Uint32Array(1);
  private stepIndex = 0;
  private scrubT: number | null = null;
  private readonly writer: StepWriter;
  private readonly groups = new Map<KernelId, GPUBindGroup>();
  /** The same kernels bound to the measurement's outputs (MEASURED only). */
  private readonly measureGroups = new Map<KernelId, GPUBindGroup>();
  /** The level of the last scrub (forward mode), while the particles sit there. */
  private scrubLevel: Level | null = null;
  private readonly offsets = new Uint32Array(1);
  private readonly maxPerDimension: number;

  private constructor(
    readonly device: GPUDevice,
    private readonly kernels: Partial<Record<KernelId, Kernel>> & Record<PointKernelId, Kernel>,
    private readonly sources: ShaderSources,
  ) {
    const struct = kernels.prior.definitions.structs.Step;
    if (!struct) throw new Error('no Step struct in the kernels');
    const align = device.limits.minUniformBufferOffsetAlignment;
    this.writer = new StepWriter(struct, Math.ceil(struct.size / align) * align);
    this.maxPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** Compiles every kernel. */
  /** Compiles the point-cloud kernels (the image kernels wait for enableImages). */
  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    workgroupSize = 64,
  ): Promise<Simulation> {
    const ids = (Object.keys(KERNEL_FILES) as KernelId[]).filter((id) => !IMAGE_KERNEL_OF[id]);
    const entries = await Promise.all(
      ids.map(async (id) => [id, await compile(device, sources, id, workgroupSize)] as const),
    );
    return new Simulation(
      device,
      Object.fromEntries(entries) as Record<PointKernelId, Kernel>,
      sources,
    );
  }

  /**
   * Compiles the image denoisers and the nearest-image search, once: call before the first
   * image dataset (they are large kernels, and point clouds never need them).
   */
  async enableImages(): Promise<void> {
    const ids = (Object.keys(IMAGE_KERNEL_OF) as KernelId[]).filter((id) => !this.kernels[id]);
    const compiled = await Promise.all(
      ids.map(async (id) => [id, await compile(this.device, this.sources, id)] as const),
    );
    for (const [id, kernel] of compiled) this.kernels[id] = kernel;
    if (compiled.length) this.rebind();
  }

  /**
   * (Re)allocates the particle buffers for n particles of the dataset's dimension: x, x0_hat and
   * v hold dim floats per particle; energy and accept one per particle; aux, heat and the held
   * state one entry per vec2 lane (dim / 2 per particle).
   */
  setParticles(n: number): void {
    for (const b of [
      this.x,
      this.x0hat,
      this.energy,
      this.measuredX0hat,
      this.measuredEnergy,
      this.aux,
      this.v,
      this.accept,
      this.heat,
      this.held,
      this.nearest,
    ])
      b?.destroy();
    const d = this.device;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const lanes = (n * this.dim) / 2;
    this.x = createBuffer(d, { label: 'x', size: 8 * lanes, usage: usage | GPUBufferUsage.VERTEX });
    this.x0hat = createBuffer(d, { label: 'x0hat', size: 8 * lanes, usage });
    this.energy = createBuffer(d, { label: 'energy', size: 4 * n, usage });
    this.measuredX0hat = createBuffer(d, { label: 'measured x0hat', size: 8 * lanes, usage });
    this.measuredEnergy = createBuffer(d, { label: 'measured energy', size: 4 * n, usage });
    this.aux = createBuffer(d, { label: 'aux', size: 16 * lanes, usage });
    this.v = createBuffer(d, { label: 'v', size: 8 * lanes, usage });
    this.accept = createBuffer(d, { label: 'accept', size: 4 * n, usage });
    this.heat = createBuffer(d, { label: 'heat', size: 4 * lanes, usage });
    const held = this.kernels.ula.definitions.structs.Held!.size;
    const nearest = structOf(this.sources, 'lib/nearest.wgsl', 'Nearest').size;
    this.held = createBuffer(d, { label: 'held', size: held * lanes, usage });
    this.nearest = createBuffer(d, { label: 'nearest', size: nearest * n, usage });
    this.n = n;
    this.rebind();
  }

  /**
   * Uploads a dataset: its stored points and, for mixtures, the exact parameters. A dataset of
   * another dimension reallocates the particles (same n).
   */
  setData(dataset: Dataset): void {
    this.data?.destroy();
    this.mixture?.destroy();
    this.gaussian?.destroy();
    this.gauss?.destroy();
    this.gauss = null;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.data = createBuffer(this.device, {
      label: 'data',
      size: dataset.points.byteLength,
      usage: usage | GPUBufferUsage.VERTEX,
      data: dataset.points,
    });
    this.mixture = createBuffer(this.device, {
      label: 'mixture',
      size: 0,
      usage,
      data: packMixture(dataset.mixture),
    });
    const dim = datasetDim(dataset);
    this.gaussian = createBuffer(this.device, {
      label: 'gaussian',
      size: 0,
      usage,
      data: packMixture(dim === 2 ? gaussianOfPoints(dataset.points) : null),
    });
    this.dataset = dataset;
    if (dim !== this.dim) {
      this.dim = dim;
      if (this.n) this.setParticles(this.n);
    }
    this.rebind();
  }

  /** Sets the run (levels, sampler, denoiser...) and uploads its step table. Call reset() next. */
  setRun(spec: RunSpec): void {
    if (!this.dataset || !this.n) throw new Error('setParticles and setData come before setRun');
    if (spec.levels.length < 2) throw new Error('a run needs at least one step');
    if (spec.mode === 'langevin' && !spec.langevin)
      throw new Error('a Langevin run needs langevin');
    if (spec.denoiser === 'gaussian' && this.dim > 2 && !this.gauss) this.fitGaussian(spec.seed);
    const constants = this.constants(spec);
    const bytes = this.writer.pack(
      spec.mode === 'langevin' && spec.langevin
        ? langevinTable(spec.levels, constants, spec.langevin)
        : stepTable(spec.levels, constants),
    );
    if (!this.table || this.table.size < bytes.byteLength) {
      this.table?.destroy();
      this.table = createBuffer(this.device, {
        label: 'steps',
        size: bytes.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.rebind();
    }
    this.device.queue.writeBuffer(this.table, 0, bytes);
    this.spec = spec;
    this.plan = runPlan(
      spec.mode,
      spec.sampler,
      spec.levels,
      spec.error,
      spec.mode === 'langevin' ? spec.langevin : undefined,
    );
    this.nfe = cumulativeNfe(this.plan);
    this.stepIndex = 0;
    this.scrubT = null;
    this.scrubLevel = null;
  }

  /**
   * The slot of the step table whose denoiser evaluation is at the level status() reports, and
   * that level: the next step's first evaluation (its slot holds the level it starts from); at
   * the end, the last step's corrector slot (its level is the last); after a scrub, the scrub
   * slot. Langevin at one energy (ula, mala, underdamped) and annealed: the slot of the current
   * (at the end, the last) step; pc: its predictor's, as for a reverse run.
   */
  private measuredSlot(): { slot: number; level: Level } {
    const spec = this.requireSpec();
    const steps = this.plan.length;
    const k = this.stepIndex;
    if (this.scrubT !== null && this.scrubLevel)
      return { slot: scrubSlot(steps), level: this.scrubLevel };
    const at = (i: number): Level => spec.levels[i]!;
    if (spec.mode === 'langevin' && spec.langevin?.kind !== 'pc') {
      const i = Math.min(k, steps - 1);
      return { slot: langevinSlot(i, 0), level: at(i) };
    }
    if (spec.mode === 'langevin')
      return k < steps
        ? { slot: langevinSlot(k, 0), level: at(k) }
        : { slot: langevinSlot(steps - 1, 1), level: at(steps) };
    return k < steps
      ? { slot: stepSlot(k), level: at(k) }
      : { slot: correctorSlot(steps - 1), level: at(steps) };
  }

  /**
   * Evaluates the run's denoiser (with its score error, as the run's own evaluations carry it)
   * at the particles as they are and the level status() reports, into measuredX0hat and
   * measuredEnergy: a measurement, off the frame path and not counted in NFE; it leaves the
   * sampler's state alone. It is what the next step's first evaluation will compute, bit for bit.
   *
   * At sigma = 0 the particles are the data's own variable: x0_hat = x, copied, and U = -log p
   * of the data where that is a density (a mixture, or the Gaussian model of points). The stored
   * points of the empirical and smoothed denoisers, and images, have none: returns false then
   * (no energy measured), true when measuredEnergy holds U.
   */
  measureDenoiser(encoder: GPUCommandEncoder): boolean {
    const spec = this.requireSpec();
    const { slot, level } = this.measuredSlot();
    const kernel = this.kernelOf('denoise', spec);
    const density = kernel === 'denoise_mixture' || kernel === 'denoise_gaussian';
    const clean = level.sigma === 0;
    if (!clean || density) {
      const pass = encoder.beginComputePass(MEASURE_PASS);
      this.dispatch(pass, kernel, slot, true);
      if (!clean && spec.mode !== 'forward' && perturbs(spec.error))
        this.dispatch(pass, 'perturb', slot, true);
      pass.end();
    }
    if (clean) encoder.copyBufferToBuffer(this.x, 0, this.measuredX0hat, 0, this.x.size);
    return !clean || density;
  }

  /**
   * Records the nearest and second-nearest training image of each particle's x0_hat, measured
   * now (measureDenoiser), into `nearest` (images only; a measurement, not part of a step).
   */
  measureNearest(encoder: GPUCommandEncoder): void {
    if (this.dim === 2 || !this.spec) return;
    this.measureDenoiser(encoder);
    const pass = encoder.beginComputePass(NEAREST_PASS);
    this.dispatch(pass, 'image_nearest', 0, true);
    pass.end();
  }

  get steps(): number {
    return this.plan.length;
  }

  get done(): boolean {
    return this.stepIndex >= this.plan.length;
  }

  /** Stored data points (images) and mixture components of the dataset. */
  get dataPoints(): number {
    return this.dataset ? datasetSize(this.dataset) : 0;
  }

  get components(): number {
    return this.dataset?.mixture?.components.length ?? 0;
  }

  /** The level of status().t, from the run's own table (no allocation); null before a run. */
  level(): Level | null {
    const levels = this.spec?.levels;
    if (!levels) return null;
    const annealed = this.spec?.mode === 'langevin' && this.spec.langevin?.kind === 'annealed';
    const at = annealed ? Math.min(this.stepIndex, this.plan.length - 1) : this.stepIndex;
    return levels[Math.min(at, levels.length - 1)] ?? null;
  }

  /**
   * Where the run is. t is the level the particles are at; in Langevin mode the level of the
   * energy being sampled (annealed: the level of the current or, at the end, the last step).
   */
  status(): RunStatus {
    const levels = this.spec?.levels;
    const annealed = this.spec?.mode === 'langevin' && this.spec.langevin?.kind === 'annealed';
    const at = annealed ? Math.min(this.stepIndex, this.plan.length - 1) : this.stepIndex;
    const t = this.scrubT ?? levels?.[at]?.t ?? 0;
    return {
      t,
      step: this.stepIndex,
      steps: this.plan.length,
      nfe: this.nfe[this.stepIndex] ?? 0,
    };
  }

  /**
   * Back to the start: fresh prior noise (reverse), the data itself (forward, t = 0), or in
   * Langevin mode N(0, I) (annealed, pc: the first level's prior), velocities N(0, T I)
   * (underdamped) and the heat, acceptance and held state cleared.
   */
  reset(encoder: GPUCommandEncoder): void {
    const spec = this.requireSpec();
    this.stepIndex = 0;
    this.scrubT = null;
    this.scrubLevel = null;
    const pass = encoder.beginComputePass(RESET_PASS);
    if (spec.mode === 'langevin') {
      const slot = langevinInitSlot(this.plan.length);
      this.dispatch(pass, 'prior', slot);
      this.dispatch(pass, 'langevin_init', slot);
    } else {
      this.dispatch(pass, spec.mode === 'reverse' ? 'prior' : 'forward_jump', 0);
    }
    pass.end();
  }

  /** Records up to k steps; returns how many were recorded. */
  encodeSteps(encoder: GPUCommandEncoder, k: number): number {
    const spec = this.requireSpec();
    let done = 0;
    if (k <= 0 || this.done) return 0;
    const pass = encoder.beginComputePass(STEPS_PASS);
    while (done < k && !this.done) {
      if (this.scrubT !== null) {
        this.dispatch(pass, 'forward_step', scrubSlot(this.plan.length));
        this.scrubT = null;
        this.scrubLevel = null;
      } else {
        for (const p of this.plan[this.stepIndex]!)
          this.dispatch(pass, this.kernelOf(p.kernel, spec), p.slot);
      }
      this.stepIndex++;
      done++;
    }
    pass.end();
    return done;
  }

  /**
   * Forward mode: jumps every particle to x_t = alpha_t x0 + sigma_t eps at any t in [0, 1]. The
   * next step then runs the forward SDE from t to the next level of the grid.
   */
  scrub(encoder: GPUCommandEncoder, level: Level): void {
    const spec = this.requireSpec();
    if (spec.mode !== 'forward') throw new Error('scrubbing t is for the forward process');
    const levels = spec.levels;
    const next = levels.findIndex((l) => l.t > level.t);
    const pass = encoder.beginComputePass(SCRUB_PASS);
    const slot = scrubSlot(this.plan.length);
    const to = levels[next < 0 ? levels.length - 1 : next]!;
    const bytes = new ArrayBuffer(this.writer.stride);
    this.writer.write(
      new DataView(bytes),
      0,
      stepParams(level, to, level, 0x80000000 + next, this.constants(spec)),
    );
    this.device.queue.writeBuffer(this.table!, slot * this.writer.stride, bytes);
    this.dispatch(pass, 'forward_jump', slot);
    pass.end();
    this.scrubT = level.t;
    this.scrubLevel = level;
    // At or past the last level there is nothing left to step; otherwise the next step goes from
    // t to level `next` through the scrub slot, then on along the grid.
    this.stepIndex = next < 0 ? this.plan.length : next - 1;
  }

  /** Particle positions, dim floats each (a readback: not for the frame path). */
  async positions(): Promise<Float32Array> {
    return new Float32Array(await readback(this.device, this.x, 4 * this.dim * this.n));
  }

  /** Velocities, dim floats each (a readback: not for the frame path). */
  async velocities(): Promise<Float32Array> {
    return new Float32Array(await readback(this.device, this.v, 4 * this.dim * this.n));
  }

  async readBuffer(
    name: 'x0hat' | 'energy' | 'data' | 'aux' | 'v' | 'accept' | 'heat',
  ): Promise<Float32Array> {
    const buffer = this[name];
    const size = name === 'data' ? this.dataset!.points.byteLength : buffer.size;
    return new Float32Array(await readback(this.device, buffer, size));
  }

  destroy(): void {
    for (const b of [
      this.x,
      this.x0hat,
      this.energy,
      this.measuredX0hat,
      this.measuredEnergy,
      this.aux,
      this.v,
      this.accept,
      this.heat,
      this.held,
      this.data,
      this.mixture,
      this.gaussian,
      this.gauss,
      this.nearest,
      this.table,
    ])
      b?.destroy();
  }

  /** Fits the Gaussian model of the training images and uploads it (seconds for MNIST). */
  private fitGaussian(seed: number): void {
    const data = this.dataset!.points;
    const rank = Math.min(IMAGE_GAUSSIAN_RANK, this.dim - 1, datasetSize(this.dataset!) - 1);
    const model = fitGaussianModel(data, this.dim, Math.max(0, rank), seed);
    this.gauss = createBuffer(this.device, {
      label: 'gauss',
      size: 0,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      data: packGaussianModel(model),
    });
    this.rank = model.lambda.length;
    this.rebind();
  }

  private constants(spec: RunSpec): RunConstants {
    const gaussian = spec.denoiser === 'gaussian' && this.dim === 2;
    return {
      eta: spec.eta,
      n: this.n,
      m: datasetSize(this.dataset!),
      k: gaussian ? 1 : (this.dataset!.mixture?.components.length ?? 0),
      seed: spec.seed,
      error: spec.error,
      dim: this.dim,
      smoothing: spec.denoiser === 'smoothed' ? (spec.smoothing?.std ?? 0) : 0,
      draws: spec.denoiser === 'smoothed' ? (spec.smoothing?.draws ?? 1) : 1,
      rank: this.rank,
    };
  }

  /** Monte Carlo draws per denoiser evaluation of the run (1 unless smoothed). */
  private get draws(): number {
    return this.spec?.denoiser === 'smoothed' ? (this.spec.smoothing?.draws ?? 1) : 1;
  }

  private requireSpec(): RunSpec {
    if (!this.spec) throw new Error('no run: call setRun first');
    return this.spec;
  }

  private kernelOf(name: KernelName, spec: RunSpec): KernelId {
    if (name !== 'denoise') return name;
    if (this.dim > 2)
      return spec.denoiser === 'gaussian' ? 'denoise_image_gaussian' : 'denoise_image_empirical';
    if (spec.denoiser === 'gaussian') return 'denoise_gaussian';
    return spec.denoiser === 'exact' && this.dataset?.mixture
      ? 'denoise_mixture'
      : 'denoise_empirical';
  }

  /** One kernel over the particles at a slot; `measured`: bound to the measurement's outputs. */
  private dispatch(
    pass: GPUComputePassEncoder,
    id: KernelId,
    slot: number,
    measured = false,
  ): void {
    const kernel = this.kernels[id];
    const group = (measured ? this.measureGroups : this.groups).get(id);
    if (!kernel) throw new Error(`${id} is not compiled: enableImages() first`);
    if (!group) throw new Error(`${id} is not bound`);
    this.offsets[0] = slot * this.writer.stride;
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group, this.offsets, 0, 1);
    const image = IMAGE_KERNEL_OF[id];
    if (image) {
      pass.dispatchWorkgroups(imageWorkgroups(image, this.n, this.draws));
      return;
    }
    const count = PER_PARTICLE.has(id) ? this.n : (this.n * this.dim) / 2;
    const [x, y] = workgroups(count, kernel.workgroupSize, this.maxPerDimension);
    pass.dispatchWorkgroups(x, y);
  }

  private rebind(): void {
    this.groups.clear();
    this.measureGroups.clear();
    if (!this.x || !this.data || !this.table) return;
    const resources = {
      step: { buffer: this.table, size: this.writer.struct.size },
      x: this.x,
      x0hat: this.x0hat,
      energy: this.energy,
      aux: this.aux,
      data: this.data,
      mixture: this.mixture,
      v: this.v,
      accept: this.accept,
      heat: this.heat,
      held: this.held,
      nearest: this.nearest,
      // Bound to the data until a Gaussian model is fitted (only its kernel reads it).
      gauss: this.gauss ?? this.data,
    };
    for (const id of Object.keys(this.kernels) as KernelId[]) {
      const kernel = this.kernels[id];
      if (!kernel) continue;
      const own = id === 'denoise_gaussian' ? { ...resources, mixture: this.gaussian } : resources;
      this.groups.set(id, bindKernel(this.device, kernel, own));
      if (MEASURED.has(id))
        this.measureGroups.set(
          id,
          bindKernel(this.device, kernel, {
            ...own,
            x0hat: this.measuredX0hat,
            energy: this.measuredEnergy,
          }),
        );
    }
  }
}
