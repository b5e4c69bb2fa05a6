/**
 * Quality against cost: runs every (sampler, schedule, NFE) combination on the GPU from the same
 * seed and measures the sliced Wasserstein-2 distance of its samples to the data, like the
 * DPM-Solver and EDM papers' FID-against-NFE figures. With a class set, the run samples p(x | c)
 * (guided by w), so the distance is to that class's points or images, and the metric says so. Runs in chunks and yields between them, so
 * the page keeps animating; cancellable with an AbortSignal.
 */
import type { ShaderSources } from '../../gpu/kernel';
import {
  datasetClasses,
  generateDataset,
  sampleMixture,
  subsamplePoints,
  type Dataset,
} from '../../maths/datasets';
import { isImageDataset } from '../../maths/imageDatasets';
import { classMixture } from '../../maths/guidance';
import { classPoints } from '../../maths/guidanceMeasures';
import { classImages } from '../../maths/imageGuidanceMeasures';
import { NearestImages } from '../distance/nearestImages';
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
import { stepsForNfe } from '../run/nfe';

export interface SweepSpec {
  samplers: readonly SamplerId[];
  schedules: readonly ScheduleId[];
  nfe: readonly number[];
}

export interface SweepRow {
  sampler: SamplerId;
  schedule: ScheduleId;
  /**
   * The denoiser evaluations the run made, two for each guided one: at most the NFE asked, the
   * most that fits (src/sim/run/nfe.ts stepsForNfe; one step where even one costs more).
   */
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
  /**
   * What `distance` is: sliced W2 for points, the nearest-training-image distance for images; to
   * the class's points or images when the settings name a class (`class`, -1 for all).
   */
  metric?: string;
  class?: number;
  /** The distance between two independent samples of the data of the same size: the best any sampler can show. */
  floor: number | null;
  points: number;
}

export interface SweepOptions {
  onProgress?: (done: number, total: number, row: SweepRow | null) => void;
  signal?: AbortSignal;
}

const CHUNK = 64;
const PROJECTIONS = 64;

const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

/**
 * `count` fresh points of class `label` of the data's distribution (as the floor draws them), or
 * null where none can be drawn.
 */
export function freshClass(
  dataset: Dataset,
  label: number,
  seed: number,
  count: number,
): Float32Array | null {
  const rng = new Rng(seed, Stream.subsample);
  if (dataset.mixture) return sampleMixture(classMixture(dataset.mixture, label), count, rng);
  if (dataset.id === 'custom' || isImageDataset(dataset.id)) return null;
  const id = dataset.id;
  // Four times the points a class of equal share needs: its share of them is nearly sure to do.
  const all = generateDataset(id, Math.min(200_000, 4 * count * datasetClasses(id)), seed);
  const own = classPoints(all.points, all.labels!, label);
  return own.length >= 2 * count ? own.subarray(0, 2 * count) : null;
}

/** The k-th independent sample of the data's distribution (of class `label` unless -1). */
function freshSample(
  dataset: Dataset,
  seed: number,
  k: number,
  count: number,
  label = -1,
): Float32Array | null {
  const s = seed + 1 + k;
  if (label !== -1) return freshClass(dataset, label, s, count);
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
 * The sample-vs-sample floor: the RMS distance of independent samples of the data (of the class,
 * with one), as large as the particles, to the reference. An exact sampler's distance fluctuates
 * around it.
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
    const fresh = freshSample(dataset, settings.seed, k, points, settings.class);
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
  const shape = { dim: datasetDim(dataset), mixture: !!dataset.mixture };
  for (const sampler of spec.samplers) {
    for (const schedule of spec.schedules) {
      for (const nfe of spec.nfe) {
        const steps = stepsForNfe({ ...base, sampler, schedule }, nfe, shape);
        const result = applyPatch(base, { mode: 'reverse', sampler, schedule, steps });
        if (!result.ok) throw new Error(`sweep: ${sampler} ${schedule} ${nfe}: ${result.error}`);
        configs.push(result.settings);
      }
    }
  }
  if (datasetDim(dataset) > 2) return imageSweep(device, sources, base, dataset, configs, options);
  // With a class, the samples are measured against the class's points: what the run samples.
  const label = base.class;
  if (label !== -1 && !dataset.labels) throw new Error(`sweep: ${dataset.id} has no classes`);
  const target =
    label === -1 ? dataset.points : classPoints(dataset.points, dataset.labels!, label);
  const points = Math.min(4096, floorPow2(Math.min(base.n, target.length / 2)));
  if (points < 256)
    throw new Error(
      `a sweep needs at least 256 particles and 256 data points${label === -1 ? '' : ` of class ${label}`}`,
    );
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
    sw.setReference(target);
    const floor = await sampleFloor(device, sw, dataset, base, points);
    const rows = await sweepRows(device, sim, configs, options, async () => ({
      distance: await sw.measure(sim.x),
      straightness: await straightness(),
    }));
    return { rows, floor, points, metric: pointMetric(label), class: label };
  } finally {
    sim.destroy();
    sw.destroy();
    observables.destroy();
  }
}

const POINT_METRIC = 'sliced Wasserstein-2 to the data';
const pointMetric = (label: number): string =>
  label === -1 ? POINT_METRIC : `sliced Wasserstein-2 to the points of class ${label}`;
const imageMetric = (label: number): string =>
  `mean distance to the nearest training image${label === -1 ? '' : ` of class ${label}`} (RMS per pixel)`;

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
  const label = base.class;
  const dim = datasetDim(dataset);
  if (label !== -1 && !dataset.labels) throw new Error(`sweep: ${dataset.id} has no classes`);
  const own = label === -1 ? null : classImages(dataset.points, dataset.labels!, label, dim);
  if (own?.length === 0) throw new Error(`sweep: class ${label} has no training image`);
  const sim = await Simulation.create(device, sources);
  const search = own ? await NearestImages.create(device, sources) : null;
  const usage = GPUBufferUsage.STORAGE;
  const ownBuffer =
    own && createBuffer(device, { label: 'class images', size: 0, usage, data: own });
  // The class's images alone: the nearest of them, RMS per pixel, averaged over the batch.
  const classDistance = async (): Promise<number> => {
    const near = await search!.search(sim.x, sim.n, ownBuffer!, own!.length / dim, dim);
    let sum = 0;
    for (const d1 of near.d1) sum += Math.sqrt(Math.max(d1, 0) / dim);
    return sum / sim.n;
  };
  try {
    sim.setData(dataset);
    sim.setParticles(base.n);
    const rows = await sweepRows(device, sim, configs, options, async () => ({
      distance: own ? await classDistance() : await nearestImageDistance(sim),
      straightness: NaN,
    }));
    return { rows, floor: null, points: base.n, metric: imageMetric(label), class: label };
  } finally {
    sim.destroy();
    ownBuffer?.destroy();
  }
}

/** The rows as CSV, with the floor as a comment line. */
export function sweepCsv(result: SweepResult): string {
  const lines = [
    `# ${result.metric ?? POINT_METRIC} over ${result.points} ${result.metric?.startsWith('sliced') === false ? 'images' : 'particles'}; sample-vs-sample floor ${result.floor ?? 'n/a'}`,
  ];
  lines.push('sampler,schedule,nfe,steps,distance,straightness');
  for (const r of result.rows)
    lines.push(`${r.sampler},${r.schedule},${r.nfe},${r.steps},${r.distance},${r.straightness}`);
  return `${lines.join('\n')}\n`;
}
