/**
 * The learned denoiser's settings as a network and a training run, and its weights kept across
 * reloads (IndexedDB) and lost devices (a copy here), as safetensors: the 2D network's
 * (src/io/modelFile.ts) and the image U-Net's (src/io/unetFile.ts), each under its own key.
 */
import { decodeModel, encodeModel } from '../io/modelFile';
import { loadStoredModel, storeModel } from '../io/modelStore';
import { decodeUNet, encodeUNet } from '../io/unetFile';
import { imageShapeOf, isImageDataset, type ImageDatasetId } from '../maths/imageDatasets';
import { classCount } from '../settings/classes';
import { classInputs, DEFAULT_ARCH, type NetworkArch } from '../maths/learn/network';
import type { TrainSettings, UNetTrainSettings } from '../maths/learn/training';
import { unetArchOf, unetClasses, type UNetArch } from '../maths/learn/unet';
import type { Settings } from '../settings/settings';
import type { Trainer } from '../sim/learn/trainer';
import type { UNetTrainer } from '../sim/learn/unetTrainer';

/** Either learned denoiser's trainer: the 2D network's, or the image U-Net's. */
export type AnyTrainer = Trainer | UNetTrainer;

export const isUNet = (t: AnyTrainer): t is UNetTrainer => 'plan' in t;

/**
 * The IndexedDB keys of the weights. The 2D key was renamed when the embedding's frequencies took
 * tiny-diffusion's order (highest first): weights kept under the old key were trained on the
 * reversed order.
 */
const STORE_KEY = 'learned-2d-v2';
const UNET_STORE_KEY = 'learned-unet-v1';

/** An architecture in a few words (the Model panel, file names). */
export function describeArch(arch: NetworkArch | UNetArch): { text: string; slug: string } {
  if ('channels' in arch)
    return {
      text: `U-Net, ${arch.channels} channels, ${arch.levels} levels, ${arch.target}`,
      slug: `unet-${arch.channels}c${arch.levels}l-${arch.target}`,
    };
  return {
    text: `${arch.width} wide, ${arch.depth} blocks, ${arch.target}`,
    slug: `${arch.width}x${arch.depth}-${arch.target}`,
  };
}

/** The label dropout a class-conditional network gets when the settings have none (Ho & Salimans 2022's 0.1). */
export const DEFAULT_LABEL_DROPOUT = 0.1;

/** The classes a network of the settings is conditioned on: the data's where labelDropout < 1. */
const classesOf = (s: Readonly<Settings>): number =>
  s.labelDropout < 1 ? classCount(s.dataset) : 0;

/** The 2D network of the settings: class-conditional on the data's labels where labelDropout < 1. */
export const archOf = (s: Readonly<Settings>): NetworkArch => ({
  ...DEFAULT_ARCH,
  width: s.modelWidth,
  depth: s.modelDepth,
  target: s.modelTarget,
  ...(classesOf(s) ? { classes: classesOf(s) } : {}),
});

export function trainSettings(s: Readonly<Settings>): TrainSettings {
  return {
    arch: archOf(s),
    batch: s.trainBatch,
    lr: s.trainLr,
    weightDecay: 0.01,
    emaDecay: s.emaDecay,
    maxGradNorm: 1,
    weighting: s.lossWeighting,
    seed: s.seed,
    labelDropout: s.labelDropout,
  };
}

/** The U-Net of the settings: class-conditional on the images' labels where labelDropout < 1. */
export const unetArchOfSettings = (s: Readonly<Settings>): UNetArch =>
  unetArchOf(s.unetChannels, s.unetLevels, s.modelTarget, classesOf(s));

/** The image U-Net's training run on images of dataset `id`. */
export function unetTrainSettings(s: Readonly<Settings>, id: ImageDatasetId): UNetTrainSettings {
  const { height, width, channels } = imageShapeOf(id);
  return {
    ...trainSettings(s),
    arch: unetArchOfSettings(s),
    image: { height, width, channels },
    batch: s.unetBatch,
  };
}

/**
 * A trainer's EMA weights (what samples) as a safetensors file. The step is read before the
 * readback: frames may train on while it waits, and the copy is of the steps submitted so far.
 */
export async function modelBytes(t: AnyTrainer): Promise<{ bytes: ArrayBuffer; step: number }> {
  const step = t.step;
  const weights = await t.readWeights('ema');
  const bytes = isUNet(t)
    ? encodeUNet({ ...t.settings, weights, step })
    : encodeModel({ arch: t.arch, weights, step });
  return { bytes, step };
}

/** A file's weights and step when they fit the trainer's network exactly; throws otherwise. */
export function fittingWeights(
  t: AnyTrainer,
  bytes: ArrayBuffer,
): { weights: Float32Array<ArrayBuffer>; step: number } | null {
  if (isUNet(t)) {
    const file = decodeUNet(bytes, t.settings);
    return JSON.stringify(file.arch) === JSON.stringify(t.settings.arch) ? file : null;
  }
  const file = decodeModel(bytes, t.arch);
  return JSON.stringify(file.arch) === JSON.stringify(t.arch) ? file : null;
}

/** Keeps each kind of network's weights: the 2D network's and the U-Net's apart. */
export class WeightKeeper {
  /** The weights last kept of each kind, to rebuild after a lost device. */
  private readonly kept = new Map<string, ArrayBuffer>();
  /** The step of the weights last kept, and of which trainer. */
  private stored: { trainer: AnyTrainer | null; step: number } = { trainer: null, step: -1 };

  /** The step last kept of this trainer (-1: none yet). */
  storedStep(t: AnyTrainer | null): number {
    return t && this.stored.trainer === t ? this.stored.step : -1;
  }

  async store(t: AnyTrainer): Promise<void> {
    const { bytes, step } = await modelBytes(t);
    const key = isUNet(t) ? UNET_STORE_KEY : STORE_KEY;
    this.kept.set(key, bytes);
    this.stored = { trainer: t, step };
    await storeModel(key, bytes);
  }

  /** The kept or stored weights into a fresh trainer, when they fit its architecture. */
  async restore(trainer: AnyTrainer): Promise<void> {
    const key = isUNet(trainer) ? UNET_STORE_KEY : STORE_KEY;
    const bytes = this.kept.get(key) ?? (await loadStoredModel(key));
    if (!bytes) return;
    try {
      const file = fittingWeights(trainer, bytes);
      if (!file) return;
      trainer.setWeights(file.weights, file.step);
      this.stored = { trainer, step: file.step };
    } catch {
      // A stored file this page cannot read is left alone: fresh weights.
    }
  }
}

/**
 * A weights file checked against the page's networks for the settings' data (the 2D network on
 * points, the U-Net on images): its weights, step and architecture as settings, or refused with
 * what is wrong.
 */
export function checkModelFile(
  buffer: ArrayBuffer,
  s: Readonly<Settings>,
): { weights: Float32Array<ArrayBuffer>; step: number; patch: Partial<Settings> } {
  if (isImageDataset(s.dataset)) {
    const file = decodeUNet(buffer, unetTrainSettings(s, s.dataset));
    const classes = unetClasses(file.arch);
    const made = unetArchOf(file.arch.channels, file.arch.levels, file.arch.target, classes);
    if (file.arch.frequencies !== made.frequencies || file.arch.groups !== made.groups)
      throw new Error(
        `the file's U-Net has ${file.arch.frequencies} frequencies and ${file.arch.groups} groups; this page's of ${file.arch.channels} channels has ${made.frequencies} and ${made.groups}`,
      );
    const patch = {
      unetChannels: file.arch.channels,
      unetLevels: file.arch.levels,
      modelTarget: file.arch.target,
      labelDropout: labelDropoutFor(classes, s),
    };
    return { ...file, patch };
  }
  const file = decodeModel(buffer, archOf(s));
  if (
    file.arch.frequencies !== DEFAULT_ARCH.frequencies ||
    file.arch.activation !== DEFAULT_ARCH.activation
  )
    throw new Error(
      `the file's network has ${file.arch.frequencies} frequencies and ${file.arch.activation}; this page's has ${DEFAULT_ARCH.frequencies} and ${DEFAULT_ARCH.activation}`,
    );
  const patch = {
    modelWidth: file.arch.width,
    modelDepth: file.arch.depth,
    modelTarget: file.arch.target,
    labelDropout: labelDropoutFor(classInputs(file.arch), s),
  };
  return { ...file, patch };
}

/**
 * The label dropout that makes the settings' network the file's: 1 (no class input) for a file
 * without classes; else the settings' own below 1, or DEFAULT_LABEL_DROPOUT. A class-conditional
 * file needs data of as many classes.
 */
function labelDropoutFor(classes: number, s: Readonly<Settings>): number {
  if (!classes) return 1;
  if (classes !== classCount(s.dataset))
    throw new Error(
      `the file's network is conditioned on ${classes} classes; ${s.dataset} has ${classCount(s.dataset)}`,
    );
  return s.labelDropout < 1 ? s.labelDropout : DEFAULT_LABEL_DROPOUT;
}

/** Whether two trainers are of the same network (kind, architecture, images): weights carry over. */
export function sameNetwork(a: AnyTrainer, b: AnyTrainer): boolean {
  if (isUNet(a) !== isUNet(b)) return false;
  const shape = (t: AnyTrainer) =>
    JSON.stringify(isUNet(t) ? [t.settings.arch, t.settings.image] : t.arch);
  return shape(a) === shape(b);
}

/** A network and its batch in a few words, for messages. */
export function describeTraining(s: TrainSettings | UNetTrainSettings): string {
  return 'image' in s
    ? `a U-Net of ${s.arch.channels} channels and ${s.arch.levels} levels at batch ${s.batch}`
    : `a network ${s.arch.width} wide at batch ${s.batch}`;
}
