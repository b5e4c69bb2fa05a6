/**
 * A lost GPU is survived at any moment: mid-run, mid-sweep, mid-clone, during a rebuild (a
 * second loss 0.3 s, 2.5 s or 6 s after the first), on points and on MNIST. Each rebuild keeps
 * the settings; a call the loss interrupted says so, a call made meanwhile waits and then runs.
 */
import { afterAll, describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { nextMessage, SharedPage, shownCount, useBrowser } from './browser';

const base = inject('baseUrl');
const points = new SharedPage(`${base}#n=512&steps=16&loop=false&dataset=gaussians8`);
const mnist = new SharedPage(`${base}#dataset=mnist&n=16&m=100&steps=8&loop=false`);
let browser: Browser;

useBrowser((b) => (browser = b), [points, mnist]);

/** Waits until the page has shown `count` messages of `level` after the first `after`. */
async function shownAtLeast(
  page: Page,
  level: string,
  after: number,
  count: number,
): Promise<void> {
  await page.waitForFunction(
    ([l, a, c]) => (window.shownMessages ?? []).slice(a).filter((m) => m.level === l).length >= c,
    [level, after, count] as const,
  );
}

/** The message of a call `name`() that a loss interrupted. */
const LOST = (name: string): RegExp =>
  new RegExp(`GPU was lost during ${name}\\(\\): it has been rebuilt .*call ${name}\\(\\) again`);

describe('on points', () => {
  afterAll(async () => {
    await points.discard();
  });

  test('a run interrupted by the loss rejects saying so; run() then runs it again', async () => {
    const { page, errors } = await points.get(browser);
    const seen = errors.length;
    await page.evaluate(() => window.sandbox.configure({ steps: 400 }));
    const shown = await shownCount(page);
    const result = page.evaluate(() =>
      window.sandbox.run().then(
        () => 'resolved',
        (e: unknown) => (e as Error).message,
      ),
    );
    result.catch(() => undefined);
    await page.waitForFunction(() => window.sandbox.status().step >= 32);
    await page.evaluate(() => window.sandbox.loseDevice());
    expect(await result).toMatch(LOST('run'));
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(/Rebuilt/);
    await page.evaluate(() => window.sandbox.run());
    expect(await page.evaluate(() => window.sandbox.status().step)).toBe(400);
    expect(await page.evaluate(() => window.sandbox.settings().steps)).toBe(400);
    expect(errors.slice(seen)).toEqual([]);
  });

  for (const [what, call] of [
    ['sweep()', 'sweep'],
    ['speciation()', 'speciation'],
  ] as const) {
    test(`${what} interrupted by the loss rejects saying so, and works once rebuilt`, async () => {
      const { page, errors } = await points.get(browser);
      const seen = errors.length;
      const run = (c: string): Promise<string> =>
        page.evaluate(async (name) => {
          const s = window.sandbox;
          const work =
            name === 'sweep'
              ? s.sweep({ samplers: ['euler'], schedules: ['cosine'], nfe: [2, 4], n: 256 })
              : s.speciation({ count: 64 });
          return work.then(
            (r) => `resolved ${JSON.stringify(r).length}`,
            (e: unknown) => String(e),
          );
        }, c);
      const interrupted = page.evaluate(async (name) => {
        const s = window.sandbox;
        const work =
          name === 'sweep'
            ? s.sweep({ samplers: ['euler'], schedules: ['cosine'], nfe: [2, 4], n: 256 })
            : s.speciation({ count: 64 });
        s.loseDevice();
        return work.then(
          () => 'resolved',
          (e: unknown) => (e as Error).message,
        );
      }, call);
      expect(await interrupted).toMatch(LOST(call));
      // It rejects once rebuilt: the same call now runs.
      expect(await run(call)).toMatch(/^resolved/);
      expect(errors.slice(seen)).toEqual([]);
    });
  }

  test('calls made while it rebuilds wait for it, then run: step, positions, metrics, loadPoints', async () => {
    const { page, errors } = await points.get(browser);
    const seen = errors.length;
    const shown = await shownCount(page);
    await page.evaluate(() => window.sandbox.loseDevice());
    await nextMessage(page, 'warning', shown);
    const out = await page.evaluate(async () => {
      const s = window.sandbox;
      const [, positions, metrics] = await Promise.all([s.step(2), s.positions(), s.metrics()]);
      await s.loadPoints([
        [0, 0],
        [1, 1],
        [2, 0],
      ]);
      return { positions: positions.length, step: metrics.step, dataset: s.settings().dataset };
    });
    expect(out.positions).toBe(2 * 512);
    expect(out.step).toBe(2);
    expect(out.dataset).toBe('custom');
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(/Rebuilt/);
    expect(errors.slice(seen)).toEqual([]);
  });

  for (const gap of [300, 2500, 6000]) {
    test(`two losses ${gap} ms apart: one rebuild stands, with the same settings and the same run`, async () => {
      await twoLosses(points, gap, async (page) =>
        page.evaluate(async () => Array.from(await window.sandbox.positions())),
      );
    });
  }
});

describe('on MNIST', () => {
  afterAll(async () => {
    await mnist.discard();
  });

  for (const gap of [300, 2500, 6000]) {
    test(`two losses ${gap} ms apart: one rebuild stands, with the same settings and the same images`, async () => {
      await twoLosses(mnist, gap, async (page) =>
        page.evaluate(async () => Array.from(await window.sandbox.images())),
      );
    });
  }
});

/**
 * Runs the shared page's run to the end, loses the device twice `gap` ms apart (the scenario's
 * own timing), then, while it rebuilds, runs again: same settings, same particles, one error-free
 * page.
 */
async function twoLosses(
  shared: SharedPage,
  gap: number,
  read: (page: Page) => Promise<number[]>,
): Promise<void> {
  const { page, errors } = await shared.get(browser);
  await page.evaluate(() => window.sandbox.run());
  const before = {
    settings: await page.evaluate(() => window.sandbox.settings()),
    x: await read(page),
  };
  const seen = errors.length;
  const shown = await shownCount(page);
  await page.evaluate(async (ms) => {
    window.sandbox.loseDevice();
    await new Promise((resolve) => setTimeout(resolve, ms));
    window.sandbox.loseDevice();
  }, gap);
  await shownAtLeast(page, 'warning', shown, 2);
  // Made during (or after) the second rebuild: it waits, then runs the rebuilt run to its end.
  await page.evaluate(() => window.sandbox.run());
  const after = {
    settings: await page.evaluate(() => window.sandbox.settings()),
    x: await read(page),
  };
  expect(after.settings).toEqual(before.settings);
  expect(after.x).toEqual(before.x);
  const status = await page.evaluate(() => window.sandbox.status());
  expect(status.step).toBe(status.steps);
  const messages = (await page.evaluate(() => window.shownMessages ?? [])).slice(shown);
  expect(messages.filter((m) => m.level === 'error')).toEqual([]);
  expect(messages.some((m) => m.level === 'info' && /Rebuilt/.test(m.text))).toBe(true);
  expect(errors.slice(seen)).toEqual([]);
}
