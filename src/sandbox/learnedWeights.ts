/**
 * The learned denoiser's settings as a network and a training run, and its weights kept across
 * reloads (IndexedDB) and lost devices (a copy here), as safetensors (src/io/modelFile.ts).
 */
import { decodeModel, encodeModel } from '../io/modelFile';
import { loadStoredModel, storeModel } from '../io/modelStore';
import { DEFAULT_ARCH, type NetworkArch } from '../maths/learn/network';
import type { TrainSettings } from '../maths/learn/training';
import type { Settings } from '../settings/settings';
import type { Trainer } from '../sim/learn/trainer';

/**
 * The IndexedDB key of the weights. Renamed when the embedding's frequencies took tiny-diffusion's
 * order (highest first): weights kept under the old key were trained on the reversed order.
 */
const STORE_KEY = 'learned-2d-v2';

export const archOf = (s: Readonly<Settings>): NetworkArch => ({
  ...DEFAULT_ARCH,
  width: s.modelWidth,
  depth: s.modelDepth,
  target: s.modelTarget,
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
  };
}

/**
 * A trainer's EMA weights (what samples) as a safetensors file. The step is read before the
 * readback: frames may train on while it waits, and the copy is of the steps submitted so far.
 */
export async function modelBytes(t: Trainer): Promise<{ bytes: ArrayBuffer; step: number }> {
  const step = t.step;
  const weights = await t.readWeights('ema');
  return { bytes: encodeModel({ arch: t.arch, weights, step }), step };
}

export class WeightKeeper {
  /** The weights last kept, to rebuild after a lost device; the step they are of. */
  private kept: ArrayBuffer | null = null;
  storedStep = -1;

  async store(t: Trainer): Promise<void> {
    const { bytes, step } = await modelBytes(t);
    this.kept = bytes;
    this.storedStep = step;
    await storeModel(STORE_KEY, bytes);
  }

  /** The kept or stored weights into a fresh trainer, when they fit its architecture. */
  async restore(trainer: Trainer): Promise<void> {
    const bytes = this.kept ?? (await loadStoredModel(STORE_KEY));
    if (!bytes) return;
    try {
      const file = decodeModel(bytes, trainer.arch);
      if (JSON.stringify(file.arch) !== JSON.stringify(trainer.arch)) return;
      trainer.setWeights(file.weights, file.step);
      this.storedStep = file.step;
    } catch {
      // A stored file this page cannot read is left alone: fresh weights.
    }
  }
}
