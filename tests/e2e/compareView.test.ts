/**
 * The 2D view fits the whole dataset in tall, narrow canvases (a phone, compare mode's lanes), and
 * compare mode's lanes share one camera (a pan or zoom in one moves both; Reset view resets both;
 * drawing mode stops both).
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { datasetMixture } from '../../src/maths/datasets';
import { denoiseEmpirical } from '../../src/maths/denoisers';
import { Rng } from '../../src/maths/rng';
import { VIEW_HEIGHT } from '../../src/render/viewport';
import {
  control,
  frames,
  nextMessage,
  openPage,
  ready,
  SharedPage,
  shownCount,
  useBrowser,
} from './browser';
import { cpuRun } from './cpuRuns';
import {
  decodePng,
  isParticlePixel,
  particlePixels,
  worldToPixel,
  type Box,
  type Image,
} from './pixels';

const base = inject('baseUrl');
/**
 * Small runs (SwiftShader is a CPU), two lanes, nothing drawn over the lanes but their labels.
 * 40 DDIM steps: with 10, lane A leaves a tenth of its particles strung between the modes.
 */
const shared = new SharedPage(`${base}#n=2000&steps=40&loop=false&compare=true&hide=charts`, {
  width: 1280,
  height: 800,
});
/** Lane A's steps, and lane B's (its compareWith: heun, karras, 18 steps). */
const COMPARE_STEPS: [number, number] = [40, 18];
const MODES = datasetMixture('gaussians8')!.components.map((c) => c.mean);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

async function lanes(page: Page): Promise<[Box, Box]> {
  const boxes = await Promise.all(['#view', '#view-b'].map((s) => page.locator(s).boundingBox()));
  return [boxes[0]!, boxes[1]!];
}

async function shot(page: Page): Promise<Image> {
  await frames(page, 2);
  return decodePng(await page.screenshot());
}

/**
 * Every mode of gaussians8, projected by the fitted, unpanned view (pixels.ts worldToPixel), lies
 * inside the lane and has particles on it, and nearly all the lane's particles are on the modes.
 * Radius: 0.3 world units, 3.75 of the modes' standard deviations (0.08).
 */
function expectFitted(image: Image, box: Box, lane: string): void {
  const radius = (0.3 * Math.min(box.width, box.height)) / VIEW_HEIGHT;
  for (const mode of MODES) {
    const [px, py] = worldToPixel(mode[0], mode[1], box);
    expect(px - radius, `${lane}: mode ${mode.join(', ')}`).toBeGreaterThan(box.x);
    expect(px + radius).toBeLessThan(box.x + box.width);
    expect(py - radius).toBeGreaterThan(box.y);
    expect(py + radius).toBeLessThan(box.y + box.height);
    // 250 particles per mode, sprites of 3 px: hundreds of lit pixels; a cropped view has none.
    const lit = particlePixels(image, [mode], radius, box).near;
    expect(lit, `${lane}: particles on mode ${mode.join(', ')}`).toBeGreaterThan(30);
  }
  const all = particlePixels(image, MODES, radius, box);
  expect(all.near / all.total, `${lane}: share of particles on the modes`).toBeGreaterThan(0.9);
}

/**
 * Where each mode's particles are drawn in a lane, relative to its top-left corner: the median
 * lit pixel of each of 8 sectors around the lit pixels' centroid (the modes' angles k pi / 4,
 * +- pi / 8). Medians, so a few stragglers between modes do not move them.
 */
function modeCentres(image: Image, box: Box): [number, number][] {
  const lit: [number, number][] = [];
  for (let py = Math.max(0, Math.floor(box.y)); py < box.y + box.height; py++) {
    for (let px = Math.max(0, Math.floor(box.x)); px < box.x + box.width; px++) {
      const o = 4 * (py * image.width + px);
      if (isParticlePixel(image.data[o]!, image.data[o + 1]!, image.data[o + 2]!))
        lit.push([px - box.x, py - box.y]);
    }
  }
  const cx = lit.reduce((s, p) => s + p[0], 0) / lit.length;
  const cy = lit.reduce((s, p) => s + p[1], 0) / lit.length;
  const sectors: [number, number][][] = Array.from({ length: 8 }, () => []);
  for (const p of lit) {
    const angle = Math.atan2(cy - p[1], p[0] - cx);
    const k = (Math.round(angle / (Math.PI / 4)) + 8) % 8;
    sectors[k]!.push(p);
  }
  const median = (v: number[]): number => v.sort((a, b) => a - b)[v.length >> 1]!;
  return sectors.map((s) => {
    expect(s.length, 'lit pixels in a sector').toBeGreaterThan(30);
    return [median(s.map((p) => p[0])), median(s.map((p) => p[1]))];
  });
}

const largestShift = (a: [number, number][], b: [number, number][]): number =>
  Math.max(...a.map((p, k) => Math.hypot(p[0] - b[k]![0], p[1] - b[k]![1])));

/** Zooms out by a wheel toward a point off-centre of `box`, then drags; all stays in the lane. */
async function zoomAndPan(page: Page, box: Box): Promise<Image> {
  const [x, y] = [box.x + box.width * 0.35, box.y + box.height * 0.4];
  await page.mouse.move(x, y);
  await page.mouse.wheel(0, 400);
  await page.mouse.down();
  await page.mouse.move(x + 40, y + 30, { steps: 5 });
  await page.mouse.up();
  return shot(page);
}

/**
 * Each mode moved by the same pixels in both lanes (their samplers differ, so moves are compared,
 * not places), and by enough to tell. Error: each move is a difference of two medians of whole
 * pixels (up to 2 px per axis), and the zoom (about 0.8x) scales the lanes' few-pixel differences
 * in where the modes sit by about 0.2 (under 1 px): under 3 px per axis, so under 5 px in all.
 * A lane that did not follow does not move at all (the 25 px and more of the other).
 */
type Centres = [number, number][];
function expectSameMove([fromA, toA]: [Centres, Centres], [fromB, toB]: [Centres, Centres]): void {
  const move = (to: Centres, from: Centres): Centres =>
    to.map((p, k) => [p[0] - from[k]![0], p[1] - from[k]![1]]);
  expect(largestShift(toA, fromA)).toBeGreaterThan(25);
  expect(largestShift(move(toB, fromB), move(toA, fromA))).toBeLessThan(5);
}

/** Runs to the end: `steps` of lane A and of lane B (undefined: no lane B). */
async function runToEnd(page: Page, steps: [number, number | undefined]): Promise<void> {
  await page.evaluate(() => window.sandbox.run());
  const status = await page.evaluate(() => window.sandbox.status());
  expect([status.step, status.compare?.step]).toEqual(steps);
}

// First, before the shared page boots: a page left open keeps drawing beside it.
describe('a phone', () => {
  test('at 390 x 844 the one view shows all 8 modes, the whole width of the dataset', async () => {
    const { page, errors } = await openPage(browser, `${base}#n=2000&steps=40&loop=false`, {
      width: 390,
      height: 844,
    });
    await ready(page);
    await runToEnd(page, [40, undefined]);
    const view = (await page.locator('#view').boundingBox())!;
    // The old rule showed 4.2 x 390 / 844 = 1.9 world units across: the modes at x = +-1.2 off.
    expect(view.width).toBeLessThan(view.height);
    expectFitted(await shot(page), view, 'phone');
    expect(errors).toEqual([]);
  });
});

describe('compare mode: two lanes, one camera', () => {
  test('after the run, each lane shows the whole dataset, fitted to its narrow canvas', async () => {
    const { page, errors } = await shared.get(browser);
    await runToEnd(page, COMPARE_STEPS);
    const [a, b] = await lanes(page);
    // Tall, narrow lanes: the old rule (height fitted) cropped them to less than the data's width.
    for (const box of [a, b]) expect(box.width).toBeLessThan(box.height);
    const image = await shot(page);
    expectFitted(image, a, 'lane A');
    expectFitted(image, b, 'lane B');
    expect(errors).toEqual([]);
  });

  test('a zoom and a pan in lane A move lane B the same; Reset view resets both', async () => {
    const { page, errors } = await shared.get(browser);
    await runToEnd(page, COMPARE_STEPS);
    const [a, b] = await lanes(page);
    const before = await shot(page);
    const startA = modeCentres(before, a);
    const startB = modeCentres(before, b);
    const moved = await zoomAndPan(page, a);
    const movedA = modeCentres(moved, a);
    const movedB = modeCentres(moved, b);
    expectSameMove([startA, movedA], [startB, movedB]);
    // Drawing mode: the wheel moves neither lane.
    await control(page, 'Draw points').locator('input').check();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.wheel(0, -400);
    await page.evaluate(() => document.querySelectorAll('.message').forEach((m) => m.remove()));
    const drawing = await shot(page);
    expect(largestShift(modeCentres(drawing, a), movedA)).toBeLessThan(1);
    expect(largestShift(modeCentres(drawing, b), movedB)).toBeLessThan(1);
    await control(page, 'Draw points').locator('input').uncheck();
    // Reset view (from lane A's panel button): both back to the fitted framing.
    await control(page, 'Reset view').locator('button').click();
    await page.mouse.move(0, 0);
    const reset = await shot(page);
    expectFitted(reset, a, 'lane A after Reset view');
    expectFitted(reset, b, 'lane B after Reset view');
    expect(errors).toEqual([]);
  });

  test('the lanes rebuilt after a lost device still share one camera (a pan in B moves A)', async () => {
    const { page, errors } = await shared.get(browser);
    const seen = errors.length;
    const shown = await shownCount(page);
    await page.evaluate(() => window.sandbox.loseDevice());
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(/Rebuilt/);
    await runToEnd(page, COMPARE_STEPS);
    const [a, b] = await lanes(page);
    const before = await shot(page);
    const moved = await zoomAndPan(page, b);
    const [startA, startB] = [modeCentres(before, a), modeCentres(before, b)];
    expectSameMove([startB, modeCentres(moved, b)], [startA, modeCentres(moved, a)]);
    await control(page, 'Reset view').locator('button').click();
    expect(errors.slice(seen)).toEqual([]);
  });
});

describe("lane B's straightness", () => {
  /**
   * The question, cosine DDIM (lane A) against rectified-flow Euler (lane B) at 20 NFE,
   * on one narrow Gaussian (400 points at (1.5, 0), std 0.05, as tests/gpu/straightness.test.ts):
   * x0_hat is the mean at every t, so rectified Euler's paths are straight lines to it and VP's
   * x_t = alpha mu + sigma eps are arcs. Lane B's reading is checked three ways: against the
   * float64 run of the same particles (cpuRuns.ts: the same prior draws, steps and empirical
   * denoiser over the points the GPU holds), against the same run as lane A alone, and in its
   * caption.
   */
  test('cosine DDIM against rectified Euler: each lane measures its own paths, and B is straighter', async () => {
    const n = 256;
    const rng = new Rng(7);
    const points = Array.from({ length: 400 }, (): [number, number] => [
      1.5 + 0.05 * rng.normal(),
      0.05 * rng.normal(),
    ]);
    const patch = 'schedule=rectified&sampler=euler';
    const { page, errors } = await openPage(
      browser,
      `${base}#n=${n}&steps=20&loop=false&denoiser=empirical&compare=true&compareWith=${encodeURIComponent(patch)}`,
    );
    await ready(page);
    const out = await page.evaluate(async (points) => {
      const s = window.sandbox;
      await s.loadPoints(points, { normalise: false });
      s.pause();
      await s.reset();
      await s.run();
      const both = await s.metrics();
      const data = Array.from(await s.data());
      const settings = s.settings();
      // Lane B's run alone, as lane A: its own measurement of the same paths.
      await s.configure({ compare: false, schedule: 'rectified', sampler: 'euler' });
      await s.reset();
      await s.run();
      const alone = await s.metrics();
      await s.configure({ compare: true, schedule: 'cosine', sampler: 'ddim' });
      return { a: both.straightness, b: both.compare!.straightness, alone, data, settings };
    }, points);
    const denoise = (x: Float64Array, alpha: number, sigma: number): Float64Array =>
      denoiseEmpirical(x, out.data, alpha, sigma).x0hat;
    const cosine = cpuRun(
      out.settings,
      { sampler: 'ddim', schedule: 'cosine', steps: 20 },
      denoise,
      n,
    );
    const rectified = cpuRun(
      out.settings,
      { sampler: 'euler', schedule: 'rectified', steps: 20 },
      denoise,
      n,
    );
    // Error model (lab.test.ts's sweep): paths of D about 1.5, positions off by float32's 1e-5
    // after 20 steps, move each L / D by about 1e-5 (1 + L / D); ten times that. Rectified's
    // excess is some 0.005 and cosine's 0.3: the bound tells each from the other.
    const near = (got: number, want: number): number => Math.abs(got - want) / (1 + want);
    expect(near(out.a, cosine.straightness), `A ${out.a} vs ${cosine.straightness}`).toBeLessThan(
      1e-4,
    );
    expect(
      near(out.b, rectified.straightness),
      `B ${out.b} vs ${rectified.straightness}`,
    ).toBeLessThan(1e-4);
    // Alone it runs the same kernels on the same noise: the same float32 numbers but for the
    // reductions' order, a few float32 ulps of the mean.
    expect(out.alone.compare).toBeNull();
    expect(near(out.alone.straightness, out.b)).toBeLessThan(1e-6);
    // The answer on this data: rectified Euler's paths are the straighter, by far.
    expect(rectified.straightness).toBeLessThan(cosine.straightness / 10);
    expect(out.b).toBeLessThan(out.a / 10);
    // Each caption shows its own lane's reading, once measured at the end (back in compare).
    await page.evaluate(() => window.sandbox.run());
    const [a, b] = [out.a, out.b].map((v) => v.toFixed(4));
    for (const [lane, value] of [
      ['a', a],
      ['b', b],
    ] as const)
      await page.waitForFunction(
        ([id, v]) =>
          document.getElementById(id)!.textContent.endsWith(` · straightness ${v} at t 0.000`),
        [`label-${lane}`, value] as const,
      );
    expect(errors).toEqual([]);
  });
});
