/**
 * The live metrics of a batch of images (points of R^d), the same MetricsSample as a point cloud's
 * (src/sim/observe/metrics.ts), measured on the GPU and read back a few dozen bytes at a time,
 * never on the frame path:
 *
 *   const metrics = await ImageMetrics.create(device, sources, { k? });
 *   metrics.encode(encoder, { ...inputs, dim });   // after the steps; allocates only for new buffers
 *   device.queue.submit([encoder.finish()]);
 *   metrics.read(): Promise<MetricsSample | null>;
 *
 * shaders/observe/obs_image_summary.wgsl reduces each image to what the point passes read per particle
 * (|x|, |v| sqrt(2 / d), its heat), so obs_reduce / obs_combine (Observables) give the energy's
 * mean and variance, the kinetic temperature <|v|^2> / d, acceptance, heat and the non-finite and
 * escaped counts unchanged; the energy U is the image denoiser's, from its softmax
 * (Simulation.measureDenoiser). The entropy is Kozachenko-Leonenko in R^d
 * (shaders/observe/obs_image_knn.wgsl, then obs_knn_sum.wgsl), of the whole batch: see
 * src/maths/imageObservables.ts for its bias at these sizes, which is large.
 */
import { createBuffer } from '../../gpu/buffers';
import { bindKernel, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { DEFAULT_RADIUS } from '../../maths/observables';
import { readings } from './observables';
import { klFromSumsIn } from '../../maths/imageObservables';
import { MAX_NEIGHBOURS } from './entropy';
import type { MetricsSample } from './metrics';
import {
  checkCount,
  checkInput,
  Observables,
  REDUCE_WORKGROUP_SIZE,
  uniformFrom,
  type ObservableInputs,
} from './observables';
import { compileKernel } from '../../gpu/compile';
import { StagingPool } from '../../gpu/readback';

/** Lanes of the k-NN pass (its workgroup array holds 64 x K_MAX lists). */
const KNN_LANES = 64;
const SUMMARY_WORKGROUP = 64;
const PASS: GPUComputePassDescriptor = { label: 'image metrics' };
const INPUT_V = 1;
const INPUT_HEAT = 4;

export interface ImageMetricsInputs extends ObservableInputs {
  /** Coordinates per image: x and v hold n x dim floats, heat n x dim / 2. */
  dim: number;
  temperature?: number;
  /** false: skip the entropy this time (read reports it NaN). */
  entropy?: boolean;
}

interface Entry {
  key: readonly unknown[];
  n: number;
  dim: number;
  buffers: GPUBuffer[];
  normX: GPUBuffer;
  normV: GPUBuffer | undefined;
  heatSum: GPUBuffer | undefined;
  summaryGroup: GPUBindGroup;
  knnGroup: GPUBindGroup;
  sumGroup: GPUBindGroup;
}

export class ImageMetrics {
  private entry: Entry | null = null;
  private encoded = false;
  private destroyed = false;
  private lastTemperature = 1;
  private lastDim = 2;
  private entropyMeasured = false;
  private readonly sums: GPUBuffer;
  private readonly staging: StagingPool;

  private constructor(
    readonly device: GPUDevice,
    private readonly observables: Observables,
    private readonly summary: Kernel,
    private readonly knn: Kernel,
    private readonly sum: Kernel,
    readonly k: number,
    readonly radius: number,
  ) {
    this.sums = createBuffer(device, {
      label: 'image entropy sums',
      size: 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    this.staging = new StagingPool(device, 'image metrics', observables.result.size + 8);
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    options: { k?: number; radius?: number } = {},
  ): Promise<ImageMetrics> {
    const k = options.k ?? 4;
    const radius = options.radius ?? DEFAULT_RADIUS;
    if (!Number.isInteger(k) || k < 1 || k > MAX_NEIGHBOURS)
      throw new Error(`image entropy: k must be an integer in 1..${MAX_NEIGHBOURS}`);
    const [observables, summary, knn, sum] = await Promise.all([
      Observables.create(device, sources, { radius }),
      compileKernel(device, sources, 'observe/obs_image_summary', {
        workgroupSize: SUMMARY_WORKGROUP,
      }),
      compileKernel(device, sources, 'observe/obs_image_knn', { workgroupSize: KNN_LANES }),
      compileKernel(device, sources, 'observe/obs_knn_sum', {
        workgroupSize: REDUCE_WORKGROUP_SIZE,
      }),
    ]);
    return new ImageMetrics(device, observables, summary, knn, sum, k, radius);
  }

  /** Records the measurement of the first n images in one compute pass. */
  encode(encoder: GPUCommandEncoder, inputs: ImageMetricsInputs): void {
    const e = this.entryFor(inputs);
    const entropy = inputs.entropy !== false;
    const pass = encoder.beginComputePass(PASS);
    pass.setPipeline(this.summary.pipeline);
    pass.setBindGroup(0, e.summaryGroup);
    pass.dispatchWorkgroups(Math.ceil(e.n / SUMMARY_WORKGROUP));
    this.observables.dispatch(pass, {
      x: e.normX,
      energy: inputs.energy,
      n: e.n,
      v: e.normV,
      accept: inputs.accept,
      heat: e.heatSum,
      path: inputs.path,
    });
    if (entropy) {
      pass.setPipeline(this.knn.pipeline);
      pass.setBindGroup(0, e.knnGroup);
      pass.dispatchWorkgroups(e.n);
      pass.setPipeline(this.sum.pipeline);
      pass.setBindGroup(0, e.sumGroup);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    this.encoded = true;
    this.entropyMeasured = entropy;
    this.lastTemperature = inputs.temperature ?? 1;
    this.lastDim = e.dim;
  }

  /** The values of the last encode submitted before this call; null before any, or destroyed. */
  async read(): Promise<MetricsSample | null> {
    if (!this.encoded || this.destroyed) return null;
    const t = this.lastTemperature;
    const d = this.lastDim;
    const entropyMeasured = this.entropyMeasured;
    const offset = this.observables.result.size;
    try {
      return await this.staging.read([this.observables.result, this.sums], (bytes) => {
        const view = new DataView(bytes);
        const o = this.observables.values(view);
        const count = Math.round(view.getFloat32(offset, true));
        const entropy = entropyMeasured
          ? klFromSumsIn(d, count, view.getFloat32(offset + 4, true), this.k)
          : NaN;
        return readings(o, t, entropy);
      });
    } catch (e) {
      if (this.destroyed) return null;
      throw e;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.staging.destroy();
    this.observables.destroy();
    this.sums.destroy();
    for (const b of this.entry?.buffers ?? []) b.destroy();
    this.entry = null;
  }

  /** The buffers and bind groups for these inputs, made anew only when they change. */
  private entryFor(inputs: ImageMetricsInputs): Entry {
    const { x, n, dim, v, heat } = inputs;
    const key = [x, n, dim, v, heat];
    const last = this.entry;
    if (last && last.key.every((k, i) => k === key[i])) return last;
    checkCount('image metrics', n);
    if (!Number.isInteger(dim) || dim < 2 || dim % 2)
      throw new Error(`image metrics: dim ${dim} is not even`);
    checkInput('image metrics: x', x, 4 * n * dim);
    if (v) checkInput('image metrics: v', v, 4 * n * dim);
    if (heat) checkInput('image metrics: heat', heat, 2 * n * dim);
    const d = this.device;
    const storage = GPUBufferUsage.STORAGE;
    const make = (label: string, size: number): GPUBuffer =>
      createBuffer(d, { label: `image metrics ${label}`, size, usage: storage });
    const normX = make('|x|', 8 * n);
    // Always made: one buffer bound for reading and writing in a dispatch is invalid.
    const normVBuffer = make('|v|', 8 * n);
    const heatSumBuffer = make('heat', 4 * n);
    const normV = v ? normVBuffer : undefined;
    const heatSum = heat ? heatSumBuffer : undefined;
    const logR = make('log r', 8 * n);
    const absent = make('absent', 16);
    const flags = (v ? INPUT_V : 0) | (heat ? INPUT_HEAT : 0);
    const summaryParams = uniformFrom(d, this.summary, 'summary', { n, dim, inputs: flags });
    const knnParams = uniformFrom(d, this.knn, 'knn', {
      points: n,
      dim,
      k: this.k,
      radius: this.radius,
    });
    const sumParams = uniformFrom(d, this.sum, 'knn', { points: n, k: this.k, radius: 0 });
    const entry: Entry = {
      key,
      n,
      dim,
      buffers: [
        normX,
        normVBuffer,
        heatSumBuffer,
        logR,
        absent,
        summaryParams,
        knnParams,
        sumParams,
      ],
      normX,
      normV,
      heatSum,
      summaryGroup: bindKernel(d, this.summary, {
        summary: summaryParams,
        x: { buffer: x, size: 4 * n * dim },
        v: v ? { buffer: v, size: 4 * n * dim } : absent,
        heat: heat ? { buffer: heat, size: 2 * n * dim } : absent,
        norm_x: normX,
        norm_v: normVBuffer,
        heat_sum: heatSumBuffer,
      }),
      knnGroup: bindKernel(d, this.knn, {
        knn: knnParams,
        x: { buffer: x, size: 4 * n * dim },
        norm_x: normX,
        log_r: logR,
      }),
      sumGroup: bindKernel(d, this.sum, { knn: sumParams, log_r: logR, sums: this.sums }),
    };
    // The last set's buffers are only in command buffers already submitted (encode submits
    // before the inputs change): destroying them now is safe.
    for (const b of last?.buffers ?? []) b.destroy();
    this.entry = entry;
    return entry;
  }
}
