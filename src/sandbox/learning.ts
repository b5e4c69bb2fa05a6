/**
 * Learning: the learned denoiser's network and its training, a part of the sandbox. It keeps one
 * trainer for the settings' architecture: the 2D network's (src/sim/learn/trainer.ts) on points,
 * the U-Net's (src/sim/learn/unetTrainer.ts) on images. It feeds it the stored points or images
 * and the schedule's training grid, lends its EMA weights to every lane (the denoiser 'learned'),
 * and trains `trainSpeed` steps per animation frame while `training` is on. A few times a second
 * it reads the losses; about once a second the loss by t; every few seconds it keeps the weights
 * in IndexedDB, so a reload finds them. Weights travel as safetensors (src/io/modelFile.ts).
 */
import { isImageDataset } from '../maths/imageDatasets';
import { trainingLevels } from '../maths/learn/training';
import type { Settings } from '../settings/settings';
import { Trainer } from '../sim/learn/trainer';
import { UNetTrainer } from '../sim/learn/unetTrainer';
import {
  MEMORISATION_DEFAULTS,
  memorisationExperiment,
  type MemorisationOptions,
  type MemorisationRow,
} from './memorisationExperiment';
import { SampleProbe } from './sampleProbe';
import {
  archOf,
  checkModelFile,
  describeTraining,
  isUNet,
  modelBytes,
  trainSettings,
  unetArchOfSettings,
  sameNetwork,
  unetTrainSettings,
  WeightKeeper,
  type AnyTrainer,
} from './learnedWeights';
import type { SandboxState } from './state';
import type { TrainingSnapshot } from './types';

/** How often the losses are read, the loss by t evaluated and the weights stored (ms). */
const READ_MS = 250;
const EVALUATE_MS = 1000;
const STORE_MS = 5000;
/** The memorisation probe's least interval, and its share of the time at most (1 / PROBE_SHARE). */
const PROBE_MS = 2000;
const PROBE_SHARE = 10;
const TRAIN_ENCODER: GPUCommandEncoderDescriptor = { label: 'train' };
/** Steps per submission when a script trains (train()). */
const SCRIPT_CHUNK = 128;

const sameLevels = (a: Float32Array | null, b: Float32Array): boolean =>
  !!a && a.length === b.length && a.every((v, i) => v === b[i]);

export class Learning {
  private trainer: AnyTrainer | null = null;
  /** What the trainer was built for: a new one when this changes. */
  private built = '';
  private data: GPUBuffer | null = null;
  private levels: Float32Array | null = null;
  /** The mean loss of each read, against the step it reached. */
  private readonly history = { steps: [] as number[], losses: [] as number[] };
  private lossByT: Float64Array | null = null;
  private lastRead = 0;
  private nextEvaluation = 0;
  private lastStored = 0;
  private readonly keeper = new WeightKeeper();
  private reading: Promise<void> | null = null;
  private rate = { step: 0, time: 0, perSecond: 0 };
  /** The memorised fraction of the network's samples against the step (SampleProbe). */
  private readonly memorisation = { steps: [] as number[], fractions: [] as number[] };
  private probe: Promise<SampleProbe> | null = null;
  private probing: Promise<void> | null = null;
  private nextProbe = 0;
  private probedStep = -1;

  constructor(private readonly state: SandboxState) {}

  /** Whether the settings use the network: a lane samples with it, or it trains. */
  static needed(s: Readonly<Settings>, laneB: Readonly<Settings> | null): boolean {
    return s.denoiser === 'learned' || laneB?.denoiser === 'learned' || s.training;
  }

  get ready(): boolean {
    return !!this.trainer;
  }

  /**
   * Makes (or keeps) the trainer for the settings, bound to the current data and schedule, and
   * lends its weights to the lanes. Call after the lanes' data is set, before their runs start.
   * Nothing until the settings need a network (or `force`: a script's train(), saveModel()...).
   * A new architecture starts from fresh weights, or from the stored ones when they fit it; a new
   * batch, weighting or EMA decay keeps the weights.
   */
  async prepare(force = false): Promise<void> {
    const st = this.state;
    const s = st.current;
    const laneB = st.lanes.length > 1 ? st.laneSettings(1) : null;
    if (!(force || this.trainer || Learning.needed(s, laneB))) return;
    const device = st.requireGpu().device;
    // Images train the U-Net, points the 2D network.
    const image = st.imageMode && isImageDataset(s.dataset) ? s.dataset : null;
    const settings = image ? unetTrainSettings(s, image) : trainSettings(s);
    const key = JSON.stringify({ ...settings, lr: 0 });
    if (!this.trainer || key !== this.built) {
      const previous = this.trainer;
      const next = await (
        'image' in settings
          ? UNetTrainer.create(device, st.sources, settings)
          : Trainer.create(device, st.sources, settings)
      ).catch((e: unknown) => {
        throw new Error(`this GPU cannot train ${describeTraining(settings)}: ${String(e)}`);
      });
      if (previous && sameNetwork(previous, next)) {
        next.setWeights(await previous.readWeights('params'), previous.step);
      } else {
        // The other network's latest steps kept before it goes; this one's from where it was.
        if (previous && this.keeper.storedStep(previous) !== previous.step)
          await this.keeper.store(previous);
        await this.keeper.restore(next);
        this.clearHistory();
        this.lossByT = null;
      }
      for (const l of st.lanes) l.sim.setModel(null);
      previous?.destroy();
      this.trainer = next;
      this.built = key;
      this.data = null;
      this.levels = null;
    }
    const trainer = this.trainer;
    trainer.setRate(s.trainLr, 0.01);
    const lane = st.requireLane();
    if (this.data !== lane.sim.data) {
      trainer.setData(lane.sim.data, lane.sim.dataPoints, lane.sim.labels);
      this.data = lane.sim.data;
    }
    const levels = trainingLevels(s.schedule, s);
    if (!sameLevels(this.levels, levels)) {
      trainer.setLevels(levels);
      this.levels = levels;
    }
    const model = isUNet(trainer)
      ? trainer.model
      : { net: trainer.net, model: trainer.ema, turns: trainer.turns };
    for (const l of st.lanes) l.sim.setModel(model);
    // Paused: the last losses read and the weights kept now, not at the next reading's time.
    if (!s.training) {
      await this.reading;
      const read = this.history.steps.at(-1) ?? 0;
      if (read !== trainer.step) await this.readLosses(trainer);
      if (this.keeper.storedStep(trainer) !== trainer.step) await this.store();
      if (read !== trainer.step) st.events.training?.(this.snapshot());
    }
  }

  /** One animation frame: trainSpeed steps while training. Never reads back, never waits. */
  frame(now: number): void {
    const st = this.state;
    const trainer = this.trainer;
    if (!trainer?.ready || !st.current.training || this.scripted) return;
    const device = st.requireGpu().device;
    const encoder = device.createCommandEncoder(TRAIN_ENCODER);
    trainer.encode(encoder, st.current.trainSpeed);
    device.queue.submit([encoder.finish()]);
    if (now - this.lastRead >= READ_MS && !this.reading) {
      this.lastRead = now;
      this.reading = this.poll(now).finally(() => (this.reading = null));
    }
  }

  /** Reads the new losses (and now and then the loss by t), tells the page, keeps the weights. */
  private async poll(now: number): Promise<void> {
    const trainer = this.trainer;
    if (!trainer) return;
    await this.readLosses(trainer);
    const elapsed = (now - this.rate.time) / 1000;
    if (elapsed > 0.9) {
      this.rate.perSecond = this.rate.time ? (trainer.step - this.rate.step) / elapsed : 0;
      this.rate = { ...this.rate, step: trainer.step, time: now };
    }
    if (now >= this.nextEvaluation) {
      // At most a 1 / PROBE_SHARE of the time: a U-Net's evaluation is no small batch on a CPU.
      const started = performance.now();
      this.lossByT = await trainer.evaluate();
      this.nextEvaluation =
        now + Math.max(EVALUATE_MS, PROBE_SHARE * (performance.now() - started));
    }
    if (now >= this.nextProbe && !this.probing && trainer.step !== this.probedStep)
      this.probing = this.measureMemorisation(now).finally(() => (this.probing = null));
    if (now - this.lastStored >= STORE_MS && trainer.step !== this.keeper.storedStep(trainer)) {
      this.lastStored = now;
      await this.store();
    }
    if (trainer === this.trainer) this.state.events.training?.(this.snapshot());
  }

  /** The mean loss of the steps since the last reading, as a point of the loss chart. */
  private async readLosses(trainer: AnyTrainer): Promise<void> {
    const { losses } = await trainer.readLosses();
    if (!losses.length) return;
    let sum = 0;
    for (const l of losses) sum += l;
    this.history.steps.push(trainer.step);
    this.history.losses.push(sum / losses.length);
  }

  /** Where training stands: for the Model panel and model(). */
  snapshot(): TrainingSnapshot {
    const t = this.trainer;
    const s = this.state.current;
    const arch = t?.settings.arch ?? (this.state.imageMode ? unetArchOfSettings(s) : archOf(s));
    return {
      arch,
      parameters: t?.parameterCount ?? 0,
      step: t?.step ?? 0,
      loss: this.history.losses.at(-1) ?? null,
      stepsPerSecond: s.training ? this.rate.perSecond : 0,
      history: { steps: this.history.steps.slice(), losses: this.history.losses.slice() },
      lossByT: this.lossByT ? Array.from(this.lossByT) : null,
      memorisation: {
        steps: this.memorisation.steps.slice(),
        fractions: this.memorisation.fractions.slice(),
      },
    };
  }

  /**
   * The memorised fraction of PROBE_SAMPLES samples of the EMA network (a side run, fixed noise)
   * at the current step; at most every PROBE_MS and a 1 / PROBE_SHARE of the time.
   */
  private async measureMemorisation(now: number): Promise<void> {
    const st = this.state;
    const trainer = this.trainer;
    const dataset = st.dataset;
    // Of 2D samples only: the images' memorisation is the grid's (nearest training images).
    if (!trainer || !dataset || isUNet(trainer)) return;
    const started = performance.now();
    this.probe ??= SampleProbe.create(st.requireGpu().device, st.sources);
    const probe = await this.probe;
    const step = trainer.step;
    const s = st.current;
    const model = { net: trainer.net, model: trainer.ema, turns: trainer.turns };
    const fraction = await probe.memorised(dataset, model, { id: s.schedule, params: s }, s.seed);
    if (trainer !== this.trainer) return;
    this.memorisation.steps.push(step);
    this.memorisation.fractions.push(fraction);
    this.probedStep = step;
    this.nextProbe = now + Math.max(PROBE_MS, PROBE_SHARE * (performance.now() - started));
  }

  /**
   * A script's train(): `batch` and `lr` set first when given (as settings), then `steps`
   * optimiser steps now; resolves with each step's loss.
   */
  async trainNow(
    options: { steps: number; batch?: number; lr?: number },
    configure: (patch: Partial<Settings>) => Promise<void>,
  ): Promise<Float32Array> {
    this.state.refuseWhileRecording();
    const patch: Partial<Settings> = {};
    if (options.batch !== undefined)
      patch[this.state.imageMode ? 'unetBatch' : 'trainBatch'] = options.batch;
    if (options.lr !== undefined) patch.trainLr = options.lr;
    await configure(patch);
    await this.prepare(true);
    return this.train(options.steps);
  }

  /**
   * Loads weights from a safetensors file: checked whole first (a malformed file, or tensors that
   * do not fit, is refused and the current network stays), then its architecture set as settings.
   */
  async load(
    bytes: ArrayBuffer,
    configure: (patch: Partial<Settings>) => Promise<void>,
  ): Promise<void> {
    this.state.refuseWhileRecording();
    const { patch, adopt } = this.check(bytes);
    await configure(patch);
    await this.prepare(true);
    await adopt();
  }

  /** `steps` optimiser steps now; resolves with each step's loss. */
  private async train(steps: number): Promise<Float32Array> {
    const trainer = this.requireTrainer();
    const device = this.state.requireGpu().device;
    const losses = new Float32Array(steps);
    this.scripted = true;
    try {
      await this.reading;
      await trainer.readLosses();
      let done = 0;
      while (done < steps) {
        const encoder = device.createCommandEncoder(TRAIN_ENCODER);
        const n = trainer.encode(encoder, Math.min(SCRIPT_CHUNK, steps - done));
        device.queue.submit([encoder.finish()]);
        const chunk = (await trainer.readLosses()).losses.subarray(-n);
        losses.set(chunk, done);
        done += n;
        this.history.steps.push(trainer.step);
        this.history.losses.push(chunk.reduce((a, b) => a + b, 0) / n);
      }
      this.lossByT = await trainer.evaluate();
      await this.measureMemorisation(performance.now());
      await this.store();
    } finally {
      this.scripted = false;
    }
    this.state.events.training?.(this.snapshot());
    return losses;
  }
  /** Set while a script trains: frames leave the trainer alone. */
  private scripted = false;

  /** Memorisation against M and training (./memorisationExperiment.ts), with fresh networks. */
  async experiment(options: Partial<MemorisationOptions>): Promise<MemorisationRow[]> {
    const st = this.state;
    if (st.imageMode) throw new Error('the memorisation experiment is of 2D points');
    const device = st.requireGpu().device;
    this.probe ??= SampleProbe.create(device, st.sources);
    return memorisationExperiment(
      device,
      st.sources,
      await this.probe,
      st.current,
      // Memorisation of the unlabelled points: an unconditional network whatever the settings'.
      trainSettings({ ...st.current, labelDropout: 1 }),
      { ...MEMORISATION_DEFAULTS, ...options },
    );
  }

  /** The EMA weights (what samples) as a safetensors file. */
  async save(): Promise<ArrayBuffer> {
    return (await modelBytes(this.requireTrainer())).bytes;
  }

  /**
   * Checks a file against the settings' architecture (or the one it names) before anything
   * changes; returns the architecture's settings for the caller to apply, then `adopt`.
   */
  private check(buffer: ArrayBuffer): { patch: Partial<Settings>; adopt: () => Promise<void> } {
    const file = checkModelFile(buffer, this.state.current);
    const { patch } = file;
    return {
      patch,
      adopt: async () => {
        const t = this.requireTrainer();
        t.setWeights(file.weights, file.step);
        this.clearHistory();
        this.lossByT = await t.evaluate().catch(() => null);
        await this.store();
        this.state.events.training?.(this.snapshot());
      },
    };
  }

  /** Fresh weights (the settings' seed), history cleared, the stored copy replaced. */
  async reset(): Promise<void> {
    const t = this.requireTrainer();
    t.reset();
    this.clearHistory();
    this.lossByT = null;
    await this.store();
    this.state.events.training?.(this.snapshot());
  }

  /** The device is gone: so is the trainer; the next prepare() rebuilds from the kept weights. */
  forgetDevice(): void {
    this.trainer = null;
    this.built = '';
    this.probe = null;
  }

  destroy(): void {
    this.trainer?.destroy();
    this.trainer = null;
    void this.probe?.then((p) => p.destroy());
    this.probe = null;
  }

  private requireTrainer(): AnyTrainer {
    if (!this.trainer) throw new Error("no network: set denoiser 'learned' or training first");
    return this.trainer;
  }

  private clearHistory(): void {
    this.history.steps.length = 0;
    this.history.losses.length = 0;
    this.memorisation.steps.length = 0;
    this.memorisation.fractions.length = 0;
    this.probedStep = -1;
    this.rate = { step: 0, time: 0, perSecond: 0 };
  }

  /** Keeps the weights in IndexedDB (and here, for a rebuild after a lost device). */
  private async store(): Promise<void> {
    if (this.trainer) await this.keeper.store(this.trainer);
  }
}
