/**
 * Generalisation against memorisation, as an experiment: a fresh network trained on M stored
 * points for each M, the memorised fraction of its samples (d1 / d2 < 1/3, SampleProbe) measured
 * every `every` steps, and the empirical denoiser's, which memorises by construction, for the same
 * points. Bonnaire et al. 2025 ("Why diffusion models don't memorize"): the training time at which
 * memorisation sets in grows linearly with M, so a small M memorises early and a large one never
 * within the run.
 */
import { DATASETS, generateDataset, type GeneratedDatasetId } from '../maths/datasets';
import { MAX_STEPS } from '../maths/learn/network';
import { trainingLevels } from '../maths/learn/training';
import type { Settings } from '../settings/settings';
import { Trainer, type TrainSettings } from '../sim/learn/trainer';
import type { SampleProbe } from './sampleProbe';

export interface MemorisationRow {
  m: number;
  /** The optimiser step (0 and the empirical denoiser's row: untrained). */
  step: number;
  memorised: number;
  denoiser: 'learned' | 'empirical';
}

export interface MemorisationOptions {
  ms: number[];
  steps: number;
  every: number;
  onProgress?: (rows: readonly MemorisationRow[]) => void;
  signal?: AbortSignal;
}

export const MEMORISATION_DEFAULTS = {
  ms: [8, 32, 128, 512, 2048, 10000],
  steps: 4000,
  every: 500,
};

export async function memorisationExperiment(
  device: GPUDevice,
  sources: Readonly<Record<string, string>>,
  probe: SampleProbe,
  s: Readonly<Settings>,
  train: TrainSettings,
  options: MemorisationOptions,
): Promise<MemorisationRow[]> {
  const id: GeneratedDatasetId = (DATASETS as readonly string[]).includes(s.dataset)
    ? (s.dataset as GeneratedDatasetId)
    : 'gaussians8';
  const schedule = { id: s.schedule, params: s };
  const rows: MemorisationRow[] = [];
  const push = (row: MemorisationRow): void => {
    rows.push(row);
    options.onProgress?.(rows);
  };
  for (const m of options.ms) {
    const dataset = generateDataset(id, m, s.seed);
    const empirical = await probe.memorised(dataset, null, schedule, s.seed);
    push({ m, step: 0, memorised: empirical, denoiser: 'empirical' });
    const trainer = await Trainer.create(device, sources, train);
    try {
      trainer.setData(probe.dataBuffer(dataset), m);
      trainer.setLevels(trainingLevels(s.schedule, s));
      const model = { net: trainer.net, model: trainer.ema, turns: trainer.turns };
      while (trainer.step < options.steps) {
        options.signal?.throwIfAborted();
        const target = Math.min(options.steps, trainer.step + options.every);
        while (trainer.step < target) {
          const encoder = device.createCommandEncoder({ label: 'memorisation experiment' });
          trainer.encode(encoder, Math.min(MAX_STEPS, target - trainer.step));
          device.queue.submit([encoder.finish()]);
        }
        const memorised = await probe.memorised(dataset, model, schedule, s.seed);
        push({ m, step: trainer.step, memorised, denoiser: 'learned' });
      }
    } finally {
      trainer.destroy();
    }
  }
  return rows;
}
