/**
 * The schedule lab in the real page: the chart's control points drive the run, compare mode
 * shows two runs from the same noise, and a sweep completes with a CSV of the right rows.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ScheduleId } from '../../src/maths/schedules';
import { cpuSweepRow } from './cpuSweep';
import {
  control,
  frames,
  openFolder,
  openPage,
  ready,
  SharedPage,
  useBrowser,
  WAIT,
} from './browser';
import { decodePng, isParticlePixel } from './pixels';

const base = inject('baseUrl');
const SMALL = '#n=2048&steps=20&loop=false';
/** The page of the tests that need no fresh one (each sets what it needs on it). */
const shared = new SharedPage(`${base}${SMALL}`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

describe('schedule chart', () => {
  test('dragging a control point changes the chart, the settings, the URL and the run', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(() =>
      window.sandbox.configure({ schedule: 'custom', customCurve: '0:6,0.5:0,1:-6' }),
    );
    const chart = page.locator('.schedule-chart');
    // A run to its end, then the chart once it shows the end (it follows t every 6 frames):
    // before and after the drag, so that only the curve differs between the two pictures.
    const runOnce = async (): Promise<{ positions: number[]; chart: Buffer }> => {
      const positions = await page.evaluate(async () => {
        await window.sandbox.reset();
        await window.sandbox.run();
        return Array.from(await window.sandbox.positions());
      });
      await frames(page, 8);
      return { positions, chart: await chart.screenshot() };
    };
    const before = await runOnce();
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
    const after = await runOnce();
    expect(Buffer.compare(before.chart, after.chart)).not.toBe(0);
    expect(after.positions).not.toEqual(before.positions);
    expect(errors).toEqual([]);
  });
});

describe('compare mode', () => {
  test('shows two views from the same initial noise, each with its distance to the data', async () => {
    // 1024 particles a view: each frame draws both, and each measurement sorts both.
    const { page, errors } = await openPage(
      browser,
      `${base}#n=1024&steps=20&loop=false&compare=true&compareWith=${encodeURIComponent('sampler=heun&schedule=karras&steps=8')}`,
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
      const metrics = await s.metrics();
      return { a0, b0, status: s.status(), distances, metrics };
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
    // status() reports the distances of the particles as they are: measured at this step.
    expect([out.status.distance, out.status.compare!.distance]).toEqual(out.distances);
    // The labels follow the live measurements, a few times a second, each with the t of the
    // particles it measured: here the end of both runs, the distance and the straightness.
    await page.waitForFunction(() =>
      [document.getElementById('label-a')!, document.getElementById('label-b')!].every((l) =>
        / at t 0\.000 · straightness [\d.]+ at t 0\.000$/.test(l.textContent),
      ),
    );
    const [da, db] = out.distances.map((d) => d!.toFixed(4));
    const [sa, sb] = [out.metrics, out.metrics.compare!].map((m) => m.straightness.toFixed(4));
    expect(await page.locator('#label-a').textContent()).toBe(
      `A · ddim η 0 · cosine · 20 steps · W2 to data ${da} at t 0.000 · straightness ${sa} at t 0.000`,
    );
    expect(await page.locator('#label-b').textContent()).toBe(
      `B · heun · karras · 8 steps · W2 to data ${db} at t 0.000 · straightness ${sb} at t 0.000`,
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
    // A reset forgets them: they are of particles no longer shown. Until the noise is measured,
    // status() has no distance; once it is, the noise's.
    const reset = await page.evaluate(async () => {
      await window.sandbox.reset();
      const status = window.sandbox.status();
      return { status, now: await window.sandbox.distances() };
    });
    [reset.status.distance, reset.status.compare!.distance].forEach((d, i) => {
      expect(reset.now[i]).not.toBe(out.distances[i]);
      expect(d === null || d === reset.now[i], `lane ${i}: ${d}`).toBe(true);
    });
    expect(errors).toEqual([]);
  });
});

describe('quality vs NFE', () => {
  test('a small sweep from the panel completes and its CSV has one row per combination, with its distance and straightness', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(() =>
      window.sandbox.configure({
        sweepSamplers: 'ddim,heun',
        sweepSchedules: 'karras',
        sweepNfe: '1,4',
        sweepN: 256,
      }),
    );
    await openFolder(page, 'Sweep (quality vs NFE)');
    await control(page, 'Run sweep').locator('button').click();
    const csvButton = page.locator('.sweep-buttons button[data-act=csv]');
    await expect.poll(() => csvButton.isEnabled(), { timeout: WAIT }).toBe(true);
    const download = page.waitForEvent('download');
    await csvButton.click();
    const file = await (await download).path();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines[0]).toMatch(
      /^# sliced Wasserstein-2 to the data over 256 particles; sample-vs-sample floor 0\.\d+/,
    );
    expect(lines[1]).toBe('sampler,schedule,nfe,steps,distance,straightness');
    const rows = lines.slice(2).map((l) => l.split(','));
    expect(rows.map((r) => r.slice(0, 4).join(','))).toEqual([
      'ddim,karras,1,1',
      'ddim,karras,4,4',
      'heun,karras,1,1',
      // Heun's 3 steps cost 5, over the 4 asked: 2 steps, 3 evaluations (src/sim/run/nfe.ts).
      'heun,karras,3,2',
    ]);
    const distances = rows.map((r) => Number(r[4]));
    for (const d of distances) {
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeGreaterThan(0);
    }
    // Every row's distance is the run's: the float64 reference of the same runs (the same prior
    // draws, kernels and exact denoiser) measured against the same reference sample along the
    // same directions. The GPU's float32 (draws, denoiser, steps, projections, the sums of 256
    // squares) moves a distance of about 1 by some 1e-5; the tolerance is ten times that. The
    // straightness too: from sigma 10 every path spans D of 1 to 20, so positions off by 1e-5
    // move L / D by about 1e-5 (1 + L / D); one step is a straight line, 0 on both sides.
    const [settings, data] = await page.evaluate(async () => [
      window.sandbox.settings(),
      Array.from(await window.sandbox.data()),
    ]);
    rows.forEach((r, i) => {
      const reference = cpuSweepRow(
        settings,
        r[0] as 'ddim' | 'heun',
        r[1] as ScheduleId,
        Number(r[3]),
        data,
      );
      const near = (got: number, want: number): number => Math.abs(got - want) / (1 + want);
      expect(near(distances[i]!, reference.distance), r.join(',')).toBeLessThan(1e-4);
      expect(near(Number(r[5]), reference.straightness), r.join(',')).toBeLessThan(1e-4);
    });
    // Four DDIM steps bend the paths, one does not: the reading can tell them apart.
    expect(Number(rows[0]![5])).toBe(0);
    expect(Number(rows[1]![5])).toBeGreaterThan(1e-3);
    // The panel's y axis switches to the straightness (the chart is redrawn) and back.
    const metric = page.locator('.sweep-buttons button[data-act=metric]');
    const chart = (): Promise<string> =>
      page.locator('.sweep-chart canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
    const distanceChart = await chart();
    await metric.click();
    expect(await metric.textContent()).toBe('y: distance');
    expect(await chart()).not.toBe(distanceChart);
    await metric.click();
    expect(await metric.textContent()).toBe('y: straightness');
    // Four DDIM steps beat one (one step lands every particle on the data's mean). Heun's three
    // steps from sigma 10 are not compared: its trapezoid over a 20-fold drop in sigma is worse
    // than one step, which is what such a sweep is for.
    expect(distances[1]).toBeLessThan(distances[0]!);
    expect(errors).toEqual([]);
  });

  test('a running sweep can be cancelled, leaving no CSV and the page animating', async () => {
    const { page } = await shared.get(browser);
    // The live run plays on meanwhile: long enough not to stop (or hold its end) in between.
    await page.evaluate(async () => {
      await window.sandbox.configure({
        sweepSamplers: 'ddpm',
        sweepSchedules: 'linear',
        sweepNfe: '1000,1000,1000,1000',
        sweepN: 2048,
        steps: 1000,
      });
      window.sandbox.play();
    });
    await openFolder(page, 'Sweep (quality vs NFE)');
    await control(page, 'Run sweep').locator('button').click();
    // Running: the panel counts the 4 runs.
    await expect
      .poll(() => page.locator('.sweep-label').textContent(), { timeout: WAIT })
      .toMatch(/^\d \/ 4/);
    await page.locator('.sweep-buttons button[data-act=cancel]').click();
    await expect
      .poll(() => page.locator('.sweep-label').textContent(), { timeout: WAIT })
      .toBe('Cancelled.');
    expect(await page.locator('.sweep-buttons button[data-act=csv]').isDisabled()).toBe(true);
    const step = await page.evaluate(() => window.sandbox.status().step);
    await page.waitForFunction((s) => window.sandbox.status().step !== s, step);
  });

  test('sweep() in the scripting API returns one row per combination and can take settings keys', async () => {
    const { page } = await shared.get(browser);
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
    const { page, errors } = await shared.get(browser);
    await openFolder(page, 'Presets');
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
    // The data drawn too (other pages leave it off, to save time): drawing it raises no error.
    const { page, errors } = await openPage(
      browser,
      `${base}#n=2048&hide=gui,charts,hud&showData=true`,
    );
    await ready(page);
    for (const selector of ['.lil-gui.lil-root', '.charts', '.hud']) {
      expect(await page.locator(selector).isVisible(), selector).toBe(false);
    }
    // The view takes the whole width, and the run plays.
    const box = (await page.locator('#view').boundingBox())!;
    expect(box.width).toBe(page.viewportSize()!.width);
    await page.waitForFunction(() => window.sandbox.status().step > 3);
    expect(errors).toEqual([]);
  });
});
