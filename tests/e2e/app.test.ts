/**
 * The real page in headless Chromium on SwiftShader: it boots cleanly, shows the particles,
 * keeps the GUI, the settings and the URL in step, and handles bad input and lost devices.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { datasetMixture } from '../../src/maths/datasets';
import { VIEW_HEIGHT } from '../../src/render/viewport';
import { encodeHash } from '../../src/settings/hash';
import { LIMITS, SAMPLERS } from '../../src/settings/settings';
import {
  control,
  frames,
  nextMessage,
  openPage,
  ready,
  SharedPage,
  shownCount,
  shownMessages,
  useBrowser,
} from './browser';
import { decodePng, particlePixels } from './pixels';

const base = inject('baseUrl');
/** Small runs: SwiftShader is a CPU. */
const SMALL = '#n=4000&steps=40&loop=false';
/** The page of the tests that need no fresh one: fewer particles, as each frame draws them all. */
const shared = new SharedPage(`${base}#n=2000&steps=40&loop=false`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

describe('boot and view', () => {
  test('boots with no console errors, and the denoised particles sit on the 8 modes', async () => {
    const { page, errors } = await openPage(browser, `${base}${SMALL}&showData=false&hide=charts`);
    await ready(page);
    await page.evaluate(() => window.sandbox.pause());
    await page.evaluate(() => window.sandbox.reset());
    // Two animation frames: the last GPU results are on the canvas.
    await frames(page, 2);
    const modes = datasetMixture('gaussians8')!.components.map((c) => c.mean);
    const region = (await page.locator('#view').boundingBox())!;
    // 0.2 world units around each mode, 2.5 of its standard deviations (0.08): the disc holds
    // 1 - exp(-2.5^2 / 2) = 96% of an exact sample's particles. In CSS pixels of this canvas.
    const radius = (0.2 * Math.min(region.width, region.height)) / VIEW_HEIGHT;
    const noise = particlePixels(decodePng(await page.screenshot()), modes, radius, region);
    await page.evaluate(() => window.sandbox.run());
    await frames(page, 2);
    const denoised = particlePixels(decodePng(await page.screenshot()), modes, radius, region);
    expect(await page.evaluate(() => window.sandbox.status())).toMatchObject({
      step: 40,
      steps: 40,
      nfe: 40,
    });
    // Visible at all, and concentrated on the modes only after denoising.
    expect(noise.total).toBeGreaterThan(1000);
    expect(denoised.total).toBeGreaterThan(300);
    expect(denoised.near / denoised.total).toBeGreaterThan(0.9);
    expect(noise.near / noise.total).toBeLessThan(0.5);
    expect(errors).toEqual([]);
  });
});

describe('settings, GUI and URL', () => {
  test('a GUI change reaches the settings and the URL, and a reload restores it', async () => {
    const { page, errors } = await openPage(browser, `${base}${SMALL}`);
    await ready(page);
    const select = control(page, 'sampler').locator('select');
    await select.selectOption('heun');
    await page.waitForFunction(() => location.hash.includes('sampler=heun'));
    expect(await page.evaluate(() => window.sandbox.settings().sampler)).toBe('heun');
    // Every control says its setting's id and what it takes (describeSetting, from the schema).
    expect(await control(page, 'steps').getAttribute('title')).toBe(
      `steps: a whole number from ${LIMITS.steps.min} to ${LIMITS.steps.max}`,
    );
    expect(await control(page, 'sampler').getAttribute('title')).toBe(
      `sampler: one of ${SAMPLERS.join(', ')}`,
    );
    const steps = control(page, 'steps').locator('input').last();
    await steps.fill('17');
    await steps.press('Enter');
    await page.waitForFunction(() => location.hash.includes('steps=17'));
    expect(await page.evaluate(() => window.sandbox.settings().steps)).toBe(17);
    await page.reload();
    await ready(page);
    const restored = await page.evaluate(() => window.sandbox.settings());
    expect(restored).toMatchObject({ sampler: 'heun', steps: 17, n: 4000, loop: false });
    expect(await page.evaluate(() => window.sandbox.status().steps)).toBe(17);
    await expect(select.inputValue()).resolves.toBe('heun');
    expect(errors).toEqual([]);
  });

  test('invalid values are rejected with a message and the last good settings stay', async () => {
    const { page } = await shared.get(browser);
    const before = await page.evaluate(() => window.sandbox.settings());
    const rejections = await page.evaluate(async () => {
      const attempts: Record<string, unknown>[] = [
        { steps: 0 },
        { steps: 2.5 },
        { sigmaMin: 50, sigmaMax: 10 },
        { sampler: 'nope' },
        { schedule: 'quadratic' },
        { dataset: 'cifar10' },
        { n: 1e12 },
        { bogus: 1 },
      ];
      const out: string[] = [];
      for (const patch of attempts) {
        try {
          await window.sandbox.configure(patch);
          out.push('accepted');
        } catch (e) {
          out.push((e as Error).message);
        }
      }
      return out;
    });
    expect(rejections).toHaveLength(8);
    for (const message of rejections) expect(message).not.toBe('accepted');
    expect(rejections[0]).toMatch(/steps/);
    expect(rejections[2]).toMatch(/sigmaMin/);
    expect(rejections[3]).toMatch(/unknown sampler 'nope'/);
    expect(rejections[7]).toMatch(/unknown setting 'bogus'/);
    expect(await page.evaluate(() => window.sandbox.settings())).toEqual(before);
    // Through the GUI, steps typed as 0 or 2.5 get the API's own message (lil-gui alone would
    // clamp or snap them to a step count), and the field shows the last good value again.
    const steps = control(page, 'steps').locator('input').last();
    for (const [typed, message] of [
      ['0', rejections[0]],
      ['2.5', rejections[1]],
    ] as const) {
      const count = await shownCount(page);
      await steps.fill(typed);
      await steps.press('Enter');
      await expect(nextMessage(page, 'error', count)).resolves.toBe(message);
      expect(await page.evaluate(() => window.sandbox.settings().steps)).toBe(before.steps);
      await expect(steps.inputValue()).resolves.toBe(String(before.steps));
    }
    // Through the GUI: sigma min above sigma max springs back and the user is told why.
    await control(page, 'schedule').locator('select').selectOption('karras');
    await page.waitForFunction(() => location.hash.includes('schedule=karras'));
    const sigmaMax = control(page, 'sigma max').locator('input').last();
    await sigmaMax.fill('0.5');
    await sigmaMax.press('Enter');
    await page.waitForFunction(() => location.hash.includes('sigmaMax=0.5'));
    const sigmaMin = control(page, 'sigma min').locator('input').last();
    const shown = await shownCount(page);
    await sigmaMin.fill('0.9');
    await sigmaMin.press('Enter');
    await expect(nextMessage(page, 'error', shown)).resolves.toMatch(/sigmaMin/);
    expect(await page.evaluate(() => window.sandbox.settings().sigmaMin)).toBe(before.sigmaMin);
    await expect(sigmaMin.inputValue()).resolves.toBe(String(before.sigmaMin));
  });

  test('a link with a bad value keeps the good ones and says which was ignored', async () => {
    const { page, errors } = await openPage(
      browser,
      `${base}#n=3000&steps=-4&sampler=euler&loop=false`,
    );
    await ready(page);
    expect(await page.evaluate(() => window.sandbox.settings())).toMatchObject({
      n: 3000,
      steps: 100,
      sampler: 'euler',
    });
    await expect(nextMessage(page, 'warning')).resolves.toMatch(/steps/);
    expect(errors).toEqual([]);
  });

  test('a link reopens the run it was made from: the same settings, the same particles bit for bit', async () => {
    const { page: made } = await shared.get(browser);
    // Valid only as a whole: sigmaMin above the default sigmaMax (refused key by key over the
    // defaults), and lane B's sigmaMin valid only beside this sigmaMax; compare stays off.
    const original = await made.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({
        seed: 7,
        sampler: 'em',
        schedule: 'karras',
        sigmaMin: 12,
        sigmaMax: 30,
        steps: 20,
        compareWith: 'sampler=heun&sigmaMin=11',
      });
      await s.reset();
      await s.run();
      const xy = await s.positions();
      return {
        hash: location.hash,
        settings: s.settings(),
        bits: Array.from(new Uint32Array(xy.buffer, xy.byteOffset, xy.length)),
      };
    });
    expect(original.hash).toBe(`#${encodeHash(original.settings)}`);
    expect(original.bits).toHaveLength(2 * original.settings.n);
    const { page, errors } = await openPage(browser, `${base}${original.hash}`);
    await ready(page);
    const opened = await page.evaluate(async () => {
      const s = window.sandbox;
      s.pause();
      const settings = s.settings();
      await s.reset();
      await s.run();
      const xy = await s.positions();
      return { settings, bits: Array.from(new Uint32Array(xy.buffer, xy.byteOffset, xy.length)) };
    });
    expect(opened.settings).toEqual(original.settings);
    expect(opened.bits).toEqual(original.bits);
    expect((await shownMessages(page)).filter((m) => m.level !== 'info')).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('runs', () => {
  test('same settings and seed give the same particles bit for bit; another seed does not', async () => {
    const { page } = await shared.get(browser);
    const result = await page.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({ sampler: 'ddpm' });
      const runOnce = async (): Promise<number[]> => {
        await s.reset();
        await s.run();
        return Array.from(await s.positions());
      };
      const a = await runOnce();
      const b = await runOnce();
      await s.configure({ seed: 2 });
      const c = await runOnce();
      return { a, b, c };
    });
    expect(result.a).toHaveLength(4000);
    expect(result.b).toEqual(result.a);
    expect(result.c).not.toEqual(result.a);
  });

  test('keyboard: space plays and pauses, right arrow steps, R resets', async () => {
    const { page } = await shared.get(browser);
    // A long run, so that it is still going when paused.
    await page.evaluate(() => window.sandbox.configure({ steps: 400 }));
    await page.locator('#view').click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => window.sandbox.status().step === 2);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => window.sandbox.status().step > 4);
    await page.keyboard.press(' ');
    const paused = await page.evaluate(() => window.sandbox.status().step);
    expect(paused).toBeLessThan(400);
    // Playing, every frame takes a step (speed 1): ten frames without one is paused.
    await frames(page, 10);
    expect(await page.evaluate(() => window.sandbox.status().step)).toBe(paused);
    await page.keyboard.press('r');
    await page.waitForFunction(() => window.sandbox.status().step === 0);
  });

  test('generated datasets store at least 10,000 points, and forward scrubbing is closed-form', async () => {
    const { page } = await shared.get(browser);
    const out = await page.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({ mode: 'forward', dataset: 'swissroll', schedule: 'linear' });
      const data = Array.from(await s.data());
      await s.scrub(0);
      const atZero = Array.from(await s.positions());
      await s.scrub(1);
      const atOne = Array.from(await s.positions());
      await s.scrub(0.3);
      const status = s.status();
      await s.run();
      return { data, atZero, atOne, status, end: s.status() };
    });
    expect(out.data.length / 2).toBeGreaterThanOrEqual(10_000);
    // At t = 0 every particle is one of the stored points.
    const stored = new Set<string>();
    for (let j = 0; j < out.data.length; j += 2) stored.add(`${out.data[j]},${out.data[j + 1]}`);
    for (let i = 0; i < out.atZero.length; i += 2) {
      expect(stored.has(`${out.atZero[i]},${out.atZero[i + 1]}`)).toBe(true);
    }
    // At t = 1 (linear: alpha = 0.0066) they are standard normal.
    const n = out.atOne.length / 2;
    let sx = 0;
    let sxx = 0;
    for (let i = 0; i < out.atOne.length; i += 2) {
      sx += out.atOne[i]!;
      sxx += out.atOne[i]! ** 2;
    }
    expect(Math.abs(sx / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sxx / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(out.status.t).toBeCloseTo(0.3, 6);
    expect(out.end).toMatchObject({ step: 40, t: 1 });
  });
});
