/**
 * The Kozachenko-Leonenko entropy of a particle cloud on the GPU (../shared/docs/maths.md
 * section 5): brute-force k nearest neighbours over a subsample, the first P particles
 * (shaders/observe/obs_knn.wgsl, O(P^2) in workgroup-memory tiles), then a one-workgroup tree sum of the
 * log distances (shaders/observe/obs_knn_sum.wgsl). Eight bytes come back; the estimate is formed on the
 * CPU by klFromSums. Float64 reference: klEntropy / kthNeighbourLogDistances in
 * src/maths/observables.ts.
 */
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { StagingPool } from '../../gpu/readback';
import { DEFAULT_RADIUS, klFromSums } from '../../maths/observables';
import {
  CACHED_INPUTS,
  checkCount,
  checkInput,
  REDUCE_WORKGROUP_SIZE,
  uniformFrom,
} from './observables';

/** The largest k (K_MAX in shaders/observe/obs_knn.wgsl). */
export const MAX_NEIGHBOURS = 16;
/** The largest subsample: the k-NN pass costs P^2 distances. */
export const MAX_ENTROPY_POINTS = 16384;
const KNN_WORKGROUP_SIZE = 64;
const ENTROPY_PASS: GPUComputePassDescriptor = { label: 'entropy' };

export interface EntropyOptions {
  /** P, the most particles measured (the first P of the buffer); 2048 unless given. */
  points?: number;
  /** k, the neighbour whose distance enters; 4 unless given. */
  k?: number;
  /** Particles farther than this from the origin (or not finite) take no part. */
  radius?: number;
}

/** The options with their defaults (P = 2048, k = 4), checked. */
export function entropyOptions(options: EntropyOptions = {}): Required<EntropyOptions> {
  const full = { points: 2048, k: 4, radius: DEFAULT_RADIUS, ...options };
  if (!Number.isInteger(full.points) || full.points < 2 || full.points > MAX_ENTROPY_POINTS)
    throw new Error(`entropy: points must be an integer in 2..${MAX_ENTROPY_POINTS}`);
  if (!Number.isInteger(full.k) || full.k < 1 || full.k > MAX_NEIGHBOURS)
    throw new Error(`entropy: k must be an integer in 1..${MAX_NEIGHBOURS}`);
  if (!(full.radius > 0)) throw new Error('entropy: the radius must be positive');
  return full;
}

interface EntropyEntry {
  x: GPUBuffer;
  n: number;
  points: number;
  params: GPUBuffer;
  knnGroup: GPUBindGroup;
  sumGroup: GPUBindGroup;
}

/** H = psi(N) - psi(k) + log pi + (2 / N) sum_i log r_i over the N usable points of P. */
export class KnnEntropy {
  readonly points: number;
  readonly k: number;
  readonly radius: number;
  /** vec2f: (points taking part, sum of their log r_i), from the last dispatch. */
  readonly sums: GPUBuffer;
  private readonly logR: GPUBuffer;
  private readonly entries: EntropyEntry[] = [];
  private readonly staging: StagingPool;

  private constructor(
    readonly device: GPUDevice,
    private readonly knn: Kernel,
    private readonly sum: Kernel,
    options: Required<EntropyOptions>,
  ) {
    this.points = options.points;
    this.k = options.k;
    this.radius = options.radius;
    this.logR = createBuffer(device, {
      label: 'entropy log r',
      size: 8 * this.points,
      usage: GPUBufferUsage.STORAGE,
    });
    this.sums = createBuffer(device, {
      label: 'entropy sums',
      size: 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    this.staging = new StagingPool(device, 'entropy', 8);
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    options: EntropyOptions = {},
  ): Promise<KnnEntropy> {
    const full = entropyOptions(options);
    const [knn, sum] = await Promise.all([
      compileKernel(device, sources, 'observe/obs_knn', { workgroupSize: KNN_WORKGROUP_SIZE }),
      compileKernel(device, sources, 'observe/obs_knn_sum', {
        workgroupSize: REDUCE_WORKGROUP_SIZE,
      }),
    ]);
    return new KnnEntropy(device, knn, sum, full);
  }

  /** The particles a dispatch over n measures: min(P, n). */
  subsample(n: number): number {
    return Math.min(this.points, n);
  }

  /** Records the estimate of the first min(P, n) positions (array<vec2f>) in its own pass. */
  encode(encoder: GPUCommandEncoder, x: GPUBuffer, n: number): void {
    const pass = encoder.beginComputePass(ENTROPY_PASS);
    this.dispatch(pass, x, n);
    pass.end();
  }

  /** Records the estimate into an open compute pass. Allocates only for a new (x, n). */
  dispatch(pass: GPUComputePassEncoder, x: GPUBuffer, n: number): void {
    const e = this.entry(x, n);
    pass.setPipeline(this.knn.pipeline);
    pass.setBindGroup(0, e.knnGroup);
    pass.dispatchWorkgroups(Math.ceil(e.points / KNN_WORKGROUP_SIZE));
    pass.setPipeline(this.sum.pipeline);
    pass.setBindGroup(0, e.sumGroup);
    pass.dispatchWorkgroups(1);
  }

  /** The estimate (nats) from the bytes of `sums` at `offset`; NaN with k or fewer points. */
  entropy(view: DataView, offset = 0): number {
    const count = Math.round(view.getFloat32(offset, true));
    return klFromSums(count, view.getFloat32(offset + 4, true), this.k);
  }

  /** The estimate of the last dispatch submitted before this call. */
  read(): Promise<number> {
    return this.staging.read(this.sums, (bytes) => this.entropy(new DataView(bytes)));
  }

  measure(x: GPUBuffer, n: number): Promise<number> {
    const encoder = this.device.createCommandEncoder({ label: 'entropy measure' });
    this.encode(encoder, x, n);
    this.device.queue.submit([encoder.finish()]);
    return this.read();
  }

  destroy(): void {
    this.staging.destroy();
    this.logR.destroy();
    this.sums.destroy();
    for (const e of this.entries) e.params.destroy();
    this.entries.length = 0;
  }

  private entry(x: GPUBuffer, n: number): EntropyEntry {
    for (const e of this.entries) if (e.x === x && e.n === n) return e;
    checkCount('entropy', n);
    const points = this.subsample(n);
    checkInput('entropy: x', x, 8 * points);
    const params = uniformFrom(this.device, this.knn, 'knn', {
      points,
      k: this.k,
      radius: this.radius,
    });
    const xs = { buffer: x, size: 8 * points };
    const logR = { buffer: this.logR, size: 8 * points };
    const e: EntropyEntry = {
      x,
      n,
      points,
      params,
      knnGroup: bindKernel(this.device, this.knn, { knn: params, x: xs, log_r: logR }),
      sumGroup: bindKernel(this.device, this.sum, { knn: params, log_r: logR, sums: this.sums }),
    };
    if (this.entries.length >= CACHED_INPUTS) this.entries.shift();
    this.entries.push(e);
    return e;
  }
}
