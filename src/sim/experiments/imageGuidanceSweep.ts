/**
 * The guidance curve on images (issue 15): for one class of MNIST or shapes, runs the current
 * sampler, schedule and denoiser from the same noise at each guidance w, then searches every
 * sample's nearest training image on the GPU twice (among all M images, and among the class's
 * M_c) and reads the measures of src/maths/imageGuidanceMeasures.ts from those searches and the
 * read-back samples: the share on the class, the distance to it, the diversity as distinct nearest
 * class images, the saturated pixels and the overshoot past the class's mean.
 */
import { createBuffer } from '../../gpu/buffers';
import type { ShaderSources } from '../../gpu/kernel';
import { datasetDim, datasetSize, type Dataset } from '../../maths/datasets';
import {
  classImages,
  expectedDistinct,
  imageClassFit,
  imageOutward,
  pixelRange,
  type ImageClassFit,
} from '../../maths/imageGuidanceMeasures';
import { runSpec } from '../../settings/runSpec';
import type { Settings } from '../../settings/settings';
import { applyPatch } from '../../settings/validate';
import { NearestImages } from '../distance/nearestImages';
import { Simulation } from '../run/simulation';
import { runToEnd } from './sweep';

export interface ImageGuidanceRow extends ImageClassFit {
  w: number;
  /** The run's NFE as the simulation counts it (its status()). */
  nfe: number;
  /** With `particles: true`: the n samples, dim floats each. */
  particles?: Float32Array;
}

export interface ImageGuidanceResult {
  kind: 'images';
  rows: ImageGuidanceRow[];
  class: number;
  /** Samples measured: the run's n. */
  points: number;
  /** The class's training images (M_c) and all of them (M). */
  classPoints: number;
  images: number;
  dim: number;
  /** The distinct count n uniform draws from the class's images reach on average. */
  expectedDistinct: number;
  /** M_c / M: about the share on the class of the unconditional run (w = 0). */
  classShare: number;
  /** The pixel range past which a pixel counts as saturated. */
  range: [number, number];
}

export interface ImageGuidanceOptions {
  ws: readonly number[];
  particles?: boolean;
  onProgress?: (rows: readonly ImageGuidanceRow[], total: number) => void;
  signal?: AbortSignal;
}

export async function runImageGuidanceSweep(
  device: GPUDevice,
  sources: ShaderSources,
  base: Readonly<Settings>,
  dataset: Dataset,
  options: ImageGuidanceOptions,
): Promise<ImageGuidanceResult> {
  const dim = datasetDim(dataset);
  const labels = dataset.labels;
  if (!labels) throw new Error(`guidanceSweep: ${dataset.id} has no class labels on its images`);
  if (base.class === -1)
    throw new Error(
      'guidanceSweep: pick a class first (class is -1, all): guidance pushes towards one class',
    );
  const configs = options.ws.map((guidance) => {
    const result = applyPatch(base, { mode: 'reverse', guidance, compare: false });
    if (!result.ok) throw new Error(`guidanceSweep: w = ${guidance}: ${result.error}`);
    return result.settings;
  });
  const own = classImages(dataset.points, labels, base.class, dim);
  const mc = own.length / dim;
  const m = datasetSize(dataset);
  if (mc === 0) throw new Error(`guidanceSweep: class ${base.class} has no image among the ${m}`);
  const range = pixelRange(dataset.points);
  const direction = imageOutward(dataset.points, own, dim);
  const sim = await Simulation.create(device, sources);
  const search = await NearestImages.create(device, sources);
  const classBuffer = createBuffer(device, {
    label: 'class images',
    size: own.byteLength,
    usage: GPUBufferUsage.STORAGE,
    data: own,
  });
  try {
    sim.setData(dataset);
    sim.setParticles(base.n);
    const n = sim.n;
    const rows: ImageGuidanceRow[] = [];
    options.onProgress?.(rows, configs.length);
    for (const settings of configs) {
      const run = runSpec(settings);
      await sim.prepare(run);
      sim.setRun(run);
      await runToEnd(device, sim, options.signal);
      const nearestAll = await search.search(sim.x, n, sim.data, m, dim);
      const nearestClass = await search.search(sim.x, n, classBuffer, mc, dim);
      const samples = await sim.positions();
      const fit = imageClassFit(samples, {
        dim,
        nearestAll,
        labels,
        label: base.class,
        nearestClass,
        range,
        direction,
      });
      rows.push({
        w: settings.guidance,
        nfe: sim.status().nfe,
        ...fit,
        ...(options.particles ? { particles: samples } : {}),
      });
      options.onProgress?.(rows, configs.length);
    }
    return {
      kind: 'images',
      rows,
      class: base.class,
      points: n,
      classPoints: mc,
      images: m,
      dim,
      expectedDistinct: expectedDistinct(n, mc),
      classShare: mc / m,
      range,
    };
  } finally {
    sim.destroy();
    classBuffer.destroy();
  }
}

/** The rows as CSV, what they are measured against as comment lines. */
export function imageGuidanceCsv(r: ImageGuidanceResult): string {
  const lines = [
    `# class ${r.class}: ${r.points} samples against the class's ${r.classPoints} of ${r.images} training images (d = ${r.dim}); distinct expected of a faithful sampler ${r.expectedDistinct}; class share ${r.classShare}; pixels saturated outside [${r.range.join(', ')}]`,
    '# onClass: share whose nearest training image is of the class; nearest: RMS per pixel to the nearest class image; distinct: class images nearest to some sample; saturated: share of pixels out of range; overshoot: past the class mean, RMS per pixel',
    'w,nfe,onClass,nearest,distinct,saturated,overshoot',
  ];
  for (const w of r.rows)
    lines.push([w.w, w.nfe, w.onClass, w.nearest, w.distinct, w.saturated, w.overshoot].join(','));
  return `${lines.join('\n')}\n`;
}
