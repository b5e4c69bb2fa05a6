/**
 * The class-conditional empirical image denoiser (issue 15, item 3: MNIST's digits, the shapes by
 * kind) on real WebGPU, fresh random inputs each run (seed in the names).
 *
 * - The kernel with a class (step.label) against float64: the ideal denoiser over the class's
 *   images alone, U with log M_c, within the float32 model of the plain kernel
 *   (imageKernelRuns.ts empiricalBounds) over those images at their places among the M, plain and
 *   smoothed; and the class measurably changes x0_hat (the restriction is there).
 * - Whole runs through the Simulation on shapes: with class c, the empirical denoiser and DDIM,
 *   every sample ends on a training image of class c; guidance w = 0 (the unconditional
 *   evaluation, the conditional one and run/guide.wgsl over every pixel) is the unconditional run
 *   bit for bit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Dataset } from '../../src/maths/datasets';
import { classCounts } from '../../src/maths/guidance';
import {
  generateShapes,
  imageDim,
  MNIST_SHAPE,
  SHAPE_CLASSES,
  shapeLabels,
} from '../../src/maths/imageDatasets';
import { denoiseImagesEmpirical, nearestImages } from '../../src/maths/imageDenoisers';
import { Rng } from '../../src/maths/rng';
import { Simulation } from '../../src/sim/run/simulation';
import { ddimSamples, gpuErrors, relativeError, testGpu } from './harness';
import { empiricalBounds, f32, run, worstRatio } from './imageKernelRuns';
import { EPS32, SEED, within } from '../random';

const rng = new Rng(SEED, 153);

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

/** Random images with coordinates in [-1, 1]. */
const images = (count: number, d: number): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: count * d }, () => 2 * rng.uniform() - 1);

/** Queries alpha y + sigma eps, y a training image of any class (so the restriction matters). */
function queries(
  n: number,
  data: Float32Array,
  m: number,
  d: number,
  alpha: number,
  sigma: number,
) {
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const j = rng.int(m);
    for (let c = 0; c < d; c++) x[i * d + c] = alpha * data[j * d + c]! + sigma * rng.normal();
  }
  return x;
}

/** The images of class `label` in order, and their places among the M. */
function classImages(data: Float32Array, labels: Uint32Array, label: number, d: number) {
  const index = [...labels.keys()].filter((j) => labels[j] === label);
  const own = new Float32Array(index.length * d);
  index.forEach((j, k) => own.set(data.subarray(j * d, (j + 1) * d), k * d));
  return { own, index };
}

// n not a multiple of the 8 rows, M not of the 128-image tile; from a broad softmax to a peaked one.
const SHAPES = [
  { d: 784, n: 13, m: 301 },
  { d: 3072, n: 9, m: 203 },
] as const;
const LEVELS = [
  { alpha: 0.6, sigma: 3 },
  { alpha: 1, sigma: 0.3 },
  { alpha: 0.8, sigma: 0.02 },
] as const;

describe(`denoise_image_empirical with a class (SEED=${SEED})`, () => {
  for (const { d, n, m } of SHAPES)
    for (const { alpha, sigma } of LEVELS)
      test(`d ${d}, n ${n}, M ${m}, alpha ${alpha}, sigma ${sigma}`, async () => {
        await expectClass(d, n, m, alpha, sigma);
      });

  test('smoothed: d 784, draws 2', async () => {
    const opts = {
      smoothing: 0.2 + 0.5 * rng.uniform(),
      draws: 2,
      seed: SEED,
      evaluation: rng.int(1000),
    };
    await expectClass(784, 13, 301, 0.7, 2 + 4 * rng.uniform(), opts);
  });
});

async function expectClass(
  d: number,
  n: number,
  m: number,
  alpha: number,
  sigma: number,
  opts = { smoothing: 0, draws: 1, seed: SEED, evaluation: 0 },
): Promise<void> {
  const classes = 2 + rng.int(5);
  const data = images(m, d);
  const labels = Uint32Array.from({ length: m }, () => rng.int(classes));
  const label = rng.int(classes);
  const { own, index } = classImages(data, labels, label, d);
  const mc = index.length;
  const logShare = Math.log(mc / m);
  const x = queries(n, data, m, d, alpha, sigma);
  const r = { n, m, d, alpha, sigma, ...opts, label, logShare };
  const out = await run('empirical', r, {
    x,
    data,
    labels,
    x0hat: new Float32Array(n * d),
    energy: new Float32Array(n),
  });
  const cpu = denoiseImagesEmpirical(x, n, own, mc, d, alpha, sigma, opts);
  const bound = empiricalBounds(x, n, own, mc, d, alpha, sigma, opts, { index, m });
  const model = `float32 over the class's ${mc} of ${m} images (empiricalBounds)`;
  within(worstRatio(f32(out.x0hat!), cpu.x0hat, bound.x0hat, d), 1, `x0_hat: ${model}`);
  within(worstRatio(f32(out.energy!), cpu.energy, bound.energy, 1), 1, `U: ${model}`);
  // The class matters: the denoiser over all M images is measurably elsewhere.
  const all = denoiseImagesEmpirical(x, n, data, m, d, alpha, sigma, opts);
  expect(relativeError(all.x0hat, cpu.x0hat)).toBeGreaterThan(1e-3);
}

describe(`class-conditional image runs (SEED=${SEED})`, () => {
  const D = imageDim(MNIST_SHAPE);
  const m = 120;
  const n = 16;
  const steps = 20;
  const data: Dataset = {
    id: 'shapes',
    points: generateShapes(m, SEED),
    mixture: null,
    dim: D,
    labels: shapeLabels(m, SEED),
  };
  const counts = classCounts(data, SHAPE_CLASSES.length);
  // A class the M shapes hold (120 shapes of 6 kinds: every kind, but for 6 (5/6)^120 = 1e-9).
  const present = counts.flatMap((c, k) => (c > 0 ? [k] : []));
  const label = present[rng.int(present.length)]!;
  const condition = (guidance: number) => ({
    label,
    guidance,
    interval: [0, 1] as const,
  });
  let sim: Simulation;
  let device: GPUDevice;

  beforeAll(async () => {
    device = (await testGpu()).device;
    sim = await Simulation.create(device, shaderSources);
    sim.setData(data);
    sim.setParticles(n);
  });

  afterAll(() => sim.destroy());

  const samples = (c?: ReturnType<typeof condition>) =>
    ddimSamples(sim, device, {
      denoiser: 'empirical',
      steps,
      seed: SEED,
      ...(c ? { condition: c } : {}),
    });

  test(`class ${label} (${SHAPE_CLASSES[label]}): every sample ends on a training image of the class`, async () => {
    const x = await samples(condition(1));
    const near = nearestImages(x, n, data.points, m, D);
    for (let i = 0; i < n; i++) {
      // As the unconditional run (imageSamplers.test.ts): the last level weighs any other image
      // 0 in float32, so x ends on one image of the class, up to 2 roundings.
      within(Math.sqrt(near.d1[i]! / D), 2 * EPS32, 'x0_hat of one weight, pixels in [-1, 1]');
      expect(Math.sqrt(near.d2[i]! / D)).toBeGreaterThan(0.05);
      expect(data.labels![near.index[i]!], `sample ${i}'s nearest image's kind`).toBe(label);
    }
  });

  test('guidance w = 0 is the unconditional run bit for bit', async () => {
    const unconditional = await samples();
    const guided = await samples(condition(0));
    expect(guided).toEqual(unconditional);
    // Not the class's run: the unconditional samples land on other kinds too (P(all 16 on one
    // kind) is at most max share^16; checked, not assumed).
    const near = nearestImages(unconditional, n, data.points, m, D);
    const kinds = new Set([...near.index].map((j) => data.labels![j]));
    const share = Math.max(...counts) / m;
    if (share ** n < 1e-4) expect(kinds.size).toBeGreaterThan(1);
  });
});
