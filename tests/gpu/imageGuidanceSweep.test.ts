/**
 * The guidance curve on images (src/sim/experiments/imageGuidanceSweep.ts) on real WebGPU: 120
 * shapes (6 kinds, about 20 of the class), the class-conditional empirical denoiser, DDIM (eta 0),
 * 20 steps, 16 samples, w = 0, 1, 3.
 *
 * - Each row is what it claims, recomputed here in float64 from the samples it returns, naively
 *   (nearestImages of src/maths/imageDenoisers.ts, every pixel): the share on the class and the
 *   distinct nearest class images, up to the samples whose two nearest images the GPU's float32
 *   could swap (their squared distances within the search's error of each other); the RMS distance
 *   to the nearest class image within that error; the saturated share exactly (the same float
 *   comparisons); the overshoot to float64 summation order.
 *   The search's error model (shaders/lib/image_tiles.wgsl): each squared difference of two
 *   float32 pixels is rounded once (the difference of nearby floats is exact, Sterbenz), each tile
 *   of TK = 16 terms is an fma chain and the tiles are Kahan-summed: at most (TK + 4) u relative on
 *   a sum of positive terms, u = 2^-24; taken twice.
 * - w = 1 is the class's exact run (the empirical denoiser over its images alone): every sample
 *   ends on a training image of the class (as tests/gpu/imageConditional.test.ts), so all are on
 *   the class, each within 2 roundings of its image, and no pixel leaves the data's range.
 * - The quality-vs-NFE sweep with the class (src/sim/experiments/sweep.ts): guided at every step,
 *   its NFE counts two a step and stays at most the NFE asked, its metric names the class, and its
 *   distance at 20 steps is the curve's nearest (checked above in float64) bit for bit.
 *
 * Measured (SEED=1, class 3, 28 of the 120 shapes; printed by the test): w = 0, 1, 3 put 37.5%,
 * 100%, 100% of the samples on the class, at RMS distances 0.39, 0, 1e-8 from its images, on 11,
 * 13, 13 distinct images (12.4 expected of 16 draws from 28), none saturated (the exact denoiser
 * ends every run on training images: at sigma -> 0 both denoisers snap to the nearest image),
 * overshoot -0.158, -0.0001, 0.022.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
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
import { nearestImages } from '../../src/maths/imageDenoisers';
import { Rng } from '../../src/maths/rng';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import { applyPatch } from '../../src/settings/validate';
import {
  runImageGuidanceSweep,
  type ImageGuidanceResult,
} from '../../src/sim/experiments/imageGuidanceSweep';
import { runSweep } from '../../src/sim/experiments/sweep';
import { gpuErrors, testGpu } from './harness';
import { EPS32, SEED, within } from '../random';

const D = imageDim(MNIST_SHAPE);
const M = 120;
const N = 16;
const STEPS = 20;
const WS = [0, 1, 3];
/** The search's relative error on a squared distance, taken twice (the header). */
const SEARCH = 2 * (16 + 4) * EPS32;

const data: Dataset = {
  id: 'shapes',
  points: generateShapes(M, SEED),
  mixture: null,
  dim: D,
  labels: shapeLabels(M, SEED),
};
const counts = classCounts(data, SHAPE_CLASSES.length);
const present = counts.flatMap((c, k) => (c > 1 ? [k] : []));
const label = present[new Rng(SEED, 197).int(present.length)]!;

let sweep: ImageGuidanceResult;
let device: GPUDevice;
let settings: Settings;

beforeAll(async () => {
  device = (await testGpu()).device;
  const patch = {
    dataset: 'shapes',
    m: M,
    n: N,
    seed: SEED,
    class: label,
    denoiser: 'empirical',
    sampler: 'ddim',
    eta: 0,
    steps: STEPS,
  } as const;
  const result = applyPatch(DEFAULTS, patch);
  if (!result.ok) throw new Error(result.error);
  settings = result.settings;
  sweep = await runImageGuidanceSweep(device, shaderSources, settings, data, {
    ws: WS,
    particles: true,
  });
  for (const r of sweep.rows)
    console.log(`SEED=${SEED} class ${label}: ${JSON.stringify({ ...r, particles: undefined })}`);
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

/** The images of the class, in order, and every image's mean and the class's (float64). */
function classData() {
  const index = [...data.labels!.keys()].filter((j) => data.labels![j] === label);
  const own = new Float32Array(index.length * D);
  index.forEach((j, k) => own.set(data.points.subarray(j * D, (j + 1) * D), k * D));
  const mean = (x: Float32Array, m: number) =>
    Float64Array.from({ length: D }, (_, c) => {
      let s = 0;
      for (let j = 0; j < m; j++) s += x[j * D + c]!;
      return s / m;
    });
  return { own, mc: index.length, mu: mean(data.points, M), muC: mean(own, index.length) };
}

describe(`image guidance sweep, class ${label} of shapes (SEED=${SEED})`, () => {
  test('each row is what it claims, against float64 from its own samples', () => {
    const { own, mc, mu, muC } = classData();
    expect(sweep.points).toBe(N);
    expect(sweep.classPoints).toBe(mc);
    expect(sweep.images).toBe(M);
    expect(sweep.expectedDistinct).toBeCloseTo(mc * (1 - (1 - 1 / mc) ** N), 10);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data.points) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const q = (hi - lo) / 510;
    const u = Float64Array.from(muC, (v, c) => v - mu[c]!);
    const length = Math.hypot(...u);
    expect(sweep.rows.map((r) => r.w)).toEqual(WS);
    for (const row of sweep.rows) {
      const x = row.particles!;
      expect(x.length).toBe(N * D);
      // Guided steps (w != 1) evaluate twice.
      expect(row.nfe).toBe(row.w === 1 ? STEPS : 2 * STEPS);
      const all = nearestImages(x, N, data.points, M, D);
      const near = nearestImages(x, N, own, mc, D);
      const close = (a: number, b: number): boolean => b - a <= SEARCH * b;
      let on = 0;
      let onUnsure = 0;
      let unsure = 0;
      let rms = 0;
      let outside = 0;
      let along = 0;
      for (let i = 0; i < N; i++) {
        const isOn = data.labels![all.index[i]!] === label;
        if (close(all.d1[i]!, all.d2[i]!)) onUnsure++;
        else if (isOn) on++;
        if (close(near.d1[i]!, near.d2[i]!)) unsure++;
        rms += Math.sqrt(near.d1[i]! / D) / N;
        let dot = 0;
        for (let c = 0; c < D; c++) {
          const v = x[i * D + c]!;
          if (!(v >= lo - q && v <= hi + q)) outside++;
          dot += ((v - muC[c]!) * u[c]!) / length;
        }
        along += dot / Math.sqrt(D) / N;
      }
      expect(row.onClass * N).toBeGreaterThanOrEqual(on);
      expect(row.onClass * N).toBeLessThanOrEqual(on + onUnsure);
      const distinct = new Set(near.index).size;
      expect(Math.abs(row.distinct - distinct)).toBeLessThanOrEqual(unsure);
      within(Math.abs(row.nearest - rms), (SEARCH / 2) * rms + 1e-12, 'float32 search, rooted');
      expect(row.saturated).toBe(outside / (N * D));
      expect(Math.abs(row.overshoot - along)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(along)));
    }
  });

  test('w = 1: every sample ends on a training image of the class, no pixel out of range', () => {
    const w1 = sweep.rows.find((r) => r.w === 1)!;
    expect(w1.onClass).toBe(1);
    // Each sample within 2 roundings of its image, pixels in [-1, 1] (imageConditional.test.ts).
    within(w1.nearest, 2 * EPS32, 'x0_hat of one weight, pixels in [-1, 1]');
    expect(w1.saturated).toBe(0);
    expect(w1.distinct).toBeGreaterThanOrEqual(1);
    expect(w1.distinct).toBeLessThanOrEqual(Math.min(N, sweep.classPoints));
  });

  test("the NFE sweep with the class: NFE at most the asked, distance to the class's images", async () => {
    // w = 0 over the whole run (w != 1: both evaluations, mixed), two evaluations a step, so 9
    // asked buys 4 steps and 40 buys 20. At w = 0 the samples land on other kinds too, so their
    // distance to the class is far from 0 and the comparison below means something.
    const s = { ...settings, guidance: 0 };
    const result = await runSweep(device, shaderSources, s, data, {
      samplers: ['ddim'],
      schedules: [s.schedule],
      nfe: [9, 40],
    });
    expect(result.metric).toBe(
      `mean distance to the nearest training image of class ${label} (RMS per pixel)`,
    );
    expect(result.rows.map((r) => [r.steps, r.nfe])).toEqual([
      [4, 8],
      [20, 40],
    ]);
    // The 20-step run is the curve's w = 0 run (same settings and noise), whose distance to the
    // class's images the first test recomputed in float64: the same search, the same sum.
    const w0 = sweep.rows.find((r) => r.w === 0)!;
    expect(w0.nearest).toBeGreaterThan(0.01);
    expect(result.rows[1]!.distance).toBe(w0.nearest);
  });
});
