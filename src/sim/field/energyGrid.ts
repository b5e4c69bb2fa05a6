/**
 * The physics view's field on the GPU: the energy landscape on a G x G grid, with the score or the
 * probability-flow velocity at every point (the trails are in ./trails.ts). Nothing here reads
 * the GPU back; `update` only records dispatches, and allocates nothing on the frame path.
 *
 * For the sandbox:
 *   const grid = await EnergyGrid.create(device, shaderSources); // 128 x 128 over +-4.2
 *   // Every frame: recomputes only when one of these changed (returns whether it did);
 *   // temperature is 1 outside Langevin mode, where the energy is U_t itself.
 *   grid.update(encoder, { denoiser, alpha, sigma, temperature, m, k, data, mixture });
 *
 * Buffers (grid point (i, j), at index j G + i, sits at origin + spacing (i, j)):
 *   energy  array<f32>   E = U_t(x) / T, U_t = -log p_t (../shared/docs/maths.md section 2)
 *   score   array<vec2f> the arrows: grad log exp(-U_t / T) = -grad U_t / T (the score of p_t
 *                        at T = 1), or with FieldParams.arrows 'velocity' the probability-flow
 *                        velocity v = dx/dt = alpha' x0_hat + sigma' eps_hat (T = 1), the
 *                        learned network's when FieldParams.network is set
 *   density array<f32>   exp(-E) / Z: p_t itself at T = 1; at T != 1, Z summed over the grid
 *   stats   FieldStats   { energy_min, energy_max, log_z, temperature, score_max } of the grid,
 *                        score_max the greatest |arrow| (score or velocity): the quiver's scale
 * The renderer (src/render/landscape.ts) reads all four straight from these buffers.
 */
import { makeStructuredView, type StructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, workgroups, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { ALL_LABELS } from '../../maths/guidance';
import type { ArrowField, DenoiserId } from '../../settings/settings';

/** Grid points per side. */
export const GRID_SIZE = 128;
/** Half the side of the square the grid covers, in world units (the view's height at zoom 1). */
export const GRID_HALF_WIDTH = 4.2;
/**
 * The least sigma the empirical landscape is drawn at: at sigma = 0 it is a sum of deltas, and
 * log(2 pi sigma^2) diverges.
 */
export const MIN_FIELD_SIGMA = 1e-3;

// A function, not a constant: GPUBufferUsage exists only once WebGPU is loaded (Dawn in the bench).
const storageIo = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const FIELD_PASS: GPUComputePassDescriptor = { label: 'field' };
/** What `score` holds (lib/grid.wgsl ARROWS_SCORE, ARROWS_VELOCITY). */
const ARROW_CODES: Record<ArrowField, number> = { score: 0, velocity: 1 };

/** What the landscape depends on: it is recomputed when any of these changes. */
export interface FieldParams {
  denoiser: DenoiserId;
  alpha: number;
  sigma: number;
  /** 1 outside Langevin mode. */
  temperature: number;
  /** Stored data points and mixture components (0 without a mixture). */
  m: number;
  k: number;
  data: GPUBuffer;
  mixture: GPUBuffer;
  /**
   * Class conditioning and guidance (shaders/field/*.wgsl): the class kept (ALL_LABELS, the
   * default: every class), log P(class) (default 0), the guidance w at this level (default 1:
   * the class's own landscape, U_w = w U_c + (1 - w) U), and the class of each stored point (u32;
   * the empirical landscape of a class reads it).
   */
  label?: number;
  logShare?: number;
  guidance?: number;
  labels?: GPUBuffer;
  /**
   * What the arrows (`score`) are: the score (default), or the velocity
   * v = alpha' x0_hat + sigma' eps_hat at temperature 1 from the schedule's rates at this level,
   * alpha' and sigma sigma' (src/maths/scheduleRates.ts; default 0).
   */
  arrows?: ArrowField;
  alphaDot?: number;
  halfVarianceDot?: number;
  /**
   * The learned denoiser's 2D network (src/sim/run/learnedNetworks.ts): with velocity arrows, the
   * velocity is the network's (field/field_learned.wgsl), evaluated at the grid points, over the
   * exact field's. Its weights change under training with nothing here to see it: a new
   * `networkStep` recomputes.
   */
  network?: NetworkBuffers | null;
  networkStep?: number;
}

/** The 2D network's buffers that field/field_learned.wgsl binds. */
export interface NetworkBuffers {
  net: GPUBuffer;
  model: GPUBuffer;
  turns: GPUBuffer;
}

export interface GridOptions {
  size?: number;
  halfWidth?: number;
}

/** The grid's geometry, shared with the renderer. */
export interface GridGeometry {
  size: number;
  origin: readonly [number, number];
  spacing: number;
}

/** Where each field of FieldStats (shaders/lib/grid.wgsl) sits in `stats`, in f32 words. */
export interface StatsLayout {
  words: number;
  energy_min: number;
  energy_max: number;
  temperature: number;
  score_max: number;
}

export class EnergyGrid implements GridGeometry {
  readonly energy: GPUBuffer;
  readonly score: GPUBuffer;
  readonly density: GPUBuffer;
  readonly stats: GPUBuffer;
  /** The f32 words of `stats`, read from the WGSL struct. */
  readonly statsLayout: StatsLayout;
  readonly origin: readonly [number, number];
  readonly spacing: number;
  private readonly uniform: GPUBuffer;
  private readonly view: StructuredView;
  private readonly groups = new Map<Kernel, GPUBindGroup>();
  private bound: { data: GPUBuffer; mixture: GPUBuffer; labels: GPUBuffer } | null = null;
  /** The network bound to the learned kernel, and its bind group. */
  private boundNetwork: NetworkBuffers | null = null;
  private networkGroup: GPUBindGroup | null = null;
  /** The labels bound where FieldParams gives none (no class is read then). */
  private readonly noLabels: GPUBuffer;
  /** The parameters of the grid's current contents (null: none yet, or invalidated). */
  private last: FieldParams | null = null;
  private readonly groupsXY: [number, number];

  private constructor(
    private readonly device: GPUDevice,
    private readonly mixtureKernel: Kernel,
    private readonly empiricalKernel: Kernel,
    private readonly normaliseKernel: Kernel,
    private readonly learnedKernel: Kernel,
    readonly size: number,
    halfWidth: number,
  ) {
    const points = size * size;
    this.noLabels = createBuffer(device, { label: 'field labels', size: 4, usage: storageIo() });
    this.energy = createBuffer(device, {
      label: 'field energy',
      size: 4 * points,
      usage: storageIo(),
    });
    this.score = createBuffer(device, {
      label: 'field score',
      size: 8 * points,
      usage: storageIo(),
    });
    this.density = createBuffer(device, {
      label: 'field density',
      size: 4 * points,
      usage: storageIo(),
    });
    const statsStruct = normaliseKernel.definitions.structs.FieldStats;
    if (!statsStruct) throw new Error('field/field_normalise.wgsl: no struct FieldStats');
    this.stats = createBuffer(device, {
      label: 'field stats',
      size: statsStruct.size,
      usage: storageIo(),
    });
    const word = (name: string): number => {
      const field = statsStruct.fields[name];
      if (!field) throw new Error(`field/field_normalise.wgsl: FieldStats has no ${name}`);
      return field.offset / 4;
    };
    this.statsLayout = {
      words: statsStruct.size / 4,
      energy_min: word('energy_min'),
      energy_max: word('energy_max'),
      temperature: word('temperature'),
      score_max: word('score_max'),
    };
    const definition = mixtureKernel.definitions.uniforms.grid;
    if (!definition) throw new Error('field/field_mixture.wgsl: no uniform grid');
    this.view = makeStructuredView(definition);
    this.uniform = createBuffer(device, {
      label: 'field grid',
      size: this.view.arrayBuffer.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.spacing = (2 * halfWidth) / (size - 1);
    this.origin = [-halfWidth, -halfWidth];
    this.view.set({
      origin: this.origin,
      spacing: [this.spacing, this.spacing],
      width: size,
      height: size,
    });
    this.groupsXY = workgroups(
      size * size,
      mixtureKernel.workgroupSize,
      device.limits.maxComputeWorkgroupsPerDimension,
    );
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    options: GridOptions = {},
  ): Promise<EnergyGrid> {
    const [mixture, empirical, normalise, learned] = await Promise.all(
      ['field_mixture', 'field_empirical', 'field_normalise', 'field_learned'].map((n) =>
        compileKernel(device, sources, `field/${n}`),
      ),
    );
    return new EnergyGrid(
      device,
      mixture!,
      empirical!,
      normalise!,
      learned!,
      options.size ?? GRID_SIZE,
      options.halfWidth ?? GRID_HALF_WIDTH,
    );
  }

  /**
   * Records the grid's computation when the level, temperature, dataset or denoiser changed since
   * the last one (cheap to call every frame otherwise). Returns whether it recorded.
   */
  update(encoder: GPUCommandEncoder, p: FieldParams): boolean {
    if (this.last && sameParams(this.last, p)) return false;
    const mixture = p.denoiser === 'exact' && p.k > 0;
    const kernel = mixture ? this.mixtureKernel : this.empiricalKernel;
    const sigma = mixture ? p.sigma : Math.max(p.sigma, MIN_FIELD_SIGMA);
    // Field by field, so that a new level allocates nothing.
    const v = this.view.views as Record<string, Float32Array | Uint32Array>;
    v.count![0] = mixture ? p.k : p.m;
    v.alpha![0] = p.alpha;
    v.sigma![0] = sigma;
    v.temperature![0] = p.temperature;
    const label = p.label ?? ALL_LABELS;
    v.label![0] = label;
    v.log_share![0] = p.logShare ?? 0;
    // All classes: the unconditional landscape, unguided.
    v.guidance![0] = label === ALL_LABELS ? 1 : (p.guidance ?? 1);
    v.arrows![0] = ARROW_CODES[p.arrows ?? 'score'];
    v.alpha_dot![0] = p.alphaDot ?? 0;
    v.half_var_dot![0] = p.halfVarianceDot ?? 0;
    this.device.queue.writeBuffer(this.uniform, 0, this.view.arrayBuffer);
    const labels = p.labels ?? this.noLabels;
    const b = this.bound;
    if (b?.data !== p.data || b.mixture !== p.mixture || b.labels !== labels)
      this.rebind(p, labels);
    const pass = encoder.beginComputePass(FIELD_PASS);
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, this.group(kernel));
    pass.dispatchWorkgroups(this.groupsXY[0], this.groupsXY[1]);
    if (p.arrows === 'velocity' && p.network) {
      pass.setPipeline(this.learnedKernel.pipeline);
      pass.setBindGroup(0, this.learnedGroup(p.network));
      pass.dispatchWorkgroups(this.groupsXY[0], this.groupsXY[1]);
    }
    pass.setPipeline(this.normaliseKernel.pipeline);
    pass.setBindGroup(0, this.group(this.normaliseKernel));
    pass.dispatchWorkgroups(1);
    pass.end();
    if (this.last) Object.assign(this.last, p);
    else this.last = { ...p };
    return true;
  }

  /** Forces the next update to recompute. */
  invalidate(): void {
    this.last = null;
  }

  destroy(): void {
    for (const b of [
      this.energy,
      this.score,
      this.density,
      this.stats,
      this.uniform,
      this.noLabels,
    ])
      b.destroy();
  }

  private group(kernel: Kernel): GPUBindGroup {
    const group = this.groups.get(kernel);
    if (!group) throw new Error(`${kernel.label} is not bound`);
    return group;
  }

  private learnedGroup(network: NetworkBuffers): GPUBindGroup {
    const b = this.boundNetwork;
    if (!this.networkGroup || !b || !sameNetwork(b, network)) {
      const resources = { grid: this.uniform, score: this.score, ...network };
      this.networkGroup = bindKernel(this.device, this.learnedKernel, resources);
      this.boundNetwork = { ...network };
    }
    return this.networkGroup;
  }

  private rebind(p: FieldParams, labels: GPUBuffer): void {
    const resources = {
      grid: this.uniform,
      data: p.data,
      mixture: p.mixture,
      labels,
      energy: this.energy,
      score: this.score,
      density: this.density,
      stats: this.stats,
    };
    for (const k of [this.mixtureKernel, this.empiricalKernel, this.normaliseKernel])
      this.groups.set(k, bindKernel(this.device, k, resources));
    this.bound = { data: p.data, mixture: p.mixture, labels };
  }
}

function sameParams(a: FieldParams, b: FieldParams): boolean {
  return (
    a.denoiser === b.denoiser &&
    a.alpha === b.alpha &&
    a.sigma === b.sigma &&
    a.temperature === b.temperature &&
    a.m === b.m &&
    a.k === b.k &&
    a.data === b.data &&
    a.mixture === b.mixture &&
    (a.label ?? ALL_LABELS) === (b.label ?? ALL_LABELS) &&
    (a.logShare ?? 0) === (b.logShare ?? 0) &&
    (a.guidance ?? 1) === (b.guidance ?? 1) &&
    a.labels === b.labels &&
    (a.arrows ?? 'score') === (b.arrows ?? 'score') &&
    (a.alphaDot ?? 0) === (b.alphaDot ?? 0) &&
    (a.halfVarianceDot ?? 0) === (b.halfVarianceDot ?? 0) &&
    (a.network ?? null) === (b.network ?? null) &&
    (a.networkStep ?? 0) === (b.networkStep ?? 0)
  );
}

function sameNetwork(a: NetworkBuffers, b: NetworkBuffers): boolean {
  return a.net === b.net && a.model === b.model && a.turns === b.turns;
}
