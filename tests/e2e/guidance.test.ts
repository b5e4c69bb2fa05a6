/**
 * Class conditioning and guidance in the real page (README, Guidance): the Guidance folder's class
 * and w move the particles as tests/gpu/guidedRuns.test.ts measured them (gaussians8, exact, DDIM
 * 20 steps, cosine), the link carries the settings, NFE counts the guided evaluations, and a class
 * refused (out of range, or with no stored points) shows a message and keeps the last good
 * settings; on MNIST, 'digit 7' ends every sample on a training 7. Small runs: SwiftShader is a
 * CPU.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { subset } from '../../src/io/imageData';
import { decodeMnist, MNIST_MAGIC } from '../../src/io/mnistFormat';
import { datasetMixture, generateDataset } from '../../src/maths/datasets';
import { classCounts } from '../../src/maths/guidance';
import { nearestImages } from '../../src/maths/imageDenoisers';
import { decodeHash, encodeHash } from '../../src/settings/hash';
import {
  control,
  nextMessage,
  openFolder,
  openPage,
  ready,
  SharedPage,
  shownCount,
  useBrowser,
} from './browser';

const base = inject('baseUrl');
const shared = new SharedPage(`${base}#n=1000&steps=20&loop=false`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

/** Mode 0 of gaussians8: its mean, at radius 1.2 on the x axis. */
const MU0 = datasetMixture('gaussians8')!.components[0]!.mean;

/** The run from the start to its end: its particles and its NFE. */
async function runToEnd(page: Page): Promise<{ xy: number[]; nfe: number }> {
  return page.evaluate(async () => {
    const s = window.sandbox;
    s.pause();
    await s.reset();
    await s.run();
    return { xy: Array.from(await s.positions()), nfe: s.status().nfe };
  });
}

/** How many particles are nearest mode 0's mean, and their mean radius and tangential sd. */
function mode0(xy: number[]): { landed: number; radius: number; tangential: number } {
  const means = datasetMixture('gaussians8')!.components.map((c) => c.mean);
  const r: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < xy.length / 2; i++) {
    const [px, py] = [xy[2 * i]!, xy[2 * i + 1]!];
    const d = means.map(([mx, my]) => Math.hypot(px - mx, py - my));
    if (d.indexOf(Math.min(...d)) !== 0) continue;
    r.push(Math.hypot(px, py));
    y.push(py);
  }
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const my = mean(y);
  const tangential = Math.sqrt(mean(y.map((v) => (v - my) ** 2)));
  return { landed: r.length, radius: mean(r), tangential };
}

describe('guidance in the GUI', () => {
  test('a class lands the particles in its mode; w = 3 moves it out and narrows it, at 2 NFE an evaluation', async () => {
    const { page, errors } = await shared.get(browser);
    await openFolder(page, 'Guidance');
    await control(page, 'class').locator('select').selectOption('mode 0');
    await page.waitForFunction(() => window.sandbox.settings().class === 0);
    const alone = await runToEnd(page);
    // Every sample of N(mu_0, 0.08^2 I) lands (guidedRuns.test.ts: < 1e-4 over 4,096 to miss).
    const one = mode0(alone.xy);
    expect(one.landed).toBe(1000);
    expect(alone.nfe).toBe(20);
    const w = control(page, 'guidance w').locator('input').last();
    await w.fill('3');
    await w.press('Enter');
    await page.waitForFunction(() => window.sandbox.settings().guidance === 3);
    // The guided landscape and its arrows are drawn beside it (shaders/field/*.wgsl), cleanly.
    await page.evaluate(() => window.sandbox.configure({ landscape: 'energy', arrows: true }));
    const guided = await runToEnd(page);
    const three = mode0(guided.xy);
    expect(three.landed).toBe(1000);
    // float64: radius 1.20 -> 1.30, tangential sd 0.053 -> 0.014; standard errors ~0.002 here.
    expect(one.radius).toBeCloseTo(MU0[0], 1);
    expect(three.radius - one.radius).toBeGreaterThan(0.05);
    expect(three.tangential).toBeLessThan(0.5 * one.tangential);
    expect(guided.nfe).toBe(40);
    // Guidance only at t in [0.5, 1]: the evaluations below t = 0.5 cost one each.
    const interval = control(page, 'interval lo,hi in t').locator('input');
    await interval.fill('0.5,1');
    await interval.press('Enter');
    await page.waitForFunction(() => window.sandbox.settings().guidanceInterval === '0.5,1');
    const part = await runToEnd(page);
    expect(part.nfe).toBeGreaterThan(20);
    expect(part.nfe).toBeLessThan(40);
    expect(part.xy).not.toEqual(guided.xy);
    // The link carries them: the hash is the settings', and reads back to them.
    const { hash, settings } = await page.evaluate(() => ({
      hash: location.hash,
      settings: window.sandbox.settings(),
    }));
    expect(settings).toMatchObject({ class: 0, guidance: 3, guidanceInterval: '0.5,1' });
    expect(hash).toBe(`#${encodeHash(settings)}`);
    expect(decodeHash(hash).patch).toMatchObject({
      class: 0,
      guidance: 3,
      guidanceInterval: '0.5,1',
    });
    expect(errors).toEqual([]);
  });

  test('a refused class says why and keeps the last good settings; the folder is only there with labels', async () => {
    const { page } = await shared.get(browser);
    await openFolder(page, 'Guidance');
    const before = await page.evaluate(() => window.sandbox.settings());
    const refused = await page.evaluate(() =>
      window.sandbox.configure({ class: 8 }).then(
        () => 'accepted',
        (e: unknown) => (e as Error).message,
      ),
    );
    expect(refused).toMatch(/class 8 is out of range for gaussians8/);
    expect(await page.evaluate(() => window.sandbox.settings())).toEqual(before);
    // A class with no stored points among M = 10 (the empirical denoiser over them), from the
    // dropdown: refused with a message, and the dropdown shows the last good class again.
    const m = 10;
    const counts = classCounts(generateDataset('gaussians25', m, before.seed), 25);
    const empty = counts.indexOf(0);
    expect(empty).toBeGreaterThanOrEqual(0);
    await page.evaluate((patch) => window.sandbox.configure(patch), {
      dataset: 'gaussians25',
      denoiser: 'empirical',
      m,
    } as const);
    const select = control(page, 'class').locator('select');
    const shown = await shownCount(page);
    await select.selectOption(`mode ${empty}`);
    await expect(nextMessage(page, 'error', shown)).resolves.toMatch(
      new RegExp(`class ${empty} has no stored points among the M = 10 of gaussians25`),
    );
    expect(await page.evaluate(() => window.sandbox.settings().class)).toBe(-1);
    await expect(select.locator('option:checked').textContent()).resolves.toBe('all');
    // Data without labels: no class to choose, the folder is hidden.
    await page.evaluate(() => window.sandbox.configure({ dataset: 'swissroll' }));
    await expect(page.locator('.lil-title', { hasText: 'Guidance' }).isVisible()).resolves.toBe(
      false,
    );
  });

  test("MNIST: 'digit 7' in the Guidance folder ends every sample on a training 7", async () => {
    const [m, n, steps] = [200, 6, 10];
    const url = `${base}#dataset=mnist&m=${m}&n=${n}&steps=${steps}&denoiser=empirical&loop=false`;
    const { page, errors } = await openPage(browser, url);
    await ready(page);
    await openFolder(page, 'Guidance');
    await control(page, 'class').locator('select').selectOption('digit 7');
    await page.waitForFunction(() => window.sandbox.settings().class === 7);
    const r = await page.evaluate(async () => {
      const s = window.sandbox;
      s.pause();
      await s.reset();
      await s.run();
      return {
        images: Array.from(await s.images()),
        data: Array.from(await s.data()),
        seed: s.settings().seed,
      };
    });
    // The page's training digits are the seeded subset of the bundled file: their labels here.
    const file = new Uint8Array(await (await fetch(new URL('mnist.bin.gz', base))).arrayBuffer());
    const plain = String.fromCharCode(...file.subarray(0, 4)) === MNIST_MAGIC;
    const digits = decodeMnist(plain ? file : gunzipSync(file));
    const D = 784;
    const own = subset(digits.pixels, D, m, r.seed, digits.labels);
    expect(r.data).toEqual(Array.from(own.points));
    // 200 digits hold some 7s (about 20); the run's denoiser keeps them alone.
    expect(own.labels!.filter((l) => l === 7).length).toBeGreaterThan(0);
    expect(r.images.length).toBe(n * D);
    const near = nearestImages(r.images, n, own.points, m, D);
    expect([...near.index].map((j) => own.labels![j])).toEqual(new Array(n).fill(7));
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a link with a class out of range, or with no stored points, keeps all classes and says so', async () => {
    const counts = classCounts(generateDataset('gaussians25', 10, 1), 25);
    const empty = counts.indexOf(0);
    for (const [link, why] of [
      ['class=9', /class 9 is out of range for gaussians8/],
      [
        `dataset=gaussians25&denoiser=empirical&m=10&seed=1&class=${empty}`,
        new RegExp(`class ${empty} has no stored points`),
      ],
    ] as const) {
      const { page, errors } = await openPage(browser, `${base}#n=500&steps=10&loop=false&${link}`);
      await ready(page);
      await expect(nextMessage(page, 'warning')).resolves.toMatch(why);
      expect(await page.evaluate(() => window.sandbox.settings().class)).toBe(-1);
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
