/**
 * The schedule lab in the real page: the chart's control points drive the run, compare mode
 * shows two runs from the same noise, and a sweep completes with a CSV of the right rows.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { closePages, control, launch, openPage, ready } from './browser';
import { decodePng, isParticlePixel } from './pixels';

const base = inject('baseUrl');
const SMALL = '#n=2048&steps=20&loop=false';
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterEach(async () => {
  await closePages(browser);
});
afterAll(async () => {
  await browser.close();
});

describe('schedule chart', () => {
  test('dragging a control point changes the chart, the settings, the URL and the run', async () => {
    const { page, errors } = await openPage(
      browser,
      `${base}${SMALL}&schedule=custom&customCurve=0:6,0.5:0,1:-6`,
    );
    await ready(page);
    const chart = page.locator('.schedule-chart');
    const before = await chart.screenshot();
    const runOnce = (): Promise<number[]> =>
      page.evaluate(async () => {
        await window.sandbox.reset();
        await window.sandbox.run();
        return Array.from(await window.sandbox.positions());
      });
    const runBefore = await runOnce();
    // The middle point sits at t = 0.5, lambda = 0: drag it up by 20 px (lambda stays below 6).
    const over = (await page.locator('.schedule-chart .u-over').boundingBox())!;
    const x = over.x + over.width / 2;
    const y = over.y + over.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x, y - 10);
    await page.mouse.move(x, y - 20);
    await page.mouse.up();
    await page.waitForFunction(() => window.sandbox.settings().customCurve !== '0:6,0.5:0,1:-6');
    const curve = await page.evaluate(() => window.sandbox.settings().customCurve);
    const middle = curve.split(',')[1]!.split(':').map(Number);
    expect(middle[0]).toBeCloseTo(0.5, 1);
    expect(middle[1]).toBeGreaterThan(1);
    expect(middle[1]).toBeLessThan(6);
    await page.waitForFunction(
      (c) => new URLSearchParams(location.hash.slice(1)).get('customCurve') === c,
      curve,
    );
    const after = await chart.screenshot();
    expect(Buffer.compare(before, after)).not.toBe(0);
    const runAfter = await runOnce();
    expect(runAfter).not.toEqual(runBefore);
    expect(errors).toEqual([]);
  });
});

describe('compare mode', () => {
  test('shows two views from the same initial noise, each with its distance to the data', async () => {
    const { page, errors } = await openPage(
      browser,
      `${base}${SMALL}&compare=true&compareWith=${encodeURIComponent('sampler=heun&schedule=karras&steps=8')}`,
    );
    await ready(page);
    const boxes = await Promise.all(['#view', '#view-b'].map((s) => page.locator(s).boundingBox()));
    expect(boxes[0]!.width).toBeGreaterThan(200);
    expect(boxes[1]!.width).toBeGreaterThan(200);
    expect(boxes[1]!.x).toBeGreaterThanOrEqual(boxes[0]!.x + boxes[0]!.width - 1);
    const out = await page.evaluate(async () => {
      const s = window.sandbox;
      s.pause();
      await s.reset();
      const a0 = Array.from(await s.positions('a'));
      const b0 = Array.from(await s.positions('b'));
      await s.run();
      const distances = await s.distances();
      return { a0, b0, status: s.status(), distances };
    });
    // Same eps per particle: B's prior (karras, sigma 10) is A's (cosine, sigma ~1) rescaled.
    const ratio = out.b0[0]! / out.a0[0]!;
    expect(ratio).toBeGreaterThan(5);
    for (let i = 0; i < 200; i++) expect(out.b0[i]!).toBeCloseTo(out.a0[i]! * ratio, 3);
    expect(out.status.compare).toMatchObject({ steps: 8, nfe: 15 });
    expect(out.distances).toHaveLength(2);
    for (const d of out.distances) {
      expect(d).not.toBeNull();
      expect(d!).toBeLessThan(0.5);
    }
    // The labels follow the live measurements, a few times a second.
    await page.waitForFunction(() =>
      /W2 to data 0\.\d+/.test(document.getElementById('label-b')!.textContent),
    );
    expect(await page.locator('#label-b').textContent()).toMatch(
      /^B · heun · karras · 8 steps · W2 to data 0\.\d+$/,
    );
    expect(await page.locator('#label-a').textContent()).toMatch(
      /^A · ddim η 0 · cosine · 20 steps · W2 to data \d\.\d+$/,
    );
    // Particles drawn in both halves.
    const image = decodePng(await page.screenshot());
    for (const box of boxes) {
      let count = 0;
      for (let py = Math.floor(box!.y); py < box!.y + box!.height - 40; py += 2) {
        for (let px = Math.floor(box!.x); px < box!.x + box!.width; px += 2) {
          const o = 4 * (py * image.width + px);
          if (isParticlePixel(image.data[o]!, image.data[o + 1]!, image.data[o + 2]!)) count++;
        }
      }
      expect(count).toBeGreaterThan(100);
    }
    expect(errors).toEqual([]);
  });
});

describe('quality vs NFE', () => {
  test('a small sweep from the panel completes and its CSV has one row per combination', async () => {
    const { page, errors } = await openPage(
      browser,
      `${base}${SMALL}&sweepSamplers=ddim,heun&sweepSchedules=karras&sweepNfe=1,4&sweepN=256`,
    );
    await ready(page);
    await page.locator('.lil-title', { hasText: 'Sweep (quality vs NFE)' }).click();
    await control(page, 'Run sweep').locator('button').click();
    const csvButton = page.locator('.sweep-buttons button[data-act=csv]');
    await expect.poll(() => csvButton.isEnabled(), { timeout: 120_000 }).toBe(true);
    const download = page.waitForEvent('download');
    await csvButton.click();
    const file = await (await download).path();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines[0]).toMatch(
      /^# sliced Wasserstein-2 to the data over 256 particles; sample-vs-sample floor 0\.\d+/,
    );
    expect(lines[1]).toBe('sampler,schedule,nfe,steps,distance');
    const rows = lines.slice(2).map((l) => l.split(','));
    expect(rows.map((r) => r.slice(0, 4).join(','))).toEqual([
      'ddim,karras,1,1',
      'ddim,karras,4,4',
      'heun,karras,1,1',
      'heun,karras,5,3',
    ]);
    for (const r of rows) expect(Number(r[4])).toBeGreaterThan(0);
    // Four DDIM steps beat one (one step lands every particle on the data's mean). Heun's three
    // steps from sigma 10 are not compared: its trapezoid over a 20-fold drop in sigma is worse
    // than one step, which is what such a sweep is for.
    expect(Number(rows[1]![4])).toBeLessThan(Number(rows[0]![4]));
    expect(errors).toEqual([]);
  });

  test('a running sweep can be cancelled, leaving no CSV and the page animating', async () => {
    const { page } = await openPage(
      browser,
      `${base}#n=2048&sweepSamplers=ddpm&sweepSchedules=linear&sweepNfe=1000,1000,1000,1000&sweepN=2048`,
    );
    await ready(page);
    await page.locator('.lil-title', { hasText: 'Sweep (quality vs NFE)' }).click();
    await control(page, 'Run sweep').locator('button').click();
    await page.waitForFunction(() => document.querySelector('.sweep-panel progress') !== null);
    await page.locator('.sweep-buttons button[data-act=cancel]').click();
    await expect
      .poll(() => page.locator('.sweep-label').textContent(), { timeout: 60_000 })
      .toBe('Cancelled.');
    expect(await page.locator('.sweep-buttons button[data-act=csv]').isDisabled()).toBe(true);
    const step = await page.evaluate(() => window.sandbox.status().step);
    await page.waitForFunction((s) => window.sandbox.status().step !== s, step);
  });

  test('sweep() in the scripting API returns one row per combination and can take settings keys', async () => {
    const { page } = await openPage(browser, `${base}${SMALL}`);
    await ready(page);
    const rows = await page.evaluate(() =>
      window.sandbox.sweep({
        samplers: ['euler'],
        schedules: ['cosine', 'karras'],
        nfe: [2, 8],
        n: 512,
        dataset: 'moons',
      }),
    );
    expect(rows.map((r) => [r.sampler, r.schedule, r.nfe])).toEqual([
      ['euler', 'cosine', 2],
      ['euler', 'cosine', 8],
      ['euler', 'karras', 2],
      ['euler', 'karras', 8],
    ]);
    // The page's own settings are untouched.
    expect(await page.evaluate(() => window.sandbox.settings())).toMatchObject({
      dataset: 'gaussians8',
      n: 2048,
    });
    const bad = await page.evaluate(() =>
      window.sandbox.sweep({ samplers: ['nope' as 'ddim'], schedules: ['cosine'], nfe: [1] }).then(
        () => 'accepted',
        (e: unknown) => (e as Error).message,
      ),
    );
    expect(bad).toMatch(/unknown sampler 'nope'/);
  });
});

describe('presets and embedding', () => {
  test('choosing a preset applies it to the settings, the run and the URL', async () => {
    const { page, errors } = await openPage(browser, `${base}${SMALL}`);
    await ready(page);
    await page.locator('.lil-title', { hasText: 'Presets' }).click();
    await control(page, 'preset').locator('select').selectOption('EDM Heun 18 Karras');
    await page.waitForFunction(() => location.hash.includes('sampler=heun'));
    expect(await page.evaluate(() => window.sandbox.settings())).toMatchObject({
      sampler: 'heun',
      schedule: 'karras',
      steps: 18,
      rho: 7,
    });
    expect(await page.evaluate(() => window.sandbox.status().steps)).toBe(18);
    expect(errors).toEqual([]);
  });

  test('an embed link hides the panel, the charts and the HUD, and still animates', async () => {
    const { page, errors } = await openPage(browser, `${base}#n=2048&hide=gui,charts,hud`);
    await ready(page);
    for (const selector of ['.lil-gui.lil-root', '.charts', '.hud']) {
      expect(await page.locator(selector).isVisible(), selector).toBe(false);
    }
    // The view takes the whole width, and the run plays.
    const box = (await page.locator('#view').boundingBox())!;
    expect(box.width).toBe(1000);
    await page.waitForFunction(() => window.sandbox.status().step > 3);
    expect(errors).toEqual([]);
  });
});
