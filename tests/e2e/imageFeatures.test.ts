/**
 * Every feature on an image dataset, in the real page (MNIST, a batch of 16 and 64 training
 * digits: SwiftShader is a CPU): metrics() against float64 on the batch shown (energy from the
 * empirical denoiser, k-NN entropy in R^784) and the charts that show them with their note; the
 * model error (bias along a unit vector of R^784) against DDIM's closed form; the sweep's
 * image distance against float64 at one step from zero terminal SNR; clones classed by the
 * nearest training digit's label, chance from the labels' frequencies; compare mode and a
 * recording of both lanes.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { subset } from '../../src/io/imageData';
import { decodeMnist, MNIST_MAGIC } from '../../src/io/mnistFormat';
import { imageKlEntropy, imageKnnLogDistances } from '../../src/maths/imageObservables';
import { denoiseImagesEmpirical, nearestImages } from '../../src/maths/imageDenoisers';
import { labelChance } from '../../src/maths/speciation';
import { reverseLevels } from '../../src/maths/schedules';
import { EPS32 } from '../random';
import { control, openFolder, SharedPage, useBrowser } from './browser';
import { readClip } from './video';

const base = inject('baseUrl');
const D = 784;
const N = 16;
const M = 64;
const STEPS = 6;
const shared = new SharedPage(
  `${base}#dataset=mnist&n=${N}&m=${M}&steps=${STEPS}&denoiser=empirical&loop=false&recHoldFirst=1&recHoldLast=1&recFps=30`,
);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

const rms = (d2: number): number => Math.sqrt(d2 / D);

describe('image features on MNIST', () => {
  test('metrics() on the batch shown: energy and k-NN entropy in R^784 against float64; charted with a note', async () => {
    const { page, errors } = await shared.get(browser);
    const r = await page.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({ observables: true });
      await s.reset();
      await s.step(2);
      const metrics = await s.metrics();
      return {
        metrics,
        settings: s.settings(),
        images: Array.from(await s.images()),
        data: Array.from(await s.data()),
      };
    });
    const level = reverseLevels(r.settings.schedule, r.settings, STEPS)[2]!;
    expect(r.metrics.t).toBe(level.t);
    expect([r.metrics.count, r.metrics.nonFinite, r.metrics.escaped]).toEqual([N, 0, 0]);
    const exact = denoiseImagesEmpirical(r.images, N, r.data, M, D, level.alpha, level.sigma);
    // Error model: U_i = c + D_min / (2 sigma^2) - log l, its float32 error a few eps32 of
    // |U_i| and of the largest logit, D_min / (2 sigma^2) <= (|x_i| + alpha max|y|)^2 /
    // (2 sigma^2); c = 32 for the operations and exp/log's ulp; the reduction's 2 log2 N eps32.
    let maxY2 = 0;
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let c = 0; c < D; c++) s += r.data[j * D + c]! ** 2;
      maxY2 = Math.max(maxY2, s);
    }
    let mean = 0;
    let delta = 0;
    for (let i = 0; i < N; i++) {
      let x2 = 0;
      for (let c = 0; c < D; c++) x2 += r.images[i * D + c]! ** 2;
      const logit = (Math.sqrt(x2) + level.alpha * Math.sqrt(maxY2)) ** 2 / (2 * level.sigma ** 2);
      const u = exact.energy[i]!;
      delta = Math.max(delta, 32 * EPS32 * (Math.abs(u) + logit + 10));
      mean += u / N;
    }
    expect(Math.abs(r.metrics.energy - mean)).toBeLessThanOrEqual(
      delta + 2 * Math.log2(N) * EPS32 * Math.abs(mean),
    );
    // The entropy: each log r_i off by (d + 2) eps32 / 2 and log's ulp, the sum by N eps32
    // sum |log r_i|, all times d / N (tests/gpu/imageMetrics.test.ts).
    const logs = Array.from(imageKnnLogDistances(r.images, N, D, 4));
    const sumAbs = logs.reduce((a, l) => a + Math.abs(l), 0);
    const tol = (D / N) * (N * ((D + 2) * EPS32 + 4e-7) + N * EPS32 * sumAbs);
    expect(Math.abs(r.metrics.entropy - imageKlEntropy(r.images, N, D, 4))).toBeLessThanOrEqual(
      tol,
    );
    // The charts show it, with the one-line note on what they mean in R^784.
    await page.waitForFunction(
      () => !document.querySelector<HTMLElement>('.physics-charts')!.hidden,
    );
    const note = await page.locator('.physics-note').textContent();
    expect(note).toMatch(/R\^784.*k-NN entropy.*trend only/);
    // The views of the plane say in one line why they are off, and are off.
    await openFolder(page, 'Physics view');
    await expect
      .poll(() => page.locator('.gui-note').filter({ hasText: 'Images are points' }).textContent())
      .toMatch(/Images are points of R\^d: .* of the plane, so they are off/);
    for (const name of ['landscape', 'arrows', 'arrows of', 'marginals vs truth'])
      expect(
        await control(page, name).evaluate((el) => el.classList.contains('lil-disabled')),
      ).toBe(true);
    expect(errors).toEqual([]);
  });

  test('model error: a bias along a unit vector of R^784 moves one DDIM step by its closed form', async () => {
    const { page, errors } = await shared.get(browser);
    const bias = 1.5;
    const r = await page.evaluate(async (b) => {
      const s = window.sandbox;
      await s.configure({ sampler: 'ddim', eta: 0 });
      await s.reset();
      await s.step(1);
      const clean = Array.from(await s.images());
      await s.configure({ errorBias: b });
      await s.step(1);
      return { clean, biased: Array.from(await s.images()), settings: s.settings() };
    }, bias);
    const [a, b] = reverseLevels(r.settings.schedule, r.settings, STEPS);
    // DDIM eta 0: x_s = alpha_s x0_hat + sigma_s (x_t - alpha_t x0_hat) / sigma_t, the same
    // prior noise: the shift is (alpha_s - sigma_s alpha_t / sigma_t) bias u.
    const coefficient = b!.alpha - (b!.sigma * a!.alpha) / a!.sigma;
    const unit = [0.6, 0.8].map((c) => c / Math.sqrt(D / 2));
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < N * D; k++) {
      const want = coefficient * bias * unit[k % 2]!;
      worst = Math.max(worst, Math.abs(r.biased[k]! - r.clean[k]! - want));
      scale = Math.max(scale, Math.abs(r.clean[k]!), Math.abs(r.biased[k]!));
    }
    // Each coordinate of either run carries a few float32 roundings of its magnitude.
    expect(worst).toBeLessThanOrEqual(16 * EPS32 * scale + 1e-6);
    expect(Math.abs(coefficient * bias * unit[0]!)).toBeGreaterThan(100 * worst);
    expect(errors).toEqual([]);
  });

  test('the sweep: one step from zero terminal SNR ends at the mean digit, its nearest-image distance as float64', async () => {
    const { page, errors } = await shared.get(browser);
    const r = await page.evaluate(async () => {
      const rows = await window.sandbox.sweep({
        samplers: ['ddim'],
        schedules: ['cosine'],
        nfe: [1, 6],
        ztsnr: true,
      });
      return { rows, data: Array.from(await window.sandbox.data()) };
    });
    // alpha = 0 at t = 1: every training image has the same weight, x0_hat is their mean, and
    // DDIM's one step to sigma = 0 lands there; its distance to the nearest digit, RMS per pixel.
    const meanDigit = new Float64Array(D);
    for (let j = 0; j < M; j++) for (let c = 0; c < D; c++) meanDigit[c]! += r.data[j * D + c]! / M;
    const want = rms(nearestImages(meanDigit, 1, r.data, M, D).d1[0]!);
    const [one, six] = r.rows;
    expect(one!.nfe).toBe(1);
    // float32: the mean of 64 digits and the distance's d terms, ~(M + D) eps32 relative.
    expect(Math.abs(one!.distance - want)).toBeLessThanOrEqual((M + D) * EPS32 * want);
    // Six steps land on training digits (the empirical denoiser memorises).
    expect(six!.distance).toBeLessThan(0.2 * want);
    expect(errors).toEqual([]);
  });

  test('clones classed by their nearest digit: chance from the labels, 1 at the last step', async () => {
    const { page, errors } = await shared.get(browser);
    const file = new Uint8Array(await (await fetch(new URL('mnist.bin.gz', base))).arrayBuffer());
    // A server may send it with Content-Encoding gzip, which fetch undoes.
    const plain = String.fromCharCode(...file.subarray(0, 4)) === MNIST_MAGIC;
    const digits = decodeMnist(plain ? file : gunzipSync(file));
    const r = await page.evaluate(async (steps) => {
      const s = window.sandbox;
      await s.configure({ sampler: 'ddpm' });
      const out = await s.speciation({ curve: true, levels: [0, steps - 1], count: 16 });
      return { out, settings: s.settings(), data: Array.from(await s.data()) };
    }, STEPS);
    // The page's training digits are the seeded subset: the same subset here gives their labels.
    const own = subset(digits.pixels, D, M, r.settings.seed, digits.labels);
    expect(r.data).toEqual(Array.from(own.points));
    expect(r.out.chance).toBeCloseTo(labelChance(own.labels!), 12);
    expect(r.out.theory).toBeNull();
    const [first, last] = r.out.points;
    expect([first!.t, first!.count, last!.count]).toEqual([1, 16, 16]);
    // The last step to sigma = 0 draws no noise: both clones end on the same digit.
    expect(last!.sameMode).toBe(1);
    expect(errors).toEqual([]);
  });

  test('compare mode and a recording of both lanes: each lane ends on training digits', async () => {
    const { page, errors } = await shared.get(browser);
    const r = await page.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({ compare: true, compareWith: 'sampler=heun&steps=3' });
      const blob = await s.record({ format: 'webm', width: 320, height: 160 });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return {
        clip: btoa(text),
        status: s.status(),
        a: Array.from(await s.positions('a')),
        b: Array.from(await s.positions('b')),
        data: Array.from(await s.data()),
      };
    });
    const clip = await readClip(new Uint8Array(Buffer.from(r.clip, 'base64')));
    // 1 first frame + 1 held, the 6 steps of lane A (B follows by t), 1 held at the end.
    expect(clip.timestamps).toHaveLength(1 + 1 + STEPS + 1);
    expect([clip.width, clip.height]).toEqual([320, 160]);
    expect(r.status.step).toBe(STEPS);
    expect(r.status.compare!.step).toBe(3);
    for (const lane of [r.a, r.b]) {
      expect(lane).toHaveLength(N * D);
      // The empirical denoiser memorises: within 1e-3 RMS per pixel of a training digit.
      const near = nearestImages(lane, N, r.data, M, D);
      for (const d1 of near.d1) expect(rms(d1)).toBeLessThan(1e-3);
    }
    expect(r.a).not.toEqual(r.b);
    expect(errors).toEqual([]);
  });
});
