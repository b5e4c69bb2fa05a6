/**
 * Calls take effect in the order they were made, whatever their timing: panel edits, API calls
 * and URL changes fired without waiting end in the last accepted change, shown alike by the
 * settings, the panel, the URL, the lane labels and the runs; a recording starts after the calls
 * made before it and refuses every call after it that would change the clip.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { type Settings } from '../../src/settings/settings';
import { decodeHash, encodeHash } from '../../src/settings/hash';
import { control, SharedPage, useBrowser } from './browser';
import { readClip } from './video';

const base = inject('baseUrl');
/** Small runs (SwiftShader is a CPU), two lanes. */
const shared = new SharedPage(`${base}#n=500&steps=10&loop=false&compare=true`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

/** A lane's label as describeRun writes it (points, reverse mode, not DDIM). */
const label = (s: Pick<Settings, 'sampler' | 'schedule' | 'steps'>): string =>
  `${s.sampler} · ${s.schedule} · ${s.steps} steps`;

/** What the panel's controller labelled `name` shows. */
async function shown(page: Page, name: string): Promise<string> {
  return control(page, name)
    .locator('select, input')
    .first()
    .evaluate((el) =>
      el instanceof HTMLSelectElement
        ? (el.options[el.selectedIndex]?.textContent ?? '')
        : (el as HTMLInputElement).value,
    );
}

/** The frames of a clip the page sent back as base64. */
async function clipFrames(bytes: string): Promise<number> {
  return (await readClip(new Uint8Array(Buffer.from(bytes, 'base64')))).timestamps.length;
}

describe('order of calls', () => {
  test('a burst of panel edits, API calls and a link ends in the last change, in every view', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(async () => {
      const controller = (name: string): Element =>
        [...document.querySelectorAll('.lil-controller')].find(
          (c) => c.querySelector('.lil-name')?.textContent === name,
        )!;
      // As a user's edits reach lil-gui: a select's change, a number's input then blur.
      const choose = (name: string, value: string): void => {
        const select = controller(name).querySelector('select')!;
        select.selectedIndex = [...select.options].findIndex((o) => o.textContent === value);
        select.dispatchEvent(new Event('change'));
      };
      const type = (name: string, value: number): void => {
        const input = controller(name).querySelector('input')!;
        input.value = String(value);
        input.dispatchEvent(new Event('input'));
        input.dispatchEvent(new FocusEvent('blur'));
      };
      const s = window.sandbox;
      const linked = new Promise((resolve) => window.addEventListener('hashchange', resolve));
      // No waits between them: two edits of lane B, API calls, lane A's edits, then a link that
      // changes one key of the page's (lagging) URL.
      choose('B sampler', 'euler');
      void s.configure({ seed: 7 });
      type('B steps', 6);
      type('steps', 9);
      void s.configure({ sampler: 'ddim', eta: 0.5 });
      choose('sampler', 'dpmpp2m');
      location.hash = `${location.hash}&seed=11`;
      await linked;
      // The link's change is queued by now (the page listened first): wait for it.
      await s.configure({});
    });
    const settings = await page.evaluate(() => window.sandbox.settings());
    expect(settings).toMatchObject({ seed: 11, sampler: 'dpmpp2m', eta: 0.5, steps: 9 });
    expect(decodeHash(settings.compareWith).patch).toEqual({
      sampler: 'euler',
      schedule: 'karras',
      steps: 6,
    });
    // The panel.
    expect(await shown(page, 'sampler')).toBe('dpmpp2m');
    expect(await shown(page, 'steps')).toBe('9');
    expect(await shown(page, 'seed')).toBe('11');
    expect(await shown(page, 'B sampler')).toBe('euler');
    expect(await shown(page, 'B steps')).toBe('6');
    // The URL and the labels.
    const hash = await page.evaluate(() => location.hash.slice(1));
    expect(hash).toBe(encodeHash(settings));
    expect(await page.locator('#label-a').textContent()).toMatch(
      new RegExp(`^A · ${label(settings)}`),
    );
    expect(await page.locator('#label-b').textContent()).toMatch(
      new RegExp(`^B · ${label({ sampler: 'euler', schedule: 'karras', steps: 6 })}`),
    );
    // The runs: the same particles as a fresh run of the final settings.
    const runs = await page.evaluate(async () => {
      const s = window.sandbox;
      const finish = async (): Promise<[number[], number[]]> => {
        await s.run();
        return [[...(await s.positions('a'))], [...(await s.positions('b'))]];
      };
      const burst = await finish();
      const status = s.status();
      const seed = s.settings().seed;
      await s.configure({ seed: seed + 1 });
      await s.configure({ seed });
      return { burst, fresh: await finish(), steps: [status.steps, status.compare?.steps] };
    });
    expect(runs.steps).toEqual([9, 6]);
    expect(runs.burst).toEqual(runs.fresh);
    expect(errors).toEqual([]);
  });

  test('a configure asked before record() in the same tick applies first, and the clip uses it', async () => {
    const { page } = await shared.get(browser);
    const out = await page.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({ compare: false, recHoldFirst: 5, recHoldLast: 5 });
      const configured = s.configure({ sampler: 'heun', recHoldFirst: 0, recHoldLast: 2 });
      const clip = s.record({ format: 'webm', width: 160, height: 120 });
      const refused = await configured.then(
        () => null,
        (e: unknown) => (e as Error).message,
      );
      const buffer = new Uint8Array(await (await clip).arrayBuffer());
      let text = '';
      for (let i = 0; i < buffer.length; i += 0x8000)
        text += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
      return { refused, sampler: s.settings().sampler, b64: btoa(text) };
    });
    expect(out.refused).toBeNull();
    expect(out.sampler).toBe('heun');
    // 1 first frame, no hold, 10 steps, 2 held at the end (the 5 and 5 before: 21).
    expect(await clipFrames(out.b64)).toBe(1 + 10 + 2);
  });

  test('loadPoints() and loadImages() during a recording are refused, and the data stays as it was', async () => {
    const { page } = await shared.get(browser);
    const out = await page.evaluate(async () => {
      const s = window.sandbox;
      await s.configure({ compare: false, recHoldFirst: 0, recHoldLast: 0 });
      // Already 'custom': the case that was accepted mid-clip.
      await s.loadPoints(
        Array.from({ length: 50 }, (_, i) => [Math.cos(i), Math.sin(i)] as [number, number]),
      );
      const before = [...(await s.data())];
      const canvas = new OffscreenCanvas(32, 32);
      canvas.getContext('2d')!.fillRect(8, 8, 16, 16);
      const png = await canvas.convertToBlob({ type: 'image/png' });
      const clip = s.record({ format: 'webm', width: 160, height: 120 });
      // Both asked after record(), in the same tick: each in its turn, after the clip started.
      const message = (e: unknown): string => (e as Error).message;
      const points = s.loadPoints([
        [3, 3],
        [-3, -3],
      ]);
      const images = s.loadImages([png]);
      const refused = await points.then(() => null, message);
      const refusedImages = await images.then(() => null, message);
      await clip;
      const after = [...(await s.data())];
      return {
        refused,
        refusedImages,
        dataset: s.settings().dataset,
        same: String(before) === String(after),
      };
    });
    expect(out.refused).toMatch(/clip is being recorded/);
    expect(out.refusedImages).toMatch(/clip is being recorded/);
    expect(out.dataset).toBe('custom');
    expect(out.same).toBe(true);
  });
});
