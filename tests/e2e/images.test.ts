/**
 * Images in the real page: switching to MNIST in the GUI shows a grid of the batch that denoises
 * into digits (the screenshots change, the samples' mean pixel and ink fraction are the data's,
 * and every sample ends on a training digit, memorised); a dropped PNG becomes a dataset, of
 * images in an image mode and of points (its dark pixels) on a point dataset; a bad file is
 * refused with a message. Small batches and few training images: SwiftShader is a CPU.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  control,
  frames,
  nextMessage,
  screenshot,
  SharedPage,
  shownCount,
  useBrowser,
  WAIT,
} from './browser';
import { decodePng, difference, type Image } from './pixels';

const base = inject('baseUrl');
/** The page the tests share (each sets what it needs on it): points, switched to images. */
const shared = new SharedPage(`${base}#n=2000&m=300&steps=12&loop=false`, {
  width: 900,
  height: 600,
});
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

/** Mean pixel and ink fraction (pixels above 0, on [-1, 1]) of flat images. */
function stats(x: number[]): { mean: number; ink: number } {
  let sum = 0;
  let ink = 0;
  for (const v of x) {
    sum += v;
    if (v > 0) ink++;
  }
  return { mean: sum / x.length, ink: ink / x.length };
}

/**
 * The standard deviation of the grey level (0 to 255) over the middle half of a box of a
 * screenshot: near 0 for a flat empty cell, tens for an image of noise or a digit.
 */
function spread(image: Image, left: number, top: number, width: number, height: number): number {
  let sum = 0;
  let sum2 = 0;
  let count = 0;
  for (let y = Math.round(top + height / 4); y < top + (3 * height) / 4; y++) {
    for (let x = Math.round(left + width / 4); x < left + (3 * width) / 4; x++) {
      const i = 4 * (y * image.width + x);
      const grey = (image.data[i]! + image.data[i + 1]! + image.data[i + 2]!) / 3;
      sum += grey;
      sum2 += grey * grey;
      count++;
    }
  }
  const mean = sum / count;
  return Math.sqrt(Math.max(0, sum2 / count - mean * mean));
}

/** Drops a PNG drawn in the page (white, a black rectangle at [x0, x1] x [y0, y1]) on the page. */
async function dropPng(page: Page, rect: [number, number, number, number], bytes?: number[]) {
  await page.evaluate(
    async ([r, raw]) => {
      let blob: Blob;
      if (raw) blob = new Blob([new Uint8Array(raw)], { type: 'image/png' });
      else {
        const c = new OffscreenCanvas(64, 64);
        const g = c.getContext('2d')!;
        g.fillStyle = '#fff';
        g.fillRect(0, 0, 64, 64);
        g.fillStyle = '#000';
        g.fillRect(r[0], r[1], r[2] - r[0], r[3] - r[1]);
        blob = await c.convertToBlob({ type: 'image/png' });
      }
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'logo.png', { type: 'image/png' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    },
    [rect, bytes ?? null] as const,
  );
}

describe('images', () => {
  test('switching to MNIST in the GUI shows a grid that denoises into digits', async () => {
    const { page, errors } = await shared.get(browser);
    await control(page, 'dataset').locator('select').selectOption('mnist');
    await page.waitForFunction(() => window.sandbox.settings().dataset === 'mnist');
    // n is now the batch: a switch to images starts with 64; 16 is enough here, and 1,000 of
    // the 10,000 digits (the empirical denoiser's cost is n x m).
    expect(await page.evaluate(() => window.sandbox.settings().n)).toBe(64);
    await page.evaluate(async () => {
      window.sandbox.pause();
      await window.sandbox.configure({ n: 16, m: 1000 });
      await window.sandbox.reset();
    });
    const noise = await page.evaluate(async () => Array.from(await window.sandbox.images()));
    expect(noise.length).toBe(16 * 784);
    // Two frames drawn after each change, then the canvas as the user sees it.
    await frames(page, 2);
    const start = decodePng(await screenshot(page, page.locator('#view')));
    await page.evaluate(() => window.sandbox.run());
    await frames(page, 2);
    const end = decodePng(await screenshot(page, page.locator('#view')));
    expect(difference(start, end)).toBeGreaterThan(5);
    const samples = stats(
      await page.evaluate(async () => Array.from(await window.sandbox.images())),
    );
    const data = stats(await page.evaluate(async () => Array.from(await window.sandbox.data())));
    // Noise has mean 0 and half its pixels above 0; digits are mostly background.
    expect(Math.abs(stats(noise).ink - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(samples.mean - data.mean)).toBeLessThan(0.1);
    expect(Math.abs(samples.ink - data.ink)).toBeLessThan(0.05);
    // The empirical denoiser memorises: every sample is a training digit.
    const memo = await page.evaluate(() => window.sandbox.memorisation());
    expect(memo!.memorised).toBe(1);
    expect(memo!.distance).toBeLessThan(1e-3);
    // A click on image 5 of the batch follows it large, with its filmstrip; a click on the
    // filmstrip goes back to the grid.
    const grid = (await page.evaluate(() => window.sandbox.imagePanels()))!.find(
      (p) => p.kind === 'x',
    )!;
    const cell = (i: number): { x: number; y: number } => ({
      x: grid.left + ((i % grid.cols) + 0.5) * grid.cellWidth,
      y: grid.top + (Math.floor(i / grid.cols) + 0.5) * grid.cellHeight,
    });
    await page.locator('#view').click({ position: cell(5) });
    await page.waitForFunction(() => window.sandbox.settings().follow === 5);
    const following = (await page.evaluate(() => window.sandbox.imagePanels()))!;
    expect(following.map((p) => p.kind)).toEqual(expect.arrayContaining(['big-x', 'strip']));
    await expect
      .poll(() => page.locator('.panel-labels').textContent(), { timeout: WAIT })
      .toContain('followed image');
    const strip = following.find((p) => p.kind === 'strip')!;
    // Followed after the run ended, its filmstrip still shows the run (from the batch's
    // history): every cell holds an image (noise to digit), none the flat empty background.
    await frames(page, 2);
    const shot = decodePng(await screenshot(page, page.locator('#view')));
    const spreads = Array.from({ length: strip.cols }, (_, i) =>
      spread(shot, strip.left + i * strip.cellWidth, strip.top, strip.cellWidth, strip.cellHeight),
    );
    for (const s of spreads) expect(s, `cell spreads ${spreads.join(', ')}`).toBeGreaterThan(20);
    await page.locator('#view').click({
      position: { x: strip.left + strip.cellWidth / 2, y: strip.top + strip.cellHeight / 2 },
    });
    await page.waitForFunction(() => window.sandbox.settings().follow === -1);
    expect(errors).toEqual([]);
  });

  test('a dropped PNG becomes the points of a point dataset, and images in an image mode', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(() =>
      window.sandbox.configure({ n: 2000, m: 2000, steps: 10, dataset: 'moons' }),
    );
    // A black bar on the left of a white square: its points lie left of the centre.
    await dropPng(page, [4, 8, 24, 56]);
    await page.waitForFunction(() => window.sandbox.settings().dataset === 'custom');
    const points = await page.evaluate(async () => Array.from(await window.sandbox.data()));
    const xs = points.filter((_, i) => i % 2 === 0);
    const ys = points.filter((_, i) => i % 2 === 1);
    const spread = (a: number[]): number => Math.max(...a) - Math.min(...a);
    // The bar is 20 wide and 48 tall: the cloud is about 2.4 times taller than wide.
    expect(spread(ys) / spread(xs)).toBeGreaterThan(2);
    expect(spread(ys) / spread(xs)).toBeLessThan(3);
    // In an image mode the same drop adds a 32x32 colour image to 'images'.
    await page.evaluate(() => window.sandbox.configure({ dataset: 'shapes', m: 100, n: 8 }));
    await dropPng(page, [16, 16, 48, 48]);
    await page.waitForFunction(() => window.sandbox.settings().dataset === 'images');
    const image = await page.evaluate(async () => Array.from(await window.sandbox.data()));
    expect(image.length).toBe(32 * 32 * 3);
    // White paper, black square in the middle: corners at 1, centre at -1.
    expect(image[0]).toBeCloseTo(1, 1);
    expect(image[3 * (16 * 32 + 16)]).toBeCloseTo(-1, 1);
    // A file that is no image is refused; the dataset stays.
    const shown = await shownCount(page);
    await dropPng(page, [0, 0, 0, 0], [1, 2, 3, 4, 5]);
    await expect(nextMessage(page, 'error', shown)).resolves.toMatch(/logo\.png/);
    expect(await page.evaluate(() => window.sandbox.settings().dataset)).toBe('images');
    expect(errors).toEqual([]);
  });
});
