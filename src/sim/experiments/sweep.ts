/**
 * Quality against cost: runs every (sampler, schedule, NFE) combination on the GPU from the same
 * seed and measures the sliced Wasserstein-2 distance of its samples to the data, like the
 * DPM-Solver and EDM papers' FID-against-NFE figures. Runs in chunks and yields between them, so
 * the page keeps animating; cancellable with an AbortSignal.
 */
import type { ShaderSources } from '../../gpu/kernel';
import {
  generateDataset,
  sampleMixture,
  subsamplePoints,
  type Dataset,
} from '../../maths/datasets';
import { isImageDataset } from '../../maths/imageDatasets';
import { Rng, Stream } from '../../maths/rng';
import type { ScheduleId } from '../../maths/schedules';
import { runSpec } from '../../settings/runSpec';
import { type SamplerId, type Settings } from '../../settings/settings';
import { applyPatch } from '../../settings/validate';
import { Simulation } from '../run/simulation';
import { SlicedWasserstein } from '../distance/slicedWasserstein';
import { createBuffer } from '../../gpu/buffers';
import { datasetDim } from '../../maths/datasets';
import { nearestImageDistance } from '../distance/imageDistance';
import { Observables } from '../observe/observables';

export interface SweepSpec {
  samplers: readonly SamplerId[];
  schedules: readonly ScheduleId[];
  nfe: readonly number[];
}

export interface SweepRow {
  sampler: SamplerId;
  schedule: ScheduleId;
  /** The denoiser evaluations the run made (Heun's may differ from the asked NFE by one). */
  nfe: number;
  steps: number;
  /**
   * Sliced Wasserstein-2 distance of the samples to the data; images: the mean distance to the
   * nearest training image, RMS per pixel (src/sim/distance/imageDistance.ts says why).
   */
  distance: number;
  /**
   * The paths' straightness at the end of the run: the mean over particles of L / D - 1
   * (src/maths/straightness.ts); NaN for images, whose sweep does not measure it.
   */
  straightness: number;
}

export interface SweepResult {
  rows: SweepRow[];
  /** What `distance` is: sliced W2 for points, the nearest-training-image distance for images. */
  metric?: string;
  /** The distance between two independent samples of the data of the same size: the best any sampler can show. */
  floor: number | null;
  points: number;
}

export interface SweepOptions {
  onProgress?: (done: number, total: number, row: SweepRow | null) => void;
  signal?: AbortSignal;
}

/** Steps that spend about `nfe` denoiser evaluations: Heun uses two per step but the last. */
export function stepsForNfe(sampler: SamplerId, nfe: number): number {
  return sampler === 'heun' ? Math.max(1, Math.round((nfe + 1) / 2)) : Math.max(1, Math.round(nfe));
}

const CHUNK = 64;
const PROJECTIONS = 64;

const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

/** The k-th independent sample of the data's distribution, where one can be drawn. */
function freshSample(
  dataset: Dataset,
  seed: number,
  k: number,
  count: number,
): Float32Array | null {
  const s = seed + 1 + k;
  if (dataset.mixture) return sampleMixture(dataset.mixture, count, new Rng(s, Stream.subsample));
  if (dataset.id !== 'custom' && !isImageDataset(dataset.id))
    return generateDataset(dataset.id, count, s).points;
  // Custom data: the stored points not in the reference, if there are enough of them.
  const rest = dataset.points.subarray(2 * count);
  return rest.length >= 2 * count ? subsamplePoints(rest, count, s) : null;
}

/** Samples the floor is averaged over: one draw of it varies by tens of percent. */
const FLOOR_SAMPLES = 8;

/**
 * The sample-vs-sample floor: the RMS distance of independent samples of the data, as large as
 * the particles, to the reference. An exact sampler's distance fluctuates around it.
 */
async function sampleFloor(
  device: GPUDevice,
  sw: SlicedWasserstein,
  dataset: Dataset,
  settings: Readonly<Settings>,
  points: number,
): Promise<number | null> {
  let sum = 0;
  for (let k = 0; k < FLOOR_SAMPLES; k++) {
    const fresh = freshSample(dataset, settings.seed, k, points);
    if (!fresh) return null;
    const buffer = createBuffer(device, {
      label: 'floor sample',
      size: fresh.byteLength,
      usage: GPUBufferUsage.STORAGE,
      data: fresh,
    });
    sum += (await sw.measure(buffer)) ** 2;
    buffer.destroy();
  }
  return Math.sqrt(sum / FLOOR_SAMPLES);
}

export async function runSweep(
  device: GPUDevice,
  sources: ShaderSources,
  base: Readonly<Settings>,
  dataset: Dataset,
  spec: SweepSpec,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const configs: Settings[] = [];
  for (const sampler of spec.samplers) {
    for (const schedule of spec.schedules) {
      for (const nfe of spec.nfe) {
        const steps = stepsForNfe(sampler, nfe);
        const result = applyPatch(base, { mode: 'reverse', sampler, schedule, steps });
        if (!result.ok) throw new Error(`sweep: ${sampler} ${schedule} ${nfe}: ${result.error}`);
        configs.push(result.settings);
      }
    }
  }
  if (datasetDim(dataset) > 2) return imageSweep(device, sources, base, dataset, configs, options);
  const points = Math.min(4096, floorPow2(Math.min(base.n, dataset.points.length / 2)));
  if (points < 256) throw new Error('a sweep needs at least 256 particles and 256 data points');
  const sim = await Simulation.create(device, sources);
  const sw = await SlicedWasserstein.create(device, sources, {
    points,
    projections: PROJECTIONS,
    seed: 0,
  });
  const observables = await Observables.create(device, sources);
  const straightness = async (): Promise<number> =>
    (await observables.measure({ x: sim.x, n: sim.n, path: sim.path })).straightness;
  try {
    sim.setData(dataset);
    sim.setParticles(base.n);
    sw.setReference(dataset.points);
    const floor = await sampleFloor(device, sw, dataset, base, points);
    const rows = await sweepRows(device, sim, configs, options, async () => ({
      distance: await sw.measure(sim.x),
      straightness: await straightness(),
    }));
    return { rows, floor, points, metric: POINT_METRIC };
  } finally {
    sim.destroy();
    sw.destroy();
    observables.destroy();
  }
}

const POINT_METRIC = 'sliced Wasserstein-2 to the data';
const IMAGE_METRIC = 'mean distance to the nearest training image (RMS per pixel)';

/** Each configuration run from reset to the end on `sim`, then its readings: one row each. */
async function sweepRows(
  device: GPUDevice,
  sim: Simulation,
  configs: readonly Settings[],
  options: SweepOptions,
  measure: () => Promise<Pick<SweepRow, 'distance' | 'straightness'>>,
): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  options.onProgress?.(0, configs.length, null);
  for (const settings of configs) {
    if (options.signal?.aborted) throw new DOMException('the sweep was cancelled', 'AbortError');
    const run = runSpec(settings);
    // Compiled once per device: the live lanes' and earlier sweeps' kernels are reused.
    await sim.prepare(run);
    sim.setRun(run);
    await runToEnd(device, sim, options.signal);
    const row: SweepRow = {
      sampler: settings.sampler,
      schedule: settings.schedule,
      nfe: sim.status().nfe,
      steps: settings.steps,
      ...(await measure()),
    };
    rows.push(row);
    options.onProgress?.(rows.length, configs.length, row);
  }
  return rows;
}

/** Runs one configuration from reset to the end, in chunks; cancellable between them. */
export async function runToEnd(
  device: GPUDevice,
  sim: Simulation,
  signal?: AbortSignal,
): Promise<void> {
  let encoder = device.createCommandEncoder({ label: 'sweep reset' });
  sim.reset(encoder);
  device.queue.submit([encoder.finish()]);
  while (!sim.done) {
    if (signal?.aborted) throw new DOMException('the sweep was cancelled', 'AbortError');
    encoder = device.createCommandEncoder({ label: 'sweep steps' });
    sim.encodeSteps(encoder, CHUNK);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
}

/**
 * The sweep of an image dataset over its batch of n images: each run's distance is its mean
 * nearest-training-image distance. No floor: samples of the training set itself are at 0.
 */
async function imageSweep(
  device: GPUDevice,
  sources: ShaderSources,
  base: Readonly<Settings>,
  dataset: Dataset,
  configs: readonly Settings[],
  options: SweepOptions,
): Promise<SweepResult> {
  const sim = await Simulation.create(device, sources);
  try {
    sim.setData(dataset);
    sim.setParticles(base.n);
    const rows = await sweepRows(device, sim, configs, options, async () => ({
      distance: await nearestImageDistance(sim),
      straightness: NaN,
    }));
    return { rows, floor: null, points: base.n, metric: IMAGE_METRIC };
  } finally {
    sim.destroy();
  }
}

/** The rows as CSV, with the floor as a comment line. */
export function sweepCsv(result: SweepResult): string {
  const lines = [
    `# ${result.metric ?? POINT_METRIC} over ${result.points} ${result.metric === IMAGE_METRIC ? 'images' : 'particles'}; sample-vs-sample floor ${result.floor ?? 'n/a'}`,
  ];
  lines.push('sampler,schedule,nfe,steps,distance,straightness');
  for (const r of result.rows)
    lines.push(`${r.sampler},${r.schedule},${r.nfe},${r.steps},${r.distance},${r.straightness}`);
  return `${lines.join('\n')}\n`;
}
