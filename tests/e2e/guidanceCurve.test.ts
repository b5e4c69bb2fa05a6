/**
 * The guidance curve in the real page (issue 15): guidanceSweep() refused without a class, its
 * rows and panel for class 0 of gaussians8 (the entropy falls from w = 1 to w = 3: the GPU test
 * tests/gpu/guidanceSweep.test.ts says by how much and checks every row against float64), and
 * the button beside the NFE sweep, which opens the panel and can be cancelled. On 300 MNIST
 * digits (16 samples, 6 steps) the button runs the image curve and its panel lists the rows the
 * API returns for the same settings (tests/gpu/imageGuidanceSweep.test.ts checks each measure
 * against float64).
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { describeImageRow } from '../../src/ui/guidanceRows';
import { control, openFolder, SharedPage, useBrowser, WAIT } from './browser';

const base = inject('baseUrl');
const shared = new SharedPage(`${base}#n=1024&loop=false&steps=20`);
const mnist = new SharedPage(
  `${base}#dataset=mnist&m=300&n=16&steps=6&denoiser=empirical&loop=false&class=7`,
);
let browser: Browser;

useBrowser((b) => (browser = b), [shared, mnist]);

describe('guidance curve', () => {
  test(
    'is refused for class -1, and for class 0 gives rows and fills its panel',
    async () => {
      const { page } = await shared.get(browser);
      const refused = await page.evaluate(() =>
        window.sandbox.guidanceSweep({ ws: [1] }).then(
          () => null,
          (e: unknown) => String(e),
        ),
      );
      expect(refused).toMatch(/guidanceSweep: pick a class first \(class is -1, all\)/);
      const out = await page.evaluate(async () => {
        await window.sandbox.configure({ class: 0 });
        const r = await window.sandbox.guidanceSweep({ ws: [3, 1], n: 1024, particles: true });
        if (r.kind !== 'points') throw new Error(`a curve of ${r.kind}`);
        const panel = document.querySelector<HTMLElement>('.guidance-panel');
        return {
          rows: r.rows.map(({ particles, ...row }) => ({ ...row, length: particles?.length })),
          points: r.points,
          reference: r.reference?.length,
          floor: r.floor,
          shown: !!panel && !panel.hidden && panel.getBoundingClientRect().height > 0,
          text: panel?.querySelector('.guidance-readout')?.textContent ?? '',
        };
      });
      expect(out.points).toBe(1024);
      expect(out.reference).toBe(2 * 1024);
      expect(out.rows.map((r) => r.w)).toEqual([3, 1]);
      for (const row of out.rows) {
        expect(row.length).toBe(2 * 1024);
        for (const key of ['entropy', 'distance', 'nearest', 'offData', 'overshoot'] as const)
          expect(Number.isFinite(row[key])).toBe(true);
      }
      const [w3, w1] = out.rows as [(typeof out.rows)[0], (typeof out.rows)[0]];
      expect(w3.entropy).toBeLessThan(w1.entropy);
      expect(w3.overshoot).toBeGreaterThan(w1.overshoot);
      expect(out.floor).toBeGreaterThan(0);
      expect(out.shown).toBe(true);
      expect(out.text).toMatch(/^class 0, 1024 samples: data entropy/);
    },
    WAIT,
  );

  test(
    'the button in the Guidance folder runs it into the panel, and Cancel stops it',
    async () => {
      const { page } = await shared.get(browser);
      await page.evaluate(() => window.sandbox.configure({ class: 0, steps: 400 }));
      await openFolder(page, 'Guidance');
      await control(page, 'Guidance curve (vs w)').locator('button').click();
      const panel = page.locator('.guidance-panel');
      await expect.poll(() => panel.isVisible(), { timeout: WAIT }).toBe(true);
      const cancel = panel.locator('button[data-act="cancel"]');
      await expect.poll(() => cancel.isEnabled(), { timeout: WAIT }).toBe(true);
      await cancel.click();
      await expect
        .poll(() => panel.locator('.guidance-readout').textContent(), { timeout: WAIT })
        .toBe('cancelled');
      expect(await cancel.isEnabled()).toBe(false);
    },
    WAIT,
  );

  test(
    'on MNIST the button runs the image curve: its panel lists the rows the API returns',
    async () => {
      const { page, errors } = await mnist.get(browser);
      const api = await page.evaluate(async () => {
        const r = await window.sandbox.guidanceSweep({ ws: [0, 1, 3] });
        if (r.kind !== 'images') throw new Error(`a curve of ${r.kind}`);
        return r;
      });
      expect(api.points).toBe(16);
      expect(api.images).toBe(300);
      expect(api.rows.map((r) => r.w)).toEqual([0, 1, 3]);
      for (const row of api.rows)
        for (const key of ['onClass', 'nearest', 'distinct', 'saturated'] as const)
          expect(Number.isFinite(row[key]), `${key} at w ${row.w}`).toBe(true);
      // w = 1 is the class's exact run: every digit ends on a training 7.
      expect(api.rows[1]!.onClass).toBe(1);
      // The button: the default w (0 to 8) from the same noise, so its rows at 0, 1 and 3 are
      // the API's bit for bit (the same settings, seed and kernels).
      await openFolder(page, 'Guidance');
      await control(page, 'Guidance curve (vs w)').locator('button').click();
      const panel = page.locator('.guidance-panel');
      await expect
        .poll(() => panel.locator('.guidance-readout').textContent(), { timeout: WAIT })
        .toMatch(/^class 7, 16 samples against its \d+ of 300 training images/);
      expect(await panel.getAttribute('data-kind')).toBe('images');
      const items = panel.locator('.guidance-rows li');
      expect(await items.count()).toBe(8);
      for (const row of api.rows)
        expect(await panel.locator(`.guidance-rows li[data-w="${row.w}"]`).textContent()).toBe(
          describeImageRow(row),
        );
      expect(errors).toEqual([]);
    },
    WAIT,
  );
});
