/**
 * The live metrics of one run lane (../shared/docs/maths.md section 5), measured on the GPU from
 * the lane's own buffers and read back a few dozen bytes at a time, never on the frame path.
 *
 *   const metrics = await Metrics.create(device, sources, options?);   // MetricsOptions
 *   metrics.encode(encoder, inputs);   // each frame, after its steps: MetricsInputs
 *   device.queue.submit([encoder.finish()]);
 *   metrics.read(): Promise<MetricsSample | null>     // throttled, a few times a second, not awaited
 *   metrics.marginals(): Promise<MarginalsSample | null>   // when created with `marginals`
 *   metrics.histogram: HistogramSpec | null   // the bins: targetMarginals(dataset, spec, level)
 *   metrics.destroy();
 *
 * encode records, in one compute pass: the tree reductions (Observables), the k-NN entropy of
 * the first P particles (KnnEntropy) and the marginal histograms (MarginalHistograms), the last
 * two only when the metrics were created with them and `inputs.entropy` / `inputs.marginals` are
 * not false. It allocates nothing after the first call with a given set of buffers and n.
 *
 * read resolves with the values of the last encode submitted before the call (its copy goes in
 * the queue after that work: call it after the submit), or null before any encode and after
 * destroy. Each read has its own staging buffer, so reads in flight never collide. Every value
 * belongs to the particles of that encode: the entropy is NaN when it skipped it, and the energy's
 * values when its inputs had no energy. MetricsSample, k_B = 1:
 *   energy <U>, energyVariance Var(U), heatCapacity Var(U) / T^2, kineticTemperature <|v|^2> / d
 *   (NaN without v), acceptance (mean accept flag, NaN without), heat (mean per particle, NaN
 *   without), nonFinite, escaped, count (the particles in the means), entropy (Kozachenko-
 *   Leonenko, nats), freeEnergy <U> - T H, temperature T (of the encode read).
 * Means are over the particles counted: finite in every input and within the radius.
 *
 * marginals resolves with the x and y histograms of the last encode that made them, as densities
 * count / (n width) over MarginalDensities' bins (out-of-range particles count in n), or null.
 */
import type { ShaderSources } from '../../gpu/kernel';
import {
  DEFAULT_RADIUS,
  freeEnergy,
  heatCapacity,
  histogramDensities,
  type HistogramSpec,
  type MarginalDensities,
} from '../../maths/observables';
import { KnnEntropy, type EntropyOptions } from './entropy';
import { ImageMetrics } from './imageMetrics';
import { MarginalHistograms, Observables, StagingPool, type ObservableInputs } from './observables';

export interface MetricsOptions {
  /** Particles farther than this from the origin count as escaped; DEFAULT_RADIUS unless given. */
  radius?: number;
  /** T of the heat capacity and the free energy, unless an encode gives its own; 1 unless given. */
  temperature?: number;
  /** The entropy's subsample and k ({} for the defaults: P = 2048, k = 4), or false for none. */
  entropy?: false | Omit<EntropyOptions, 'radius'>;
  /** The histograms' bins ({} for DEFAULT_HISTOGRAM), or false (the default) for none. */
  marginals?: false | Partial<HistogramSpec>;
}

export interface MetricsInputs extends ObservableInputs {
  /** Coordinates per particle: above 2, images of dim floats (ImageMetrics, after enableImages). */
  dim?: number;
  /** T for this measurement. */
  temperature?: number;
  /** false: skip the entropy this time (read reports it NaN). */
  entropy?: boolean;
  /** false: skip the histograms this time. */
  marginals?: boolean;
}

export const METRIC_NAMES = [
  'energy',
  'energyVariance',
  'heatCapacity',
  'kineticTemperature',
  'acceptance',
  'heat',
  'nonFinite',
  'escaped',
  'count',
  'entropy',
  'freeEnergy',
  'temperature',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type MetricsSample = Record<MetricName, number>;

/** The histograms as densities, and the particles they were counted over. */
export interface MarginalsSample extends MarginalDensities {
  n: number;
}

const METRICS_PASS: GPUComputePassDescriptor = { label: 'metrics' };

export class Metrics {
  readonly temperature: number;
  private encoded = false;
  private destroyed = false;
  private lastTemperature = NaN;
  private entropyMeasured = false;
  private histogramN = 0;
  /** Images (ImageMetrics), made by enableImages; whether the last encode was of images. */
  private images: ImageMetrics | null = null;
  private imagesLast = false;
  private readonly reads: readonly GPUBuffer[];
  private readonly staging: StagingPool;

  private constructor(
    readonly device: GPUDevice,
    private readonly observables: Observables,
    private readonly knn: KnnEntropy | null,
    private readonly histograms: MarginalHistograms | null,
    temperature: number,
    private readonly sources: ShaderSources,
    private readonly radius: number,
  ) {
    this.temperature = temperature;
    this.reads = knn ? [observables.result, knn.sums] : [observables.result];
    let size = 0;
    for (const b of this.reads) size += b.size;
    this.staging = new StagingPool(device, 'metrics', size);
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    options: MetricsOptions = {},
  ): Promise<Metrics> {
    const radius = options.radius ?? DEFAULT_RADIUS;
    const entropy = options.entropy ?? {};
    const marginals = options.marginals ?? false;
    const [observables, knn, histograms] = await Promise.all([
      Observables.create(device, sources, { radius }),
      entropy ? KnnEntropy.create(device, sources, { ...entropy, radius }) : null,
      marginals ? MarginalHistograms.create(device, sources, marginals) : null,
    ]);
    return new Metrics(
      device,
      observables,
      knn,
      histograms,
      options.temperature ?? 1,
      sources,
      radius,
    );
  }

  /** Compiles the image measurements once: before the first encode with dim > 2. */
  async enableImages(): Promise<void> {
    this.images ??= await ImageMetrics.create(this.device, this.sources, {
      radius: this.radius,
      ...(this.knn ? { k: this.knn.k } : {}),
    });
  }

  /** The histograms' bins, or null without them. */
  get histogram(): HistogramSpec | null {
    return this.histograms?.spec ?? null;
  }

  /** The entropy's subsample size and k, or null without it. */
  get entropySpec(): { points: number; k: number } | null {
    return this.knn ? { points: this.knn.points, k: this.knn.k } : null;
  }

  encode(encoder: GPUCommandEncoder, inputs: MetricsInputs): void {
    this.imagesLast = (inputs.dim ?? 2) > 2;
    if (this.imagesLast) {
      if (!this.images) throw new Error('metrics of images: call enableImages() first');
      const entropy = inputs.entropy !== false && this.knn !== null;
      this.images.encode(encoder, { ...inputs, dim: inputs.dim!, entropy });
      this.encoded = true;
      return;
    }
    const knn = inputs.entropy === false ? null : this.knn;
    const histograms = inputs.marginals === false ? null : this.histograms;
    histograms?.clear(encoder);
    const pass = encoder.beginComputePass(METRICS_PASS);
    this.observables.dispatch(pass, inputs);
    knn?.dispatch(pass, inputs.x, inputs.n);
    histograms?.dispatch(pass, inputs.x, inputs.n);
    pass.end();
    this.encoded = true;
    this.lastTemperature = inputs.temperature ?? this.temperature;
    this.entropyMeasured = knn !== null;
    if (histograms) this.histogramN = inputs.n;
  }

  async read(): Promise<MetricsSample | null> {
    if (!this.encoded || this.destroyed) return null;
    if (this.imagesLast) return this.images!.read();
    const t = this.lastTemperature;
    const knn = this.entropyMeasured ? this.knn : null;
    const offset = this.observables.result.size;
    try {
      return await this.staging.read(this.reads, (bytes) => {
        const view = new DataView(bytes);
        const o = this.observables.values(view);
        const entropy = knn ? knn.entropy(view, offset) : NaN;
        return {
          energy: o.meanEnergy,
          energyVariance: o.energyVariance,
          heatCapacity: heatCapacity(o, t),
          kineticTemperature: o.kineticTemperature,
          acceptance: o.acceptance,
          heat: o.heat,
          nonFinite: o.nonFinite,
          escaped: o.escaped,
          count: o.count,
          entropy,
          freeEnergy: freeEnergy(o.meanEnergy, t, entropy),
          temperature: t,
        };
      });
    } catch (e) {
      if (this.destroyed) return null;
      throw e;
    }
  }

  async marginals(): Promise<MarginalsSample | null> {
    const h = this.histograms;
    const n = this.histogramN;
    if (!h || n === 0 || this.destroyed) return null;
    try {
      const counts = await h.read();
      return { ...histogramDensities(counts, n, h.spec), n };
    } catch (e) {
      if (this.destroyed) return null;
      throw e;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.staging.destroy();
    this.observables.destroy();
    this.knn?.destroy();
    this.histograms?.destroy();
    this.images?.destroy();
  }
}
