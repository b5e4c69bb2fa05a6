/**
 * The quality-vs-NFE sweep of a guided run in the real page (issue 15): with class 0 of
 * gaussians8 and w = 3 inside the guidance interval 0.2..0.7 of cosine, each row's steps are the
 * pure choice of src/sim/run/nfe.ts (stepsForNfe, unit-tested against the step table's count in
 * tests/unit/sweepSteps.test.ts), its measured NFE, counting the guided evaluations twice, is at
 * most the NFE asked, and its distance is to the class's points: the float64 reference of the same
 * guided run (tests/e2e/cpuSweep.ts: the same prior draws, the class's mixture guided against the
 * whole one, the same steps) against a reference sample of class 0's points. The tolerance is the
 * lab test's (tests/e2e/lab.test.ts): the GPU's float32 moves a distance of about 1 by some 1e-5;
 * guidance multiplies the denoiser's error by at most 2 w - 1 = 5, inside the 1e-4 allowed.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { generateDataset } from '../../src/maths/datasets';
import { classPoints } from '../../src/maths/guidanceMeasures';
import { guidanceInterval } from '../../src/settings/validate';
import { stepsForNfe } from '../../src/sim/run/nfe';
import { cpuSweepRow } from './cpuSweep';
import { SharedPage, useBrowser } from './browser';

const base = inject('baseUrl');
const shared = new SharedPage(`${base}#n=1024&steps=20&loop=false`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

const ASKED = [3, 8];
const GUIDED = { class: 0, guidance: 3, guidanceInterval: '0.2,0.7', n: 256 } as const;

describe('quality vs NFE, guided', () => {
  test('rows spend at most the NFE asked, counting guidance, and measure the class', async () => {
    const { page, errors } = await shared.get(browser);
    const { rows, settings, data } = await page.evaluate(
      async ({ asked, guided }) => ({
        rows: await window.sandbox.sweep({
          samplers: ['ddim', 'heun'],
          schedules: ['cosine'],
          nfe: asked,
          ...guided,
        }),
        settings: window.sandbox.settings(),
        data: Array.from(await window.sandbox.data()),
      }),
      { asked: ASKED, guided: GUIDED },
    );
    expect(settings.dataset).toBe('gaussians8');
    const s = { ...settings, ...GUIDED, mode: 'reverse' as const };
    // The page's data are gaussians8's points for its m and seed: their labels are these.
    const generated = generateDataset('gaussians8', settings.m, settings.seed);
    expect(Array.from(generated.points)).toEqual(data);
    const own = Array.from(classPoints(generated.points, generated.labels!, 0));
    const interval = guidanceInterval(GUIDED.guidanceInterval)!;
    const condition = { label: 0, guidance: GUIDED.guidance, interval };
    expect(rows.map((r) => [r.sampler, r.schedule])).toEqual([
      ['ddim', 'cosine'],
      ['ddim', 'cosine'],
      ['heun', 'cosine'],
      ['heun', 'cosine'],
    ]);
    rows.forEach((row, i) => {
      const asked = ASKED[i % ASKED.length]!;
      const label = `${row.sampler} ${asked}: ${row.steps} steps, NFE ${row.nfe}`;
      expect(row.steps, label).toBe(
        stepsForNfe({ ...s, sampler: row.sampler }, asked, { dim: 2, mixture: true }),
      );
      expect(row.nfe, label).toBeLessThanOrEqual(asked);
      const sampler = row.sampler as 'ddim' | 'heun';
      const reference = cpuSweepRow(s, sampler, 'cosine', row.steps, own, condition);
      const near = Math.abs(row.distance - reference.distance) / (1 + reference.distance);
      expect(near, label).toBeLessThan(1e-4);
    });
    // Guidance costs: 8 asked buys DDIM fewer than 8 steps (some of them are guided).
    expect(rows[1]!.steps).toBeLessThan(8);
    expect(errors).toEqual([]);
  });
});
