/**
 * The live metrics of one run lane (../shared/docs/maths.md section 5), measured on the GPU from
 * the lane's own buffers and read back a few dozen bytes at a time, never on the frame path.
 *
 *   const metrics = Metrics.create(device, sources, options?);   // MetricsOptions; compiles nothing
 *   await metrics.prepare({ entropy?, marginals? });   // compiles on first use (device's cache)
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
 *   Leonenko, nats), freeEnergy <U> - T H, temperature T (of the encode read), straightness
 *   (the mean excess path length L / D - 1 since the run's reset, src/maths/straightness.ts;
 *   NaN without `path`).
 * Means are over the particles counted: finite in every input and within the radius.
 *
 * marginals resolves with the x and y histograms of the last encode that made them, as densities
 * count / (n width) over MarginalDensities' bins (out-of-range particles count in n), or null.
 */
import type { ShaderSources } from '../../gpu/kernel';
import { StagingPool } from '../../gpu/readback';
import {
  DEFAULT_RADIUS,
  histogramDensities,
  type HistogramSpec,
  type MarginalDensities,
} from '../../maths/observables';
import { entropyOptions, KnnEntropy, type EntropyOptions } from './entropy';
import { histogramSpec, MarginalHistograms } from './histograms';
import { Observables, readings, type ObservableInputs } from './observables';
import { ImageMetrics } from './imageMetrics';

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
  'straightness',
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
  /** The histograms' bins, or null without them. */
  readonly histogram: HistogramSpec | null;
  private readonly radius: number;
  private readonly entropyOptions: Required<EntropyOptions> | null;
  private observables: Observables | null = null;
  private knn: KnnEntropy | null = null;
  private histograms: MarginalHistograms | null = null;
  /** The parts being made or made (see make): each is made once. */
  private readonly made = new Map<string, Promise<void>>();
  private encoded = false;
  private destroyed = false;
  private lastTemperature = NaN;
  private entropyMeasured = false;
  private histogramN = 0;
  /** Images (ImageMetrics), made by enableImages; whether the last encode was of images. */
  private images: ImageMetrics | null = null;
  private imagesLast = false;
  private reads: readonly GPUBuffer[] = [];
  private staging: StagingPool | null = null;

  private constructor(
    readonly device: GPUDevice,
    private readonly sources: ShaderSources,
    options: MetricsOptions,
  ) {
    this.radius = options.radius ?? DEFAULT_RADIUS;
    if (!(this.radius > 0)) throw new Error('metrics: the radius must be positive');
    const entropy = options.entropy ?? {};
    this.entropyOptions = entropy ? entropyOptions({ ...entropy, radius: this.radius }) : null;
    this.histogram = options.marginals ? histogramSpec(options.marginals) : null;
    this.temperature = options.temperature ?? 1;
  }

  /** Checks the options; compiles nothing (see prepare). */
  static create(device: GPUDevice, sources: ShaderSources, options: MetricsOptions = {}): Metrics {
    return new Metrics(device, sources, options);
  }

  /**
   * Compiles and allocates what encodes with `what` need (by default all the options ask for),
   * once: the kernels come from the device's cache, so the first call on a device compiles them.
   */
  async prepare(what: { entropy?: boolean; marginals?: boolean } = {}): Promise<void> {
    const d = this.device;
    const s = this.sources;
    const entropy = what.entropy !== false ? this.entropyOptions : null;
    const histogram = what.marginals !== false ? this.histogram : null;
    await Promise.all([
      this.make(
        'observables',
        () => Observables.create(d, s, { radius: this.radius }),
        (o) => {
          this.observables = o;
          this.restage();
        },
      ),
      entropy &&
        this.make(
          'entropy',
          () => KnnEntropy.create(d, s, entropy),
          (k) => {
            this.knn = k;
            this.restage();
          },
        ),
      histogram &&
        this.make(
          'histograms',
          () => MarginalHistograms.create(d, s, histogram),
          (h) => (this.histograms = h),
        ),
    ]);
  }

  /** Compiles the image measurements once: before the first encode with dim > 2. */
  enableImages(): Promise<void> {
    const k = this.entropyOptions?.k;
    return this.make(
      'images',
      () =>
        ImageMetrics.create(this.device, this.sources, {
          radius: this.radius,
          ...(k !== undefined ? { k } : {}),
        }),
      (m) => (this.images = m),
    );
  }

  /** The entropy's subsample size and k, or null without it. */
  get entropySpec(): { points: number; k: number } | null {
    const e = this.entropyOptions;
    return e ? { points: e.points, k: e.k } : null;
  }

  /** Records the measurement; what it measures must be prepared (see prepare). */
  encode(encoder: GPUCommandEncoder, inputs: MetricsInputs): void {
    this.imagesLast = (inputs.dim ?? 2) > 2;
    if (this.imagesLast) {
      if (!this.images) throw new Error('metrics of images: call enableImages() first');
      const entropy = inputs.entropy !== false && this.entropyOptions !== null;
      this.images.encode(encoder, { ...inputs, dim: inputs.dim!, entropy });
      this.encoded = true;
      return;
    }
    const observables = this.observables;
    const knn = inputs.entropy === false ? null : this.knn;
    const histograms = inputs.marginals === false ? null : this.histograms;
    if (
      !observables ||
      (inputs.entropy !== false && this.entropyOptions && !knn) ||
      (inputs.marginals !== false && this.histogram && !histograms)
    )
      throw new Error('metrics: await prepare() for what is measured first');
    histograms?.clear(encoder);
    const pass = encoder.beginComputePass(METRICS_PASS);
    observables.dispatch(pass, inputs);
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
    if (this.imagesLast) return this.images ? this.images.read() : null;
    const observables = this.observables;
    const staging = this.staging;
    if (!this.encoded || this.destroyed || !observables || !staging) return null;
    const t = this.lastTemperature;
    const knn = this.entropyMeasured ? this.knn : null;
    const offset = observables.result.size;
    try {
      return await staging.read(this.reads, (bytes) => {
        const view = new DataView(bytes);
        const o = observables.values(view);
        const entropy = knn ? knn.entropy(view, offset) : NaN;
        return readings(o, t, entropy);
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
    this.staging?.destroy();
    this.observables?.destroy();
    this.knn?.destroy();
    this.histograms?.destroy();
    this.images?.destroy();
  }

  /** Makes part `key` once (again after a failure); a part made after destroy() is destroyed. */
  private make<T extends { destroy(): void }>(
    key: string,
    create: () => Promise<T>,
    keep: (part: T) => void,
  ): Promise<void> {
    let made = this.made.get(key);
    if (!made) {
      made = create().then((part) => {
        if (this.destroyed) part.destroy();
        else keep(part);
      });
      made.catch(() => this.made.delete(key));
      this.made.set(key, made);
    }
    return made;
  }

  /**
   * One read copies the observables' result and the entropy's sums together: a new pool when
   * the parts change (reads in flight finish on the old one).
   */
  private restage(): void {
    if (!this.observables) return;
    this.reads = this.knn ? [this.observables.result, this.knn.sums] : [this.observables.result];
    let size = 0;
    for (const b of this.reads) size += b.size;
    this.staging?.destroy();
    this.staging = new StagingPool(this.device, 'metrics', size);
  }
}
