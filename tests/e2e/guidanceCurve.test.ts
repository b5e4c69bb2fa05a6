/**
 * The guidance curve in the real page (issue 15): guidanceSweep() refused without a class, its
 * rows and panel for class 0 of gaussians8 (the entropy falls from w = 1 to w = 3: the GPU test
 * tests/gpu/guidanceSweep.test.ts says by how much and checks every row against float64), and
 * the button beside the NFE sweep, which opens the panel and can be cancelled.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { control, openFolder, SharedPage, useBrowser, WAIT } from './browser';

const base = inject('baseUrl');
const shared = new SharedPage(`${base}#n=1024&loop=false&steps=20`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

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
});
