/**
 * Class conditioning and guidance in the real page (README, Guidance): the Guidance folder's class
 * and w move the particles as tests/gpu/guidedRuns.test.ts measured them (gaussians8, exact, DDIM
 * 20 steps, cosine), the link carries the settings, NFE counts the guided evaluations, and a class
 * refused (out of range, or with no stored points) shows a message and keeps the last good
 * settings; on MNIST, 'digit 7' ends every sample on a training 7; your own points from a CSV
 * with a label column take a class as the built-in ones do. Small runs: SwiftShader is a CPU.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { subset } from '../../src/io/imageData';
import { decodeMnist, MNIST_MAGIC } from '../../src/io/mnistFormat';
import { datasetMixture, generateDataset } from '../../src/maths/datasets';
import { denoiseEmpirical } from '../../src/maths/denoisers';
import { Rng } from '../../src/maths/rng';
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
import { cpuRun } from './cpuRuns';

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

/** Chooses a file through the GUI's "Load CSV / JSON…" button. */
async function chooseFile(page: Page, name: string, contents: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await control(page, 'Load CSV / JSON…').locator('button').click();
  await (await chooser).setFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(contents) });
}

describe('your own labelled points', () => {
  test("a CSV's label column: its classes by name in the Guidance folder, one picked ends every particle on its points as the float64 run does", async () => {
    const n = 256;
    // Three clusters of 30 points (sd 0.2) 3 apart, in rows of random order: the classes are
    // numbered in the order their names first appear.
    const centres: Record<string, [number, number]> = {
      north: [0, 3],
      east: [3, 0],
      west: [-3, 0],
    };
    const rng = new Rng(11);
    const rows = Object.keys(centres)
      .flatMap((name) => Array.from({ length: 30 }, () => name))
      .map((name) => ({ name, key: rng.uniform() }))
      .sort((a, b) => a.key - b.key)
      .map(
        ({ name }) =>
          [
            centres[name]![0] + 0.2 * rng.normal(),
            centres[name]![1] + 0.2 * rng.normal(),
            name,
          ] as const,
      );
    const names = [...new Set(rows.map((r) => r[2]))];
    const csv = ['x,y,label', ...rows.map((r) => r.join(','))].join('\n');
    const { page, errors } = await openPage(
      browser,
      `${base}#n=${n}&steps=20&loop=false&denoiser=empirical`,
    );
    await ready(page);
    let shown = await shownCount(page);
    await chooseFile(page, 'labelled.csv', csv);
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(
      new RegExp(
        `^Using 90 points from labelled\\.csv \\(centred, scaled ×[\\d.]+\\), in 3 classes: ${names.join(', ')}\\.$`,
      ),
    );
    await openFolder(page, 'Guidance');
    const select = control(page, 'class').locator('select');
    await expect(select.locator('option').allTextContents()).resolves.toEqual(['all', ...names]);
    const k = names.indexOf('east');
    await select.selectOption('east');
    await page.waitForFunction((k) => window.sandbox.settings().class === k, k);
    const { xy } = await runToEnd(page);
    const [data, settings] = await page.evaluate(async () => [
      Array.from(await window.sandbox.data()),
      window.sandbox.settings(),
    ]);
    // The stored points are the file's, in its order (90 < M), centred and scaled.
    expect(data).toHaveLength(180);
    const labels = rows.map((r) => names.indexOf(r[2]));
    const mine = data.filter((_, j) => labels[j >> 1] === k);
    // float64: the same run (prior draws, DDIM steps) with the ideal denoiser over the class's
    // points alone, as the conditional kernel's softmax keeps them.
    const denoise = (x: Float64Array, alpha: number, sigma: number): Float64Array =>
      denoiseEmpirical(x, mine, alpha, sigma).x0hat;
    const want = cpuRun(settings, { sampler: 'ddim', schedule: 'cosine', steps: 20 }, denoise, n).x;
    // Error model: float32 rounding of positions of size 1 over 20 steps, some 1e-5, and the
    // softmax's sensitivity to x at the last levels (sigma ~ 0.05 against clusters of sd 0.07
    // once scaled), of order 1: the bound is ten times 1e-5. Unconditioned, two thirds of the
    // particles would end a cluster (about 1 once scaled) away.
    let worst = 0;
    for (let i = 0; i < 2 * n; i++) worst = Math.max(worst, Math.abs(xy[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-4);
    // Every particle ends nearest one of the class's points, in the float64 run too.
    const nearestLabel = (p: ArrayLike<number>, i: number): number => {
      let best = 0;
      for (let j = 1; j < data.length / 2; j++) {
        const d = (q: number): number =>
          (p[2 * i]! - data[2 * q]!) ** 2 + (p[2 * i + 1]! - data[2 * q + 1]!) ** 2;
        if (d(j) < d(best)) best = j;
      }
      return labels[best]!;
    };
    for (let i = 0; i < n; i++) {
      expect(nearestLabel(want, i), `float64 particle ${i}`).toBe(k);
      expect(nearestLabel(xy, i), `particle ${i}`).toBe(k);
    }
    // A reload keeps them: the link's class is judged against the labels kept with the points.
    await page.reload();
    await ready(page);
    const reloaded = await page.evaluate(async () => ({
      data: Array.from(await window.sandbox.data()),
      class: window.sandbox.settings().class,
    }));
    expect(reloaded).toEqual({ data, class: k });
    await openFolder(page, 'Guidance');
    await expect(select.locator('option').allTextContents()).resolves.toEqual(['all', ...names]);
    // A file missing a label is refused naming it and the row; the data and class stay.
    shown = await shownCount(page);
    await chooseFile(page, 'broken.csv', 'x,y,class\n0,0,a\n1,1,b\n\n2,2,\n');
    await expect(nextMessage(page, 'error', shown)).resolves.toBe(
      'broken.csv: line 5 has no label in column 3; every point needs one when the file has labels',
    );
    const after = await page.evaluate(async () => ({
      data: Array.from(await window.sandbox.data()),
      class: window.sandbox.settings().class,
    }));
    expect(after).toEqual({ data, class: k });
    // Points without labels: back to all classes, and a class is refused with the reason.
    shown = await shownCount(page);
    await chooseFile(page, 'plain.csv', 'x,y\n0,0\n1,1\n2,0');
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(
      /^Using 3 points from plain\.csv/,
    );
    const plain = await page.evaluate(() =>
      window.sandbox.configure({ class: 0 }).then(
        () => 'accepted',
        (e: unknown) => (e as Error).message,
      ),
    );
    expect(plain).toMatch(/^class must be -1 \(all\): custom has no class labels/);
    expect(await page.evaluate(() => window.sandbox.settings().class)).toBe(-1);
    expect(errors).toEqual([]);
  });
});
