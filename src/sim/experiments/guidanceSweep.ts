/**
 * What guidance does, against w (issue 15): for one class, runs the current sampler, schedule and
 * denoiser from the same noise at each guidance w and measures the final particles against the
 * class's stored points: the diversity (the Kozachenko-Leonenko entropy the physics view shows,
 * KnnEntropy, k = 4), the sliced Wasserstein-2 distance to the class's points (as the NFE sweep's,
 * SlicedWasserstein), and from a read-back of the measured particles the mean distance to the
 * nearest class point, the share off the data and the overshoot past the class's mean
 * (src/maths/guidanceMeasures.ts). Classifier-free guidance trades the one for the other (Ho &
 * Salimans 2022): as w grows the entropy falls and, past w = 1, the samples leave the data.
 */
import { createBuffer } from '../../gpu/buffers';
import type { ShaderSources } from '../../gpu/kernel';
import { datasetDim, type Dataset } from '../../maths/datasets';
import {
  classFit,
  classPoints,
  offDataRadius,
  outward,
  type ClassFit,
} from '../../maths/guidanceMeasures';
import { runSpec } from '../../settings/runSpec';
import type { Settings } from '../../settings/settings';
import { applyPatch } from '../../settings/validate';
import { referenceSample, SlicedWasserstein } from '../distance/slicedWasserstein';
import { KnnEntropy } from '../observe/entropy';
import { Simulation } from '../run/simulation';
import {
  imageGuidanceCsv,
  runImageGuidanceSweep,
  type ImageGuidanceResult,
  type ImageGuidanceRow,
} from './imageGuidanceSweep';
import { freshClass, runToEnd } from './sweep';

/** A guidance curve of either kind: of points (2D measures) or of images (imageGuidanceSweep.ts). */
export type GuidanceCurveResult = GuidanceSweepResult | ImageGuidanceResult;
export type AnyGuidanceRow = GuidanceRow | ImageGuidanceRow;

export interface GuidanceRow extends ClassFit {
  w: number;
  /** The run's NFE as the simulation counts it (its status()). */
  nfe: number;
  /** The Kozachenko-Leonenko entropy of the measured particles, nats (k = 4). */
  entropy: number;
  /** Sliced Wasserstein-2 distance of the measured particles to the class's points. */
  distance: number;
  /** With `particles: true`: the measured particles (the first `points`), x and y interleaved. */
  particles?: Float32Array;
}

export interface GuidanceSweepResult {
  kind: 'points';
  rows: GuidanceRow[];
  class: number;
  /** Particles measured (the first of the run's), and class points in the distance's reference. */
  points: number;
  /** The class's stored points that nearest, offData and overshoot are taken against (at most 4,096). */
  classPoints: number;
  /** The sliced W2 of fresh samples of the class to the reference: what a faithful sampler shows. */
  floor: number | null;
  /** The entropy of `points` of the class's stored points, by the same estimator. */
  dataEntropy: number;
  /** Farther than this from every class point is off the data (guidanceMeasures.ts). */
  offRadius: number;
  /** With `particles: true`: the distance's reference (the class's points), x and y interleaved. */
  reference?: Float32Array;
}

export interface GuidanceSweepOptions<Row = GuidanceRow> {
  ws: readonly number[];
  /** Return each row's measured particles and the reference too (tests, notebooks). */
  particles?: boolean;
  onProgress?: (rows: readonly Row[], total: number) => void;
  signal?: AbortSignal;
}

/** The default w: none (0), the class alone (1), and guidance from mild to far too strong. */
export const GUIDANCE_WS = [0, 0.5, 1, 1.5, 2, 3, 5, 8];
/** The most particles and class points measured (SlicedWasserstein sorts in one workgroup). */
const MAX_POINTS = 4096;
const PROJECTIONS = 64;
const FLOOR_SAMPLES = 8;

const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

/** The reason a guidance sweep cannot run on these settings, or null. */
export function guidanceSweepProblem(s: Readonly<Settings>, dataset: Dataset): string | null {
  if (s.class === -1)
    return 'guidanceSweep: pick a class first (class is -1, all): guidance pushes towards one class';
  if (!dataset.labels) return `guidanceSweep: ${dataset.id} has no class labels`;
  return null;
}

export async function runGuidanceSweep(
  device: GPUDevice,
  sources: ShaderSources,
  base: Readonly<Settings>,
  dataset: Dataset,
  options: GuidanceSweepOptions,
): Promise<GuidanceSweepResult> {
  const problem = guidanceSweepProblem(base, dataset);
  if (problem) throw new Error(problem);
  if (datasetDim(dataset) > 2)
    throw new Error('guidanceSweep: images take runImageGuidanceSweep (guidanceCurveSweep)');
  const configs = options.ws.map((guidance) => {
    const result = applyPatch(base, { mode: 'reverse', guidance, compare: false });
    if (!result.ok) throw new Error(`guidanceSweep: w = ${guidance}: ${result.error}`);
    return result.settings;
  });
  const own = classPoints(dataset.points, dataset.labels!, base.class);
  const points = Math.min(MAX_POINTS, floorPow2(Math.min(base.n, own.length / 2)));
  if (points < 256)
    throw new Error(
      `guidanceSweep: class ${base.class} needs at least 256 particles and 256 stored points, not ${Math.min(base.n, own.length / 2)}`,
    );
  const classRef = referenceSample(own, Math.min(MAX_POINTS, own.length / 2), base.seed);
  const offRadius = offDataRadius(classRef);
  const direction = outward(dataset.points, own);
  const sim = await Simulation.create(device, sources);
  const sw = await SlicedWasserstein.create(device, sources, {
    points,
    projections: PROJECTIONS,
    seed: 0,
  });
  const knn = await KnnEntropy.create(device, sources, { points, k: 4 });
  const buffers: GPUBuffer[] = [];
  const upload = (data: Float32Array<ArrayBuffer>, label: string): GPUBuffer => {
    const usage = GPUBufferUsage.STORAGE;
    const buffer = createBuffer(device, { label, size: data.byteLength, usage, data });
    buffers.push(buffer);
    return buffer;
  };
  try {
    sim.setData(dataset);
    sim.setParticles(base.n);
    sw.setReference(own);
    const reference = referenceSample(own, points, sw.seed);
    const dataEntropy = await knn.measure(upload(reference, 'class reference'), points);
    let floorSum = 0;
    let floor: number | null = null;
    for (let k = 0; k < FLOOR_SAMPLES; k++) {
      const fresh = freshClass(dataset, base.class, base.seed + 1 + k, points);
      if (!fresh) break;
      floorSum += (await sw.measure(upload(Float32Array.from(fresh), 'class sample'))) ** 2;
      if (k === FLOOR_SAMPLES - 1) floor = Math.sqrt(floorSum / FLOOR_SAMPLES);
    }
    const rows: GuidanceRow[] = [];
    options.onProgress?.(rows, configs.length);
    for (const settings of configs) {
      const run = runSpec(settings);
      await sim.prepare(run);
      sim.setRun(run);
      await runToEnd(device, sim, options.signal);
      const entropy = await knn.measure(sim.x, points);
      const distance = await sw.measure(sim.x);
      const measured = (await sim.positions()).slice(0, 2 * points);
      rows.push({
        w: settings.guidance,
        nfe: sim.status().nfe,
        entropy,
        distance,
        ...classFit(measured, classRef, offRadius, direction),
        ...(options.particles ? { particles: measured } : {}),
      });
      options.onProgress?.(rows, configs.length);
    }
    return {
      kind: 'points',
      rows,
      class: base.class,
      points,
      classPoints: classRef.length / 2,
      floor,
      dataEntropy,
      offRadius,
      ...(options.particles ? { reference } : {}),
    };
  } finally {
    sim.destroy();
    sw.destroy();
    knn.destroy();
    for (const b of buffers) b.destroy();
  }
}

/** The guidance curve of the dataset's kind: points (runGuidanceSweep) or images. */
export function guidanceCurveSweep(
  device: GPUDevice,
  sources: ShaderSources,
  base: Readonly<Settings>,
  dataset: Dataset,
  options: GuidanceSweepOptions<AnyGuidanceRow>,
): Promise<GuidanceCurveResult> {
  return datasetDim(dataset) > 2
    ? runImageGuidanceSweep(device, sources, base, dataset, options)
    : runGuidanceSweep(device, sources, base, dataset, options);
}

/** The rows as CSV, with what the columns are measured against as comment lines. */
export function guidanceCsv(r: GuidanceCurveResult): string {
  if (r.kind === 'images') return imageGuidanceCsv(r);
  const lines = [
    `# class ${r.class}: ${r.points} particles against ${r.classPoints} class points; sliced W2 floor ${r.floor ?? 'n/a'}; data entropy ${r.dataEntropy}; off the data past ${r.offRadius}`,
    'w,nfe,entropy,distance,nearest,offData,overshoot',
  ];
  for (const w of r.rows)
    lines.push([w.w, w.nfe, w.entropy, w.distance, w.nearest, w.offData, w.overshoot].join(','));
  return `${lines.join('\n')}\n`;
}
