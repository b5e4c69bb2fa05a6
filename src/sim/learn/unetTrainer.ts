/**
 * Trains the image U-Net (src/maths/learn/unet.ts, issue 14) on the GPU from the image run's
 * stored images: a step is the batch drawn on the GPU (learn/sample_image_batch), the U-Net's
 * forward (./unetPasses.ts), the MSE over every value of an image, the backward into the flat
 * gradient, then the shared optimiser (./trainState.ts: the gradient's norm and clip, AdamW with
 * the EMA, the step table, the loss ring). Nothing is read back per step.
 *
 *   const t = await UNetTrainer.create(device, sources, settings);
 *   t.setData(images, m); t.setLevels(trainingLevels(...));
 *   t.encode(encoder, 8); device.queue.submit([encoder.finish()]);
 */
import { createBuffer } from '../../gpu/buffers';
import type { ShaderSources } from '../../gpu/kernel';
import { readback } from '../../gpu/readback';
import { unetTrainProblem, type UNetTrainSettings } from '../../maths/learn/training';
import {
  slotSize,
  unetClasses,
  unetInitialParameters,
  unetPlan,
  type UNetPlan,
} from '../../maths/learn/unet';
import { ImageBatchSampler } from './imageBatchSampler';
import { createMseLoss, record, type Op } from './layers';
import { Pool } from './networkPasses';
import { adamHyper, TrainState } from './trainState';
import { TrainTable } from './trainTable';
import { compileUNetKernels, createUNetPasses, type UNetKernels } from './unetPasses';
import type { UNetModel } from '../run/learnedNetworks';

export type { UNetTrainSettings } from '../../maths/learn/training';

const storage = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** The evaluation batch's images (stratified over t) and its bins over t. */
export const UNET_EVAL_IMAGES = 32;
export const UNET_EVAL_BINS = 16;
/** The evaluation batch's step number: the same draws at every evaluation. */
const EVAL_STEP = 0x7fffffff;

export class UNetTrainer {
  readonly plan: UNetPlan;
  private readonly pool: Pool;
  private readonly state: TrainState;
  private readonly sampler: ImageBatchSampler;
  /** The step's network ops after the batch: forward, loss, backward. */
  private readonly body: Op[];
  private levels: GPUBuffer | null = null;
  private data: { buffer: GPUBuffer; m: number; labels: GPUBuffer } | null = null;
  private levelCount = 0;
  /** The network as the runs' denoiser: the plan, the EMA weights, the kernels (one object). */
  readonly model: UNetModel;
  /** The loss by t: the EMA network's forward on a fixed batch, its goal and weight. */
  private readonly evaluation: {
    sampler: ImageBatchSampler;
    table: TrainTable;
    forward: Op[];
    out: GPUBuffer;
    goal: GPUBuffer;
    weight: GPUBuffer;
  };

  private constructor(
    readonly device: GPUDevice,
    readonly kernels: UNetKernels,
    sampleKernel: Awaited<ReturnType<typeof ImageBatchSampler.compile>>,
    readonly settings: Readonly<UNetTrainSettings>,
  ) {
    const problem = unetTrainProblem(settings);
    if (problem) throw new Error(problem);
    this.plan = unetPlan(settings.arch, settings.image);
    const pool = new Pool(device);
    this.pool = pool;
    const { batch } = settings;
    this.state = new TrainState(device, kernels.learn, pool, {
      init: unetInitialParameters(this.plan, settings.seed),
      hyper: adamHyper(settings),
      maxGradNorm: settings.maxGradNorm,
      emaDecay: settings.emaDecay,
    });
    const passes = pool.own(
      createUNetPasses(device, kernels, this.plan, batch, this.state.params, this.state.grads),
    );
    const P = slotSize(settings.image);
    const goal = pool.floats('goal', batch * P);
    const weight = pool.floats('weight', batch);
    const loss = pool.own(
      createMseLoss(device, kernels.learn, { batch, width: P, scale: 1 / (batch * P) }),
    );
    const partials = pool.floats('loss partials', loss.partialBytes / 4);
    this.body = [
      ...passes.forward,
      ...loss.ops({
        pred: passes.values.get(this.plan.output)!,
        goal,
        weight,
        grad: passes.dOut,
        partials,
        losses: this.state.losses,
      }),
      ...passes.backward,
    ];
    const classes = unetClasses(settings.arch);
    // Images without labels (or an unconditional U-Net): a class buffer the kernel never reads.
    this.noLabels = pool.floats('no labels', 1);
    // (and a one-hot it never writes: one buffer may not be read and written in one dispatch)
    const noOneHot = pool.floats('no one-hot', 1);
    this.sampler = pool.own(
      new ImageBatchSampler(
        device,
        sampleKernel,
        {
          rows: batch,
          dim: P,
          channels: settings.image.channels,
          seed: settings.seed,
          target: settings.arch.target,
          weighting: settings.weighting,
          classes,
          drop: settings.labelDropout ?? 0,
        },
        {
          x: passes.values.get('x')!,
          tau: passes.values.get('tau')!,
          goal,
          weight,
          label: passes.values.get('label') ?? noOneHot,
        },
        this.state.table.binding,
      ),
    );
    this.model = {
      plan: this.plan,
      weights: this.state.ema,
      kernels,
      target: settings.arch.target,
    };
    const rows = UNET_EVAL_IMAGES;
    const evalPasses = pool.own(
      createUNetPasses(device, kernels, this.plan, rows, this.state.ema, null),
    );
    const table = pool.own(new TrainTable(device, kernels.learn.adamw, 1));
    table.set(0, EVAL_STEP, adamHyper(settings), true);
    table.flush(1);
    const evalGoal = pool.floats('eval goal', rows * P);
    const evalWeight = pool.floats('eval weight', rows);
    this.evaluation = {
      sampler: pool.own(
        new ImageBatchSampler(
          device,
          sampleKernel,
          {
            rows,
            dim: P,
            channels: settings.image.channels,
            seed: settings.seed,
            target: settings.arch.target,
            weighting: settings.weighting,
            classes,
            drop: settings.labelDropout ?? 0,
          },
          {
            x: evalPasses.values.get('x')!,
            tau: evalPasses.values.get('tau')!,
            goal: evalGoal,
            weight: evalWeight,
            label: evalPasses.values.get('label') ?? noOneHot,
          },
          table.binding,
        ),
      ),
      table,
      forward: evalPasses.forward,
      out: evalPasses.values.get(this.plan.output)!,
      goal: evalGoal,
      weight: evalWeight,
    };
  }

  /**
   * The EMA network's loss on a fixed batch stratified over t (UNET_EVAL_IMAGES images, the same
   * draws every time), the weighted MSE per image averaged in UNET_EVAL_BINS bins of t.
   */
  async evaluate(): Promise<Float64Array> {
    const e = this.evaluation;
    if (!e.sampler.op) throw new Error('no images to evaluate on');
    const encoder = this.device.createCommandEncoder({ label: 'evaluate' });
    const pass = encoder.beginComputePass({ label: 'evaluate' });
    record(pass, e.sampler.op, e.table.offset(0, new Uint32Array(1)));
    for (const op of e.forward) record(pass, op);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    const rows = UNET_EVAL_IMAGES;
    const P = slotSize(this.settings.image);
    const [out, goal, weight] = await Promise.all([
      readback(this.device, e.out, 4 * P * rows),
      readback(this.device, e.goal, 4 * P * rows),
      readback(this.device, e.weight, 4 * rows),
    ]).then((bs) => bs.map((b) => new Float32Array(b)));
    const sums = new Float64Array(UNET_EVAL_BINS);
    const counts = new Float64Array(UNET_EVAL_BINS);
    for (let r = 0; r < rows; r++) {
      // Row r's level is stratified: k = floor(r L / rows) (learn/sample_image_batch).
      const k = Math.floor((r * this.levelCount) / rows);
      const bin = Math.min(UNET_EVAL_BINS - 1, Math.floor((k * UNET_EVAL_BINS) / this.levelCount));
      let sq = 0;
      for (let c = 0; c < P; c++) sq += (out![P * r + c]! - goal![P * r + c]!) ** 2;
      sums[bin] = sums[bin]! + (weight![r]! * sq) / P;
      counts[bin] = counts[bin]! + 1;
    }
    return sums.map((s, i) => s / Math.max(1, counts[i]!));
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    settings: UNetTrainSettings,
  ): Promise<UNetTrainer> {
    const problem = unetTrainProblem(settings);
    if (problem) throw new Error(problem);
    const [kernels, sample] = await Promise.all([
      compileUNetKernels(device, sources),
      ImageBatchSampler.compile(device, sources),
    ]);
    return new UNetTrainer(device, kernels, sample, settings);
  }

  get params(): GPUBuffer {
    return this.state.params;
  }

  /** The EMA weights, what the denoiser samples with. */
  get ema(): GPUBuffer {
    return this.state.ema;
  }

  get step(): number {
    return this.state.step;
  }

  get parameterCount(): number {
    return this.plan.parameters;
  }

  /**
   * The stored images (m x D floats, as the image run holds them) the batches are drawn from, and
   * their classes (array<u32>; needed by a class-conditional U-Net).
   */
  setData(images: GPUBuffer, m: number, labels?: GPUBuffer): void {
    if (!Number.isInteger(m) || m < 1) throw new Error(`training needs stored images, not ${m}`);
    if (unetClasses(this.settings.arch) && !labels)
      throw new Error('a class-conditional U-Net trains on labelled images: no labels given');
    this.data = { buffer: images, m, labels: labels ?? this.noLabels };
    this.bindSampling();
  }
  private readonly noLabels: GPUBuffer;

  /** The training grid's (alpha, sigma) pairs, t_k = (k + 1) / L. */
  setLevels(levels: Float32Array<ArrayBuffer>): void {
    if (levels.length < 2 || levels.length % 2) throw new Error('levels: (alpha, sigma) pairs');
    if (!levels.every((v) => v >= 0 && Number.isFinite(v)))
      throw new Error('levels: every alpha and sigma finite and not negative');
    this.levels?.destroy();
    this.levels = createBuffer(this.device, {
      label: 'unet training levels',
      size: 0,
      usage: storage(),
      data: levels,
    });
    this.levelCount = levels.length / 2;
    this.bindSampling();
  }

  get ready(): boolean {
    return !!this.sampler.op;
  }

  /** Records k steps (at most MAX_STEPS) into `encoder`; returns how many. */
  encode(encoder: GPUCommandEncoder, k: number): number {
    const sample = this.sampler.op;
    if (!sample) return 0;
    return this.state.encode(encoder, k, sample, this.body);
  }

  readLosses(): Promise<{ first: number; losses: Float32Array }> {
    return this.state.readLosses();
  }

  readWeights(which: 'ema' | 'params' = 'ema'): Promise<Float32Array<ArrayBuffer>> {
    return this.state.readWeights(which);
  }

  setWeights(weights: Float32Array<ArrayBuffer>, step = 0): void {
    this.state.setWeights(weights, step);
  }

  /** Fresh initial weights from a seed (the settings' by default), step 0. */
  reset(seed = this.settings.seed): void {
    this.setWeights(unetInitialParameters(this.plan, seed));
  }

  setRate(lr: number, weightDecay: number): void {
    const problem = unetTrainProblem({ ...this.settings, lr, weightDecay });
    if (problem) throw new Error(problem);
    this.state.setRate(lr, weightDecay);
  }

  destroy(): void {
    this.pool.destroy();
    this.levels?.destroy();
  }

  private bindSampling(): void {
    if (!this.data || !this.levels) return;
    for (const s of [this.sampler, this.evaluation.sampler])
      s.bind(this.data.buffer, this.data.m, this.levels, this.levelCount, this.data.labels);
  }
}
