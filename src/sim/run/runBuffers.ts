/**
 * The GPU buffers a run owns: the particles' (sized by n and the data's dimension) and the
 * data's (its points, mixture and Gaussian models). Each buffer is named once in the lists below,
 * and every (re)allocation and destroy goes through them.
 */
import { createBuffer } from '../../gpu/buffers';
import { readback } from '../../gpu/readback';
import { datasetDim, datasetSize, type Dataset } from '../../maths/datasets';
import { LANGEVIN_STATE_WORDS } from '../../maths/langevin';
import { NEAREST_RECORD_BYTES } from '../../maths/memorisation';
import { gaussianOfPoints, packMixture } from './mixture';

/** The particle buffers, reallocated by setParticles. */
const PARTICLE_BUFFERS = [
  'x',
  'x0hat',
  'energy',
  'measuredX0hat',
  'measuredEnergy',
  'x0uncond',
  'energyUncond',
  'history',
  'v',
  'accept',
  'heat',
  'langevinState',
  'nearest',
  'pathStart',
  'pathPrev',
  'path',
] as const;
/** The data's buffers, replaced by setData (gaussianModel: when a run first needs it). */
const DATA_BUFFERS = ['data', 'labels', 'mixture', 'gaussian', 'gaussianModel'] as const;
/** Everything destroy() releases: the above and the step table. */
const ALL_BUFFERS = [...PARTICLE_BUFFERS, ...DATA_BUFFERS, 'table'] as const;

// A function, not a constant: GPUBufferUsage exists only once WebGPU is loaded (Dawn in the bench).
const storageIo = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class RunBuffers {
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
  /** Guided runs: the unconditional denoiser's x0_hat and U, which run/guide.wgsl mixes in. */
  x0uncond!: GPUBuffer;
  energyUncond!: GPUBuffer;
  history!: GPUBuffer;
  data!: GPUBuffer;
  /** The class of each stored point, u32 (all 0 for data without labels). */
  labels!: GPUBuffer;
  mixture!: GPUBuffer;
  /** The one-Gaussian model of the stored points (denoiser 'gaussian'), as a 1-component mixture. */
  gaussian!: GPUBuffer;
  /**
   * Images: the Gaussian model of the training images (src/maths/gaussianModel.ts layout), fitted
   * when a run first asks for it, and each particle's nearest training images (measureNearest).
   */
  gaussianModel: GPUBuffer | null = null;
  nearest!: GPUBuffer;
  /** Velocities, array<vec2f>: zero unless the run is underdamped Langevin. */
  v!: GPUBuffer;
  /** array<f32>: 1 if the particle's last MALA proposal was accepted, else 0. */
  accept!: GPUBuffer;
  /** array<f32>: heat released to the bath per particle since reset, in units of T. */
  heat!: GPUBuffer;
  /** The Langevin kernels' per-particle state (struct LangevinState in shaders/lib/step.wgsl). */
  protected langevinState!: GPUBuffer;
  /**
   * The path of each particle since the run's reset or scrub (run/path_start.wgsl,
   * run/path_step.wgsl): where it started and was a step ago (dim floats each), and per particle
   * (length, excess L / D - 1, weight, 0): the live straightness (src/maths/straightness.ts).
   */
  protected pathStart!: GPUBuffer;
  protected pathPrev!: GPUBuffer;
  path!: GPUBuffer;
  /** The run's step table (uniform, one slot per dispatch). */
  table: GPUBuffer | null = null;

  n = 0;
  /** Coordinates per particle: 2 for point clouds, d for images (from the dataset). */
  dim = 2;
  protected dataset: Dataset | null = null;

  constructor(readonly device: GPUDevice) {}

  /**
   * (Re)allocates the particle buffers for n particles of the dataset's dimension: x, x0_hat and
   * v hold dim floats per particle; energy and accept one per particle; history, heat and the Langevin
   * state one entry per vec2 lane (dim / 2 per particle).
   */
  setParticles(n: number): void {
    this.release(PARTICLE_BUFFERS);
    const d = this.device;
    const usage = storageIo();
    const lanes = (n * this.dim) / 2;
    this.x = createBuffer(d, { label: 'x', size: 8 * lanes, usage: usage | GPUBufferUsage.VERTEX });
    this.x0hat = createBuffer(d, { label: 'x0hat', size: 8 * lanes, usage });
    this.energy = createBuffer(d, { label: 'energy', size: 4 * n, usage });
    this.measuredX0hat = createBuffer(d, { label: 'measured x0hat', size: 8 * lanes, usage });
    this.measuredEnergy = createBuffer(d, { label: 'measured energy', size: 4 * n, usage });
    this.x0uncond = createBuffer(d, { label: 'x0 uncond', size: 8 * lanes, usage });
    this.energyUncond = createBuffer(d, { label: 'energy uncond', size: 4 * n, usage });
    this.history = createBuffer(d, { label: 'history', size: 16 * lanes, usage });
    this.v = createBuffer(d, { label: 'v', size: 8 * lanes, usage });
    this.accept = createBuffer(d, { label: 'accept', size: 4 * n, usage });
    this.heat = createBuffer(d, { label: 'heat', size: 4 * lanes, usage });
    this.langevinState = createBuffer(d, {
      label: 'langevinState',
      size: 4 * LANGEVIN_STATE_WORDS * lanes,
      usage,
    });
    this.nearest = createBuffer(d, { label: 'nearest', size: NEAREST_RECORD_BYTES * n, usage });
    this.pathStart = createBuffer(d, { label: 'path start', size: 8 * lanes, usage });
    this.pathPrev = createBuffer(d, { label: 'path previous', size: 8 * lanes, usage });
    this.path = createBuffer(d, { label: 'path', size: 16 * n, usage });
    this.n = n;
    this.buffersChanged();
  }

  /**
   * Uploads a dataset: its stored points and, for mixtures, the exact parameters. A dataset of
   * another dimension reallocates the particles (same n).
   */
  setData(dataset: Dataset): void {
    this.release(DATA_BUFFERS);
    this.gaussianModel = null;
    this.data = createBuffer(this.device, {
      label: 'data',
      size: dataset.points.byteLength,
      usage: storageIo() | GPUBufferUsage.VERTEX,
      data: dataset.points,
    });
    const points = datasetSize(dataset);
    this.labels = createBuffer(this.device, {
      label: 'labels',
      size: 0,
      usage: storageIo(),
      data: dataset.labels
        ? Uint32Array.from(dataset.labels)
        : new Uint32Array(Math.max(1, points)),
    });
    this.mixture = createBuffer(this.device, {
      label: 'mixture',
      size: 0,
      usage: storageIo(),
      data: packMixture(dataset.mixture),
    });
    const dim = datasetDim(dataset);
    this.gaussian = createBuffer(this.device, {
      label: 'gaussian',
      size: 0,
      usage: storageIo(),
      data: packMixture(dim === 2 ? gaussianOfPoints(dataset.points) : null),
    });
    this.dataset = dataset;
    if (dim !== this.dim) {
      this.dim = dim;
      if (this.n) this.setParticles(this.n);
    }
    this.buffersChanged();
  }

  /** Stored data points (images) and mixture components of the dataset. */
  get dataPoints(): number {
    return this.dataset ? datasetSize(this.dataset) : 0;
  }

  get components(): number {
    return this.dataset?.mixture?.components.length ?? 0;
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
    name: 'x0hat' | 'energy' | 'data' | 'history' | 'v' | 'accept' | 'heat' | 'path',
  ): Promise<Float32Array> {
    const buffer = this[name];
    const size = name === 'data' ? this.dataset!.points.byteLength : buffer.size;
    return new Float32Array(await readback(this.device, buffer, size));
  }

  destroy(): void {
    this.release(ALL_BUFFERS);
  }

  /** The buffers the run's kernels bind, by their WGSL names (before any is allocated: null). */
  protected resources(): Record<string, GPUBuffer | GPUBufferBinding> | null {
    if (!this.x || !this.data || !this.table) return null;
    return {
      x: this.x,
      x0hat: this.x0hat,
      energy: this.energy,
      history: this.history,
      data: this.data,
      labels: this.labels,
      measuredX0hat: this.measuredX0hat,
      measuredEnergy: this.measuredEnergy,
      x0uncond: this.x0uncond,
      energyUncond: this.energyUncond,
      mixture: this.mixture,
      gaussian: this.gaussian,
      v: this.v,
      accept: this.accept,
      heat: this.heat,
      langevinState: this.langevinState,
      nearest: this.nearest,
      pathStart: this.pathStart,
      pathPrev: this.pathPrev,
      path: this.path,
      // Bound to the data until a Gaussian model is fitted (only its kernel reads it).
      gaussianModel: this.gaussianModel ?? this.data,
    };
  }

  /** Called after any buffer was replaced (to rebind). */
  protected buffersChanged(): void {}

  private release(names: readonly (typeof ALL_BUFFERS)[number][]): void {
    for (const name of names) (this[name] as GPUBuffer | null | undefined)?.destroy();
  }
}
