/**
 * The sliced Wasserstein-2 distance between the particles and the data, measured on the GPU: the
 * same quantity as slicedWasserstein2 in src/maths/stats.ts for two clouds of P points each, with
 * the same K directions for the same seed. Three kernels: project the first P particles onto
 * the K directions (shaders/distance/sw_project.wgsl), sort each direction's projections
 * (shaders/distance/sw_sort.wgsl), and sum the squared differences of the sorted pairs per direction
 * (shaders/distance/sw_reduce.wgsl). The reference (a fixed subsample of the data) is projected and sorted
 * once, by the same kernels, in setReference.
 *
 * Only the K per-direction values come back to the CPU, which takes
 * sqrt(2 * mean over directions), in float64.
 */
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { readback, StagingPool } from '../../gpu/readback';
import { Rng, Stream } from '../../maths/rng';

/** Points per cloud that one workgroup can sort (MAX_POINTS in shaders/distance/sw_sort.wgsl). */
export const MAX_SLICED_POINTS = 4096;

const WORKGROUP_SIZE = 256;
const PASS: GPUComputePassDescriptor = { label: 'sliced wasserstein' };

export interface SlicedWassersteinOptions {
  /** P: particles measured (the first P of the positions buffer) and reference points. */
  points?: number;
  /** K: directions, at least 2. */
  projections?: number;
  /** Seeds the directions' offset (as in stats.ts) and the reference subsample. */
  seed?: number;
}

/**
 * The K unit directions (cos theta_k, sin theta_k), x and y interleaved, of slicedWasserstein2
 * in src/maths/stats.ts: theta_k = pi (k + u) / K with one offset u = Rng(seed).uniform().
 */
export function sliceDirections(projections: number, seed: number): Float32Array<ArrayBuffer> {
  const offset = new Rng(seed).uniform();
  const out = new Float32Array(2 * projections);
  for (let k = 0; k < projections; k++) {
    const theta = (Math.PI * (k + offset)) / projections;
    out[2 * k] = Math.cos(theta);
    out[2 * k + 1] = Math.sin(theta);
  }
  return out;
}

/**
 * P points of a cloud (x, y interleaved) that has at least P: all of them, in order, when it has
 * exactly P; otherwise P distinct points drawn without replacement by a partial Fisher-Yates
 * shuffle on Rng(seed, Stream.subsample), so the same data and seed give the same subsample (and
 * a file stored in stroke order is not cut to its first strokes).
 */
export function referenceSample(
  data: ArrayLike<number>,
  points: number,
  seed: number,
): Float32Array<ArrayBuffer> {
  const n = Math.floor(data.length / 2);
  if (n < points) throw new Error(`the reference needs at least ${points} points, not ${n}`);
  if (n === points) return Float32Array.from({ length: 2 * n }, (_, i) => data[i]!);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed, Stream.subsample);
  const out = new Float32Array(2 * points);
  for (let i = 0; i < points; i++) {
    const j = i + rng.int(n - i);
    const pick = order[j]!;
    order[j] = order[i]!;
    order[i] = pick;
    out[2 * i] = data[2 * pick]!;
    out[2 * i + 1] = data[2 * pick + 1]!;
  }
  return out;
}

interface SlicedKernels {
  project: Kernel;
  sort: Kernel;
  reduce: Kernel;
}

export class SlicedWasserstein {
  readonly points: number;
  readonly projections: number;
  readonly seed: number;

  private readonly params: GPUBuffer;
  private readonly directions: GPUBuffer;
  private readonly referencePoints: GPUBuffer;
  /** K rows of P projections: the particles', then sorted. */
  private readonly keys: GPUBuffer;
  /** K rows of P sorted projections of the reference. */
  private readonly referenceKeys: GPUBuffer;
  /** Squared W2 of each direction's projections. */
  private readonly w2: GPUBuffer;
  private readonly projectGroups = new WeakMap<GPUBuffer, GPUBindGroup>();
  private readonly sortGroup: GPUBindGroup;
  private readonly reduceGroup: GPUBindGroup;
  private readonly referenceProjectGroup: GPUBindGroup;
  private readonly referenceSortGroup: GPUBindGroup;
  private readonly staging: StagingPool;
  private hasReference = false;

  private constructor(
    readonly device: GPUDevice,
    private readonly kernels: SlicedKernels,
    points: number,
    projections: number,
    seed: number,
  ) {
    this.points = points;
    this.projections = projections;
    this.seed = seed;
    const d = device;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const params = kernels.project.definitions.uniforms.slicing;
    if (!params) throw new Error('distance/sw_project.wgsl: no uniform slicing');
    const view = makeStructuredView(params);
    view.set({ points, padded: 2 ** Math.ceil(Math.log2(points)), projections });
    this.params = createBuffer(d, {
      label: 'sliced params',
      size: view.arrayBuffer.byteLength,
      usage: GPUBufferUsage.UNIFORM,
      data: new Uint8Array(view.arrayBuffer),
    });
    this.directions = createBuffer(d, {
      label: 'sliced directions',
      size: 0,
      usage: GPUBufferUsage.STORAGE,
      data: sliceDirections(projections, seed),
    });
    this.referencePoints = createBuffer(d, { label: 'sliced reference', size: 8 * points, usage });
    this.keys = createBuffer(d, { label: 'sliced keys', size: 4 * points * projections, usage });
    this.referenceKeys = createBuffer(d, {
      label: 'sliced reference keys',
      size: 4 * points * projections,
      usage,
    });
    this.w2 = createBuffer(d, { label: 'sliced w2', size: 4 * projections, usage });
    this.staging = new StagingPool(d, 'sliced w2', 4 * projections);
    const slicing = this.params;
    this.sortGroup = bindKernel(d, kernels.sort, { slicing, keys: this.keys });
    this.referenceSortGroup = bindKernel(d, kernels.sort, { slicing, keys: this.referenceKeys });
    this.referenceProjectGroup = bindKernel(d, kernels.project, {
      slicing,
      x: this.referencePoints,
      directions: this.directions,
      keys: this.referenceKeys,
    });
    this.reduceGroup = bindKernel(d, kernels.reduce, {
      slicing,
      keys: this.keys,
      target_keys: this.referenceKeys,
      w2: this.w2,
    });
  }

  /** Compiles the three kernels and allocates every buffer (P K floats, twice). */
  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    options: SlicedWassersteinOptions = {},
  ): Promise<SlicedWasserstein> {
    const points = options.points ?? 4096;
    const projections = options.projections ?? 64;
    if (!Number.isInteger(points) || points < 1 || points > MAX_SLICED_POINTS)
      throw new Error(`sliced Wasserstein: points must be an integer in 1..${MAX_SLICED_POINTS}`);
    if (!Number.isInteger(projections) || projections < 2)
      throw new Error('sliced Wasserstein: at least 2 projections');
    if (projections > device.limits.maxComputeWorkgroupsPerDimension)
      throw new Error(
        `sliced Wasserstein: at most ${device.limits.maxComputeWorkgroupsPerDimension} projections`,
      );
    const compile = (name: string): Promise<Kernel> =>
      compileKernel(device, sources, name, { workgroupSize: WORKGROUP_SIZE });
    const [project, sort, reduce] = await Promise.all(
      ['distance/sw_project', 'distance/sw_sort', 'distance/sw_reduce'].map(compile),
    );
    return new SlicedWasserstein(
      device,
      { project: project!, sort: sort!, reduce: reduce! },
      points,
      projections,
      options.seed ?? 0,
    );
  }

  /**
   * Sets the data the particles are measured against: P of its points (referenceSample: all
   * of them when it has exactly P, else a seeded subsample; fewer than P is an error), projected
   * and sorted on the GPU now, once.
   */
  setReference(data: ArrayLike<number>): void {
    const sample = referenceSample(data, this.points, this.seed);
    this.device.queue.writeBuffer(this.referencePoints, 0, sample);
    const encoder = this.device.createCommandEncoder({ label: 'sliced reference' });
    const pass = encoder.beginComputePass(PASS);
    this.dispatchProject(pass, this.referenceProjectGroup);
    this.dispatchPerDirection(pass, this.kernels.sort, this.referenceSortGroup);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    this.hasReference = true;
  }

  /**
   * Records one measurement of the first P points of `positions` (array<vec2f>, STORAGE usage)
   * into the encoder: no readback, and no allocation past the first call for a given buffer.
   */
  encode(encoder: GPUCommandEncoder, positions: GPUBuffer): void {
    if (!this.hasReference) throw new Error('sliced Wasserstein: call setReference first');
    const group = this.projectGroup(positions);
    const pass = encoder.beginComputePass(PASS);
    this.dispatchProject(pass, group);
    this.dispatchPerDirection(pass, this.kernels.sort, this.sortGroup);
    this.dispatchPerDirection(pass, this.kernels.reduce, this.reduceGroup);
    pass.end();
  }

  /**
   * The distance of the last measurement submitted to the queue before this call. Each call has
   * its own staging buffer (from a pool that grows to the most reads pending at once), so reads
   * may overlap.
   */
  read(): Promise<number> {
    return this.staging.read(this.w2, (bytes) => {
      let sum = 0;
      for (const v of new Float32Array(bytes)) sum += v;
      return Math.sqrt((2 * sum) / this.projections);
    });
  }

  /** encode, submit and read: one measurement of `positions`. */
  measure(positions: GPUBuffer): Promise<number> {
    const encoder = this.device.createCommandEncoder({ label: 'sliced measure' });
    this.encode(encoder, positions);
    this.device.queue.submit([encoder.finish()]);
    return this.read();
  }

  /**
   * The sorted projections of the last measured particles or of the reference, direction k's P
   * values at k * P: a readback, for tests and inspection.
   */
  async sortedProjections(which: 'particles' | 'reference'): Promise<Float32Array> {
    const buffer = which === 'particles' ? this.keys : this.referenceKeys;
    return new Float32Array(
      await readback(this.device, buffer, 4 * this.points * this.projections),
    );
  }

  destroy(): void {
    this.staging.destroy();
    for (const b of [
      this.params,
      this.directions,
      this.referencePoints,
      this.keys,
      this.referenceKeys,
      this.w2,
    ])
      b.destroy();
  }

  private projectGroup(positions: GPUBuffer): GPUBindGroup {
    let group = this.projectGroups.get(positions);
    if (!group) {
      const size = 8 * this.points;
      if (positions.size < size)
        throw new Error(`sliced Wasserstein: positions hold fewer than ${this.points} points`);
      if (!(positions.usage & GPUBufferUsage.STORAGE))
        throw new Error('sliced Wasserstein: positions need STORAGE usage');
      group = bindKernel(this.device, this.kernels.project, {
        slicing: this.params,
        x: { buffer: positions, size },
        directions: this.directions,
        keys: this.keys,
      });
      this.projectGroups.set(positions, group);
    }
    return group;
  }

  private dispatchProject(pass: GPUComputePassEncoder, group: GPUBindGroup): void {
    pass.setPipeline(this.kernels.project.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.ceil(this.points / WORKGROUP_SIZE), this.projections);
  }

  private dispatchPerDirection(
    pass: GPUComputePassEncoder,
    kernel: Kernel,
    group: GPUBindGroup,
  ): void {
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(this.projections);
  }
}
