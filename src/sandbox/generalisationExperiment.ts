/**
 * The memorisation-to-generalisation transition of image models, as an experiment (issue 14;
 * Kadkhodaie, Guth, Simoncelli & Mallat, ICLR 2024): for each N, two U-Nets, each trained from
 * its own initial weights on its own N images (the first 2N of the dataset, split in halves), are
 * sampled from the same noise (DDIM, eta 0). With few images each copies its own (the two samples
 * differ, both memorised by the 1/3 rule); with many, both learn the same density and give nearly
 * the same image. Every `every` steps: the pair similarity and each network's memorised fraction
 * (src/maths/generalisation.ts). The results are kept in IndexedDB under the experiment's
 * settings: run again, an N already done is read back, not trained again (resumable).
 */
import { createBuffer } from '../gpu/buffers';
import { loadStoredModel, storeModel } from '../io/modelStore';
import { datasetSize } from '../maths/datasets';
import {
  pairSimilarity,
  samplesMemorised,
  switchN,
  type SampleMemorisation,
} from '../maths/generalisation';
import { imageShapeOf, isImageDataset, type ImageShape } from '../maths/imageDatasets';
import { MAX_STEPS } from '../maths/learn/network';
import { trainingLevels } from '../maths/learn/training';
import { reverseLevels } from '../maths/schedules';
import { IMAGE_M_MAX } from '../settings/settings';
import { UNetTrainer } from '../sim/learn/unetTrainer';
import { Simulation } from '../sim/run/simulation';
import type { Datasets } from './datasets';
import { unetTrainSettings } from './learnedWeights';
import type { SandboxState } from './state';

export interface GeneralisationRow {
  /** Training images of each network (2N in all, disjoint halves). */
  n: number;
  step: number;
  /** The mean similarity of the two networks' samples from the same noise (correlation). */
  similarity: number;
  /** Each network's memorised fraction (d1 / d2 < 1/3 against its own images). */
  memorised: [number, number];
}

/** The samples of the last step of an N, side by side, and each one's nearest training image. */
export interface GeneralisationPairs {
  n: number;
  a: number[];
  b: number[];
  nearestA: number[];
  nearestB: number[];
}

export interface GeneralisationResult {
  image: ImageShape;
  rows: GeneralisationRow[];
  pairs: GeneralisationPairs[];
  /** The N at which the memorised fraction falls through 1/2 (interpolated in log N), or null. */
  switchN: number | null;
}

export interface GeneralisationOptions {
  ns: number[];
  steps: number;
  every: number;
  /** Samples of each network (the same noise for both). */
  samples: number;
  sampleSteps: number;
  /** Start again, forgetting the kept results. */
  restart?: boolean;
  onProgress?: (result: GeneralisationResult) => void;
  signal?: AbortSignal;
}

export const GENERALISATION_DEFAULTS = {
  ns: [1, 4, 16, 64, 256, 1024, 5000],
  steps: 2000,
  every: 500,
  samples: 8,
  sampleSteps: 50,
};

/** Why these options cannot run, or null. */
export function generalisationProblem(o: GeneralisationOptions): string | null {
  const whole = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!o.ns.length || !o.ns.every((n) => whole(n, 1, IMAGE_M_MAX / 2)))
    return `ns: whole numbers of images per network, 1 to ${IMAGE_M_MAX / 2} (2N images in all)`;
  if (!whole(o.steps, 1, 1_000_000)) return `steps must be 1 to 1,000,000, not ${o.steps}`;
  if (!whole(o.every, 1, o.steps)) return `every must be 1 to steps (${o.steps}), not ${o.every}`;
  if (!whole(o.samples, 1, 64)) return `samples must be 1 to 64, not ${o.samples}`;
  if (!whole(o.sampleSteps, 1, 1000)) return `sampleSteps must be 1 to 1000, not ${o.sampleSteps}`;
  return null;
}

/** Samples kept to 1e-4 (and -0 as 0, as JSON keeps it): what the results store. */
const round = (v: Float32Array | Float64Array): number[] =>
  Array.from(v, (x) => Math.round(x * 1e4) / 1e4 || 0);

export async function generalisationExperiment(
  st: SandboxState,
  data: Datasets,
  partial: Partial<GeneralisationOptions>,
): Promise<GeneralisationResult> {
  const options = { ...GENERALISATION_DEFAULTS, ...partial };
  const s = st.current;
  if (!isImageDataset(s.dataset))
    throw new Error('the generalisation experiment is of images: pick mnist, shapes or colour');
  const problem = generalisationProblem(options);
  if (problem) throw new Error(`generalisationVsN: ${problem}`);
  const device = st.requireGpu().device;
  const ns = [...new Set(options.ns)].sort((a, b) => a - b);
  const most = ns.at(-1)!;
  const dataset = await data.make({ ...s, m: 2 * most });
  if (datasetSize(dataset) < 2 * most)
    throw new Error(`N ${most} needs ${2 * most} images; ${s.dataset} has ${datasetSize(dataset)}`);
  const image = imageShapeOf(s.dataset);
  const D = dataset.points.length / datasetSize(dataset);
  const train = unetTrainSettings(s, s.dataset);
  const { samples: K, steps, every, sampleSteps } = options;
  const key = `generalisation:${JSON.stringify({ ...train, dataset: s.dataset, schedule: s.schedule, steps, every, K, sampleSteps })}`;
  const kept = options.restart ? null : await loadResults(key);
  const result: GeneralisationResult = kept ?? { image, rows: [], pairs: [], switchN: null };
  const progress = (): void => {
    options.onProgress?.(result);
    st.events.generalisation?.(result);
  };
  const report = (): void => {
    const last = result.pairs.map((p) => {
      const row = result.rows.filter((r) => r.n === p.n).at(-1)!;
      return { n: p.n, memorised: (row.memorised[0] + row.memorised[1]) / 2 };
    });
    result.switchN = switchN(last.sort((a, b) => a.n - b.n));
    progress();
  };
  report();
  const sim = await Simulation.create(device, st.sources);
  const levels = trainingLevels(s.schedule, s);
  const run = {
    mode: 'reverse' as const,
    sampler: 'ddim' as const,
    denoiser: 'learned' as const,
    levels: reverseLevels(s.schedule, s, sampleSteps),
    eta: 0,
    seed: s.seed,
  };
  try {
    for (const n of ns) {
      if (result.pairs.some((p) => p.n === n)) continue;
      options.signal?.throwIfAborted();
      result.rows = result.rows.filter((r) => r.n !== n);
      const own = [0, 1].map((k) => dataset.points.subarray(k * n * D, (k + 1) * n * D));
      const buffers = own.map((points) =>
        createBuffer(device, {
          label: 'generalisation images',
          size: 0,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
          data: points,
        }),
      );
      // Each network from its own initial weights and batches: only the data should make them agree.
      const trainers = await Promise.all(
        [0, 1].map((k) => UNetTrainer.create(device, st.sources, { ...train, seed: s.seed + k })),
      );
      try {
        trainers.forEach((t, k) => {
          t.setData(buffers[k]!, n);
          t.setLevels(levels);
        });
        sim.setData({ id: dataset.id, points: own[0]!, mixture: null, dim: D });
        sim.setParticles(K);
        await sim.prepare(run);
        const sample = async (t: UNetTrainer): Promise<Float32Array> => {
          sim.setModel(t.model);
          sim.setRun(run);
          const encoder = device.createCommandEncoder({ label: 'generalisation samples' });
          sim.reset(encoder);
          sim.encodeSteps(encoder, sampleSteps);
          device.queue.submit([encoder.finish()]);
          return sim.positions();
        };
        let samples: Float32Array[] = [];
        let near: SampleMemorisation[] = [];
        while (trainers[0]!.step < steps) {
          options.signal?.throwIfAborted();
          const target = Math.min(steps, trainers[0]!.step + every);
          for (const t of trainers)
            while (t.step < target) {
              const encoder = device.createCommandEncoder({ label: 'generalisation training' });
              t.encode(encoder, Math.min(MAX_STEPS, target - t.step));
              device.queue.submit([encoder.finish()]);
            }
          samples = [await sample(trainers[0]!), await sample(trainers[1]!)];
          near = samples.map((x, k) => samplesMemorised(x, K, own[k]!, n, own[1 - k]!, D));
          result.rows.push({
            n,
            step: target,
            similarity: pairSimilarity(samples[0]!, samples[1]!, K, D),
            memorised: [near[0]!.memorised, near[1]!.memorised],
          });
          progress();
        }
        const nearest = (k: number): number[] =>
          Array.from(near[k]!.nearest).flatMap((j) => round(own[k]!.subarray(j * D, (j + 1) * D)));
        result.pairs.push({
          n,
          a: round(samples[0]!),
          b: round(samples[1]!),
          nearestA: nearest(0),
          nearestB: nearest(1),
        });
        result.pairs.sort((a, b) => a.n - b.n);
        report();
        await storeModel(key, new TextEncoder().encode(JSON.stringify(result)).buffer);
      } finally {
        for (const t of trainers) t.destroy();
        for (const b of buffers) b.destroy();
      }
    }
  } finally {
    sim.destroy();
  }
  return result;
}

/** The kept results of an experiment, or null (none, or unreadable: start afresh). */
async function loadResults(key: string): Promise<GeneralisationResult | null> {
  const bytes = await loadStoredModel(key);
  if (!bytes) return null;
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as GeneralisationResult;
    return Array.isArray(r.rows) && Array.isArray(r.pairs) ? r : null;
  } catch {
    return null;
  }
}
