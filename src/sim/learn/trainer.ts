/**
 * Trains the 2D score network (src/maths/learn/network.ts) on the GPU from the stored points, while
 * the particles sample with its EMA weights (shaders/run/denoise_learned.wgsl reads `ema`).
 *
 * A step is one compute pass of bound ops (./layers.ts), replayed: the batch drawn on the GPU
 * (learn/sample_batch), the embeddings, the forward pass, the weighted MSE, the backward pass, the
 * gradient's norm and clip, AdamW and the EMA; then a copy of the step's loss into a ring. A
 * submission holds up to MAX_STEPS steps (their numbers and Adam's corrections in the step table,
 * ./trainTable.ts); nothing is read back per step. readLosses() reads the ring a few times a
 * second; evaluate() runs the EMA network on a fixed batch stratified over t, for the loss by t.
 *
 *   const trainer = await Trainer.create(device, sources, settings, data, m, levels);
 *   trainer.encode(encoder, 16); device.queue.submit([encoder.finish()]);
 *   const losses = await trainer.readLosses();
 */
import { createBuffer } from '../../gpu/buffers';
import type { ShaderSources } from '../../gpu/kernel';
import { readback } from '../../gpu/readback';
import {
  ACTIVATIONS,
  classInputs,
  embeddingWidth,
  initialParameters,
  NO_CLASS,
  INPUTS,
  networkRowTurns,
  networkTurns,
  OUTPUTS,
  parameterCount,
  TARGETS,
  type NetworkArch,
} from '../../maths/learn/network';
import { compileLearnKernels, createMseLoss, record, type LearnKernels, type Op } from './layers';
import {
  allocateActivations,
  backwardOps,
  forwardOps,
  Pool,
  type Activations,
} from './networkPasses';
import { BatchSampler, type BatchSpec } from './batchSampler';
import { splitBatch } from './ops';
import { adamHyper, TrainState } from './trainState';
import { TrainTable } from './trainTable';
import { trainProblem, type TrainSettings } from '../../maths/learn/training';

export type { TrainSettings } from '../../maths/learn/training';

export { LOSS_RING } from './trainState';
/** The evaluation batch's rows and its bins over t. */
export const EVAL_ROWS = 2000;
export const EVAL_BINS = 20;
/** The evaluation batch's step number: the same draws at every evaluation. */
const EVAL_STEP = 0x7fffffff;
// A function, not a constant: GPUBufferUsage exists only once WebGPU is loaded (Dawn in the bench).
const storage = (): GPUBufferUsageFlags =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class Trainer {
  /** Weights, gradients, Adam's state, the EMA, the step table and the loss ring. */
  private readonly state: TrainState;
  /** Raw weights and the EMA the denoiser samples with. */
  readonly params: GPUBuffer;
  readonly ema: GPUBuffer;
  /** Chunks the batch is summed in for the weights' gradients (1: no split). */
  readonly weightSplits: number;
  /** The denoiser kernel's architecture uniform and frequencies (denoise_learned.wgsl). */
  readonly net: GPUBuffer;
  readonly turns: GPUBuffer;
  /** The embedding's frequencies of each input column (networkRowTurns). */
  private readonly rowTurns: GPUBuffer;
  private readonly pool: Pool;
  private readonly evalTable: TrainTable;
  private readonly lossPartials: GPUBuffer;
  private readonly sampler: BatchSampler;
  private readonly evalSampler: BatchSampler;
  private readonly act: Activations;
  /** The step's network ops after the batch (forward, loss, backward), and the evaluation's. */
  private readonly stepOps: Op[];
  private readonly evalForward: Op[];
  private levels: GPUBuffer | null = null;
  private data: GPUBuffer | null = null;

  private constructor(
    readonly device: GPUDevice,
    private readonly kernels: LearnKernels,
    readonly settings: Readonly<TrainSettings>,
  ) {
    const problem = trainProblem(settings);
    if (problem) throw new Error(problem);
    this.pool = new Pool(device);
    const { arch, batch } = settings;
    const count = parameterCount(arch);
    const pool = this.pool;
    const floats = pool.floats;
    const own = pool.own;
    const hyper = adamHyper(settings);
    this.state = new TrainState(device, kernels, pool, {
      init: initialParameters(arch, settings.seed),
      hyper,
      maxGradNorm: settings.maxGradNorm,
      emaDecay: settings.emaDecay,
    });
    this.params = this.state.params;
    this.ema = this.state.ema;
    const turns = networkTurns(arch);
    this.turns = floats('turns', turns.length, turns);
    this.rowTurns = floats('row turns', INPUTS * arch.frequencies, networkRowTurns(arch));
    this.net = this.netUniform();
    this.evalTable = own(new TrainTable(device, kernels.adamw, 1));
    this.evalTable.set(0, EVAL_STEP, hyper, true);
    this.evalTable.flush(1);

    const rowsOf = Math.max(batch, EVAL_ROWS);
    const act = allocateActivations(pool, arch, batch, rowsOf);
    this.act = act;

    const loss = own(createMseLoss(device, kernels, { batch, width: OUTPUTS }));
    this.lossPartials = floats('loss partials', loss.partialBytes / 4);

    const turns2 = this.rowTurns;
    const train = forwardOps(pool, device, kernels, arch, act, batch, this.params, turns2);
    const params = this.params;
    const grads = this.state.grads;
    // Past one chunk of rows, the weights' gradients sum the batch in chunks side by side.
    const { splits, chunk } = splitBatch(batch, count);
    const split =
      splits > 1
        ? { splits, chunk, partials: floats('weight partials', splits * count) }
        : undefined;
    this.weightSplits = splits;
    const backward = backwardOps(pool, device, kernels, arch, act, batch, params, grads, split);
    this.stepOps = [
      ...train,
      ...loss.ops({
        pred: act.out,
        goal: act.goal,
        weight: act.weight,
        grad: act.dOut,
        partials: this.lossPartials,
        losses: this.state.losses,
      }),
      ...backward,
    ];
    this.evalForward = forwardOps(pool, device, kernels, arch, act, EVAL_ROWS, this.ema, turns2);
    const batchOf = (rows: number): BatchSpec => ({
      rows,
      seed: settings.seed,
      target: arch.target,
      weighting: settings.weighting,
      classes: classInputs(arch),
      drop: settings.labelDropout ?? 0,
      embedStride: embeddingWidth(arch),
    });
    const outputs = { rows: act.rows, goal: act.goal, weight: act.weight, embedded: act.e };
    // Data without labels (or an unconditional network): a class buffer the kernel never reads.
    this.noLabels = floats('no labels', 1);
    const k = kernels.sampleBatch;
    this.sampler = own(
      new BatchSampler(device, k, batchOf(batch), outputs, this.state.table.binding),
    );
    this.evalSampler = own(
      new BatchSampler(device, k, batchOf(EVAL_ROWS), outputs, this.evalTable.binding),
    );
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    settings: TrainSettings,
  ): Promise<Trainer> {
    const problem = trainProblem(settings);
    if (problem) throw new Error(problem);
    return new Trainer(device, await compileLearnKernels(device, sources), settings);
  }

  get arch(): NetworkArch {
    return this.settings.arch;
  }

  /** Optimiser steps taken (recorded) since the weights were set. */
  get step(): number {
    return this.state.step;
  }

  get parameterCount(): number {
    return parameterCount(this.settings.arch);
  }

  /**
   * The stored points (array<vec2f>, m of them) the batches are drawn from, and their classes
   * (array<u32>; needed by a class-conditional network).
   */
  setData(data: GPUBuffer, m: number, labels?: GPUBuffer): void {
    if (!Number.isInteger(m) || m < 1) throw new Error(`training needs stored points, not ${m}`);
    if (classInputs(this.arch) && !labels)
      throw new Error('a class-conditional network trains on labelled points: no labels given');
    this.data = data;
    this.labels = labels ?? this.noLabels;
    this.dataCount = m;
    this.bindSampling();
  }
  private dataCount = 0;
  private labels: GPUBuffer | null = null;
  private readonly noLabels: GPUBuffer;

  /** The training grid's (alpha, sigma) pairs, t_k = (k + 1) / L (L = length / 2). */
  setLevels(levels: Float32Array<ArrayBuffer>): void {
    if (levels.length < 2 || levels.length % 2) throw new Error('levels: (alpha, sigma) pairs');
    for (let i = 0; i < levels.length; i++)
      if (!(levels[i]! >= 0) || !Number.isFinite(levels[i]!))
        throw new Error(`levels: ${levels[i]} at ${i}`);
    this.levels?.destroy();
    this.levels = createBuffer(this.device, {
      label: 'training levels',
      size: 0,
      usage: storage(),
      data: levels,
    });
    this.levelCount = levels.length / 2;
    this.bindSampling();
  }
  private levelCount = 0;

  /** The learning rate and weight decay of the next steps (the other settings rebuild). */
  setRate(lr: number, weightDecay: number): void {
    const problem = trainProblem({ ...this.settings, lr, weightDecay });
    if (problem) throw new Error(problem);
    this.state.setRate(lr, weightDecay);
  }

  get ready(): boolean {
    return !!this.sampler.op;
  }

  /** Records k steps (at most MAX_STEPS) into `encoder`, one pass each; returns how many. */
  encode(encoder: GPUCommandEncoder, k: number): number {
    const sample = this.sampler.op;
    if (!sample) return 0;
    return this.state.encode(encoder, k, sample, this.stepOps);
  }

  /**
   * The losses of the steps since the last read, in order (the last LOSS_RING of them when more
   * were taken meanwhile). A readback: a few times a second, not per frame.
   */
  readLosses(): Promise<{ first: number; losses: Float32Array }> {
    return this.state.readLosses();
  }

  /**
   * The EMA network's loss on a fixed batch stratified over t (EVAL_ROWS rows, the same draws
   * every time), averaged in EVAL_BINS bins of t: where in the noise range the model is wrong.
   */
  async evaluate(): Promise<Float64Array> {
    if (!this.evalSampler.op) throw new Error('no data to evaluate on');
    const encoder = this.device.createCommandEncoder({ label: 'evaluate' });
    const pass = encoder.beginComputePass({ label: 'evaluate' });
    record(pass, this.evalSampler.op, this.evalTable.offset(0, new Uint32Array(1)));
    for (const op of this.evalForward) record(pass, op);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    const rows = EVAL_ROWS;
    const [out, goal, weight] = await Promise.all([
      readback(this.device, this.act.out, 4 * OUTPUTS * rows),
      readback(this.device, this.act.goal, 4 * OUTPUTS * rows),
      readback(this.device, this.act.weight, 4 * rows),
    ]).then((bs) => bs.map((b) => new Float32Array(b)));
    const sums = new Float64Array(EVAL_BINS);
    const counts = new Float64Array(EVAL_BINS);
    for (let r = 0; r < rows; r++) {
      const k = Math.floor((r * this.levelCount) / rows);
      const bin = Math.min(EVAL_BINS - 1, Math.floor((k * EVAL_BINS) / this.levelCount));
      let sq = 0;
      for (let c = 0; c < OUTPUTS; c++)
        sq += (out![OUTPUTS * r + c]! - goal![OUTPUTS * r + c]!) ** 2;
      sums[bin] = sums[bin]! + weight![r]! * sq;
      counts[bin] = counts[bin]! + 1;
    }
    return sums.map((s, i) => s / Math.max(1, counts[i]!));
  }

  /**
   * The last training batch drawn: inputs, targets, weights and each row's class (NO_CLASS where
   * dropped or unconditional; read from the one-hot), a readback, for tests.
   */
  async readBatch(): Promise<{
    rows: Float32Array;
    goal: Float32Array;
    weight: Float32Array;
    labels: Int32Array;
  }> {
    const b = this.settings.batch;
    const E = embeddingWidth(this.arch);
    const C = classInputs(this.arch);
    const [rows, goal, weight, e] = await Promise.all([
      readback(this.device, this.act.rows, 4 * INPUTS * b),
      readback(this.device, this.act.goal, 4 * OUTPUTS * b),
      readback(this.device, this.act.weight, 4 * b),
      readback(this.device, this.act.e, 4 * E * b),
    ]);
    const embedded = new Float32Array(e);
    // A row's class: where its one-hot holds its single 1; NO_CLASS for all zeros; -2 for
    // anything else (a malformed one-hot, which the tests refuse).
    const labels = Int32Array.from({ length: b }, (_, r) => {
      const hot = embedded.subarray((r + 1) * E - C, (r + 1) * E);
      const ones = hot.filter((v) => v === 1).length;
      const zeros = hot.filter((v) => v === 0).length;
      if (zeros === C) return NO_CLASS;
      return ones === 1 && zeros === C - 1 ? hot.indexOf(1) : -2;
    });
    return {
      rows: new Float32Array(rows),
      goal: new Float32Array(goal),
      weight: new Float32Array(weight),
      labels,
    };
  }

  /** The EMA weights (what samples), as floats in the flat layout. A readback. */
  readWeights(which: 'ema' | 'params' = 'ema'): Promise<Float32Array<ArrayBuffer>> {
    return this.state.readWeights(which);
  }

  /** Sets the weights (raw and EMA), clears Adam's moments; `step`: the count to resume from. */
  setWeights(weights: Float32Array<ArrayBuffer>, step = 0): void {
    this.state.setWeights(weights, step);
  }

  /** Fresh initial weights from a seed (the settings' by default), step 0. */
  reset(seed = this.settings.seed): void {
    this.setWeights(initialParameters(this.settings.arch, seed));
  }

  destroy(): void {
    this.pool.destroy();
    this.levels?.destroy();
    this.net.destroy();
  }

  private bindSampling(): void {
    if (!this.data || !this.levels) return;
    for (const s of [this.sampler, this.evalSampler])
      s.bind(this.data, this.labels!, this.dataCount, this.levels, this.levelCount);
  }

  /** The architecture uniform of denoise_learned.wgsl. */
  private netUniform(): GPUBuffer {
    const a = this.settings.arch;
    return createBuffer(this.device, {
      label: 'net',
      size: 0,
      usage: GPUBufferUsage.UNIFORM,
      data: Uint32Array.of(
        a.width,
        a.depth,
        a.frequencies,
        ACTIVATIONS.indexOf(a.activation),
        TARGETS.indexOf(a.target),
        classInputs(a),
        0,
        0,
      ),
    });
  }
}
