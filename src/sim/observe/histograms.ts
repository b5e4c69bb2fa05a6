/**
 * The per-axis histograms of the positions on the GPU (shaders/observe/obs_histogram.wgsl), read back
 * through a pool of staging buffers (never on the frame path). Their float64 references are
 * marginalHistograms in src/maths/observables.ts.
 */
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { StagingPool } from '../../gpu/readback';
import {
  binScale,
  DEFAULT_HISTOGRAM,
  type HistogramSpec,
  type Marginals,
} from '../../maths/observables';
import {
  CACHED_INPUTS,
  checkCount,
  checkInput,
  REDUCE_WORKGROUP_SIZE,
  STORAGE_IO,
  stridedGroups,
  uniformFrom,
} from './observables';

interface HistogramEntry {
  x: GPUBuffer;
  n: number;
  groups: number;
  group: GPUBindGroup;
  params: GPUBuffer;
}

/** The most bins per axis (MAX_BINS in shaders/observe/obs_histogram.wgsl). */
export const MAX_HISTOGRAM_BINS = 1024;
/** Fewer first-pass workgroups than the reduction: each one flushes 2 B bins. */
const HISTOGRAM_GROUPS = 256;
const HISTOGRAM_PASS: GPUComputePassDescriptor = { label: 'marginal histograms' };

/** The full spec of the histograms, checked: DEFAULT_HISTOGRAM with `spec` over it. */
export function histogramSpec(spec: Partial<HistogramSpec> = {}): HistogramSpec {
  const full: HistogramSpec = { ...DEFAULT_HISTOGRAM, ...spec };
  const { bins } = full;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_HISTOGRAM_BINS)
    throw new Error(`histograms: bins must be an integer in 1..${MAX_HISTOGRAM_BINS}`);
  for (const [lo, hi] of [full.x, full.y])
    if (!(hi > lo) || !Number.isFinite(hi - lo))
      throw new Error('histograms: each range must be finite with hi > lo');
  return full;
}

const compileHistogram = (device: GPUDevice, sources: ShaderSources): Promise<Kernel> =>
  compileKernel(device, sources, 'observe/obs_histogram', { workgroupSize: REDUCE_WORKGROUP_SIZE });

/**
 * Histograms of the particles' x and of their y over fixed ranges, counted with atomics on the
 * GPU, read back as two Uint32Arrays (values out of range or not finite are not counted). Their
 * targets: mixtureMarginals and dataMarginals in src/maths/observables.ts.
 */
export class MarginalHistograms {
  readonly spec: HistogramSpec;
  /** x's B counts, then y's: array<atomic<u32>>. */
  readonly counts: GPUBuffer;
  private readonly entries: HistogramEntry[] = [];
  private readonly staging: StagingPool;

  private constructor(
    readonly device: GPUDevice,
    private readonly kernel: Kernel,
    spec: HistogramSpec,
  ) {
    this.spec = spec;
    this.counts = createBuffer(device, {
      label: 'marginal histograms',
      size: 8 * spec.bins,
      usage: STORAGE_IO,
    });
    this.staging = new StagingPool(device, 'marginal histograms', 8 * spec.bins);
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    spec: Partial<HistogramSpec> = {},
  ): Promise<MarginalHistograms> {
    const full = histogramSpec(spec);
    return new MarginalHistograms(device, await compileHistogram(device, sources), full);
  }

  /** Records the histograms of the first n positions (array<vec2f>, STORAGE). */
  encode(encoder: GPUCommandEncoder, x: GPUBuffer, n: number): void {
    this.clear(encoder);
    const pass = encoder.beginComputePass(HISTOGRAM_PASS);
    this.dispatch(pass, x, n);
    pass.end();
  }

  /** Zeroes the counts: before each dispatch, outside the compute pass. */
  clear(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.counts);
  }

  /** Adds the first n positions' counts into an open pass (after clear). */
  dispatch(pass: GPUComputePassEncoder, x: GPUBuffer, n: number): void {
    const e = this.entry(x, n);
    pass.setPipeline(this.kernel.pipeline);
    pass.setBindGroup(0, e.group);
    pass.dispatchWorkgroups(e.groups);
  }

  /** The counts of the last histograms submitted before this call. */
  read(): Promise<Marginals<Uint32Array>> {
    const b = this.spec.bins;
    return this.staging.read(this.counts, (bytes) => ({
      x: new Uint32Array(bytes.slice(0, 4 * b)),
      y: new Uint32Array(bytes.slice(4 * b, 8 * b)),
    }));
  }

  measure(x: GPUBuffer, n: number): Promise<Marginals<Uint32Array>> {
    const encoder = this.device.createCommandEncoder({ label: 'marginal histograms measure' });
    this.encode(encoder, x, n);
    this.device.queue.submit([encoder.finish()]);
    return this.read();
  }

  destroy(): void {
    this.staging.destroy();
    this.counts.destroy();
    for (const e of this.entries) e.params.destroy();
    this.entries.length = 0;
  }

  private entry(x: GPUBuffer, n: number): HistogramEntry {
    for (const e of this.entries) if (e.x === x && e.n === n) return e;
    checkCount('histograms', n);
    checkInput('histograms: x', x, 8 * n);
    const { bins } = this.spec;
    const groups = stridedGroups(n, HISTOGRAM_GROUPS);
    const params = uniformFrom(this.device, this.kernel, 'histogram', {
      lo: [this.spec.x[0], this.spec.y[0]],
      scale: [binScale(this.spec.x, bins), binScale(this.spec.y, bins)],
      n,
      bins,
      groups,
    });
    const group = bindKernel(this.device, this.kernel, {
      histogram: params,
      x: { buffer: x, size: 8 * n },
      counts: this.counts,
    });
    if (this.entries.length >= CACHED_INPUTS) this.entries.shift();
    const e = { x, n, groups, group, params };
    this.entries.push(e);
    return e;
  }
}
