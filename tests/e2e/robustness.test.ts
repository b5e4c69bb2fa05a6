/**
 * Bad input and bad luck in the real page: no WebGPU, a lost device, malformed files, and no
 * network. Each gets a clear message and the sandbox keeps its last good state.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import {
  control,
  launch,
  nextMessage,
  openPage,
  ready,
  SharedPage,
  shownCount,
  useBrowser,
} from './browser';

const base = inject('baseUrl');
const SMALL = '#n=3000&steps=30&loop=false';
/**
 * The page of the tests that need no fresh one (each sets what it needs on it). moons and rings
 * are no mixtures: their exact denoiser is the empirical one over the m stored points, n x m
 * terms a step; 1000 points rather than 10,000 keep SwiftShader's steps short.
 */
const shared = new SharedPage(`${base}${SMALL}&dataset=moons&m=1000`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

/** Chooses a file through the GUI's "Load CSV / JSON…" button. */
async function chooseFile(page: Page, name: string, contents: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await control(page, 'Load CSV / JSON…').locator('button').click();
  await (await chooser).setFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(contents) });
}

describe('without WebGPU', () => {
  test('the page explains what is missing and where WebGPU runs, instead of a blank canvas', async () => {
    const plain = await launch({ webgpu: false });
    try {
      const { page } = await openPage(plain, base);
      const rejected = await page.evaluate(() =>
        window.sandbox.ready.then(
          () => 'resolved',
          (e: unknown) => String(e),
        ),
      );
      expect(rejected).toMatch(/adapter|WebGPU/);
      const panel = page.locator('.no-webgpu');
      await expect(panel.locator('h1').textContent()).resolves.toBe('This sandbox needs WebGPU');
      const text = (await panel.textContent()) ?? '';
      expect(text).toMatch(/Chrome/);
      expect(text).toMatch(/enable-unsafe-webgpu/);
      expect(await page.locator('canvas#view').count()).toBe(0);
    } finally {
      await plain.close();
    }
  });
});

describe('a lost device', () => {
  test('is reported, and the sandbox rebuilds itself with the same settings', async () => {
    // On the shared page: the tests after this one use it rebuilt, as a user would.
    const { page } = await shared.get(browser);
    const before = await page.evaluate(async () => {
      await window.sandbox.configure({ dataset: 'rings', sampler: 'euler', seed: 5 });
      await window.sandbox.run();
      return {
        settings: window.sandbox.settings(),
        positions: Array.from(await window.sandbox.positions()),
      };
    });
    const shown = await shownCount(page);
    await page.evaluate(() => window.sandbox.loseDevice());
    await expect(nextMessage(page, 'warning', shown)).resolves.toMatch(/GPU device was lost/);
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(/Rebuilt/);
    const after = await page.evaluate(async () => {
      await window.sandbox.reset();
      await window.sandbox.run();
      return {
        settings: window.sandbox.settings(),
        positions: Array.from(await window.sandbox.positions()),
      };
    });
    expect(after.settings).toEqual(before.settings);
    // Same settings and seed on the new device: the same run.
    expect(after.positions).toEqual(before.positions);
  });
});

describe('user files', () => {
  const bad: [string, string, RegExp][] = [
    ['garbage.json', '{"points": [[1, 2], [3', /garbage\.json/],
    ['empty.csv', 'x,y\n', /no points/],
    ['nan.csv', 'x,y\n1,2\n3,NaN\n', /not a finite number/],
    ['words.csv', 'hello world\nfoo bar\n', /words\.csv/],
  ];
  for (const [name, contents, message] of bad) {
    test(`${name} is refused with a clear message and the dataset stays`, async () => {
      const { page } = await shared.get(browser);
      const data = await page.evaluate(async () => Array.from(await window.sandbox.data()));
      const shown = await shownCount(page);
      await chooseFile(page, name, contents);
      await expect(nextMessage(page, 'error', shown)).resolves.toMatch(message);
      expect(await page.evaluate(() => window.sandbox.settings().dataset)).toBe('moons');
      expect(await page.evaluate(async () => Array.from(await window.sandbox.data()))).toEqual(
        data,
      );
    });
  }

  test('a file over a million points is refused, through the scripting API too', async () => {
    const { page } = await shared.get(browser);
    const message = await page.evaluate(async () => {
      try {
        await window.sandbox.loadPoints(new Float32Array(2 * 1_000_001));
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(message).toMatch(/points has 1,000,001 points, over the limit of 1,000,000/);
    expect(await page.evaluate(() => window.sandbox.settings().dataset)).toBe('moons');
  });

  test('a good CSV becomes the dataset, centred and scaled, and the run uses it', async () => {
    const { page } = await shared.get(browser);
    await page.evaluate(() => window.sandbox.configure({ denoiser: 'empirical' }));
    // A square of side 200 around (500, 500): any units, any offset.
    const rows = ['px,py'];
    for (let i = 0; i <= 20; i++)
      rows.push(
        `${400 + 10 * i},400`,
        `${400 + 10 * i},600`,
        `400,${400 + 10 * i}`,
        `600,${400 + 10 * i}`,
      );
    const shown = await shownCount(page);
    await chooseFile(page, 'square.csv', rows.join('\n'));
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(
      /Using 84 points from square\.csv/,
    );
    const out = await page.evaluate(async () => {
      await window.sandbox.run();
      return {
        settings: window.sandbox.settings(),
        data: Array.from(await window.sandbox.data()),
        hash: location.hash,
      };
    });
    expect(out.settings.dataset).toBe('custom');
    expect(out.hash).toContain('dataset=custom');
    expect(out.data.length).toBe(168);
    const xs = out.data.filter((_, i) => i % 2 === 0);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(Math.max(...xs)).toBeGreaterThan(0.5);
    expect(Math.max(...xs)).toBeLessThan(1.5);
  });
});

describe('the scripting API', () => {
  test('refuses bad arguments to every function, naming them, and keeps the state and a clean console', async () => {
    const { page } = await shared.get(browser);
    const logged: string[] = [];
    const onConsole = (m: ConsoleMessage): void => void logged.push(`${m.type()}: ${m.text()}`);
    const onError = (e: Error): void => void logged.push(`uncaught: ${e.message}`);
    page.on('console', onConsole);
    page.on('pageerror', onError);
    const results = await page.evaluate(async () => {
      const s = window.sandbox;
      // [call, what its message must say]: the function, the argument and what is wrong.
      const cases: [string, () => unknown, RegExp][] = [
        [
          'loadPoints([[1e308, 0], [0, 0], [1, 1]])',
          () =>
            s.loadPoints([
              [1e308, 0],
              [0, 0],
              [1, 1],
            ]),
          /^loadPoints: points\[0\]\[0\] must be within single precision .*, not 1e\+308$/,
        ],
        [
          'loadPoints([[1e39, 1], [0, 0]])',
          () =>
            s.loadPoints([
              [1e39, 1],
              [0, 0],
            ]),
          /^loadPoints: points\[0\]\[0\] must be within single precision .*, not 1e\+39$/,
        ],
        [
          'loadPoints(null)',
          () => s.loadPoints(null as never),
          /^loadPoints: points must be an array .*, not null$/,
        ],
        [
          'loadPoints(undefined)',
          () => s.loadPoints(undefined as never),
          /^loadPoints: points must be an array .*, not undefined$/,
        ],
        [
          'loadPoints([[1, 2], null])',
          () => s.loadPoints([[1, 2], null] as never),
          /^loadPoints: points\[1\] must be an \[x, y\] pair of numbers, not null$/,
        ],
        [
          'loadPoints([{ x: 1, y: 2 }])',
          () => s.loadPoints([{ x: 1, y: 2 }] as never),
          /^loadPoints: points\[0\] must be an \[x, y\] pair of numbers, not \{"x":1,"y":2\}$/,
        ],
        [
          'loadPoints([NaN, 0])',
          () => s.loadPoints([NaN, 0]),
          /^loadPoints: points\[0\] must be a finite number, not NaN$/,
        ],
        [
          'loadPoints(Float32Array [-Infinity, 0])',
          () => s.loadPoints(new Float32Array([-Infinity, 0])),
          /^loadPoints: points\[0\] must be a finite number, not -Infinity$/,
        ],
        [
          'loadPoints("0,0\\n1,1")',
          () => s.loadPoints('0,0\n1,1' as never),
          /^loadPoints: points must be an array .*, not "0,0\\n1,1"$/,
        ],
        [
          'loadPoints(pairs, { normalise: 1 })',
          () =>
            s.loadPoints(
              [
                [0, 0],
                [1, 1],
              ],
              { normalise: 1 as never },
            ),
          /^loadPoints: options\.normalise must be a boolean, not 1$/,
        ],
        [
          'loadImages([null])',
          () => s.loadImages([null] as never),
          /^loadImages: files\[0\] must be a Blob \(an image file\), not null$/,
        ],
        [
          'loadImages(null)',
          () => s.loadImages(null as never),
          /^loadImages: files must be an array, not null$/,
        ],
        [
          'configure(undefined)',
          () => s.configure(undefined as never),
          /^configure: patch must be an object, not undefined$/,
        ],
        [
          'configure(null)',
          () => s.configure(null as never),
          /^configure: patch must be an object, not null$/,
        ],
        [
          'configure(42)',
          () => s.configure(42 as never),
          /^configure: patch must be an object, not 42$/,
        ],
        [
          'configure({ n: -1 })',
          () => s.configure({ n: -1 }),
          /^n must be between 1 and \d+, not -1$/,
        ],
        [
          'configure({ steps: NaN })',
          () => s.configure({ steps: NaN }),
          /^steps must be a finite number, not NaN$/,
        ],
        [
          'record(null)',
          () => s.record(null as never),
          /^record: options must be an object, not null$/,
        ],
        [
          'record({ resolution: "bogus" })',
          () => s.record({ resolution: 'bogus' as never }),
          /^record: unknown options\.resolution 'bogus' \(one of: /,
        ],
        [
          'record({ fps: -1 })',
          () => s.record({ fps: -1 }),
          /^record: options\.fps must be between 1 and 120, not -1$/,
        ],
        [
          'snapshot({ resolution: "bogus" })',
          () => s.snapshot({ resolution: 'bogus' as never }),
          /^snapshot: unknown options\.resolution 'bogus' \(one of: /,
        ],
        [
          'snapshot({ width: 0, height: 0 })',
          () => s.snapshot({ width: 0, height: 0 }),
          /^snapshot: options\.width must be between 16 and 4096, not 0$/,
        ],
        [
          'snapshot({ width: 1e9 })',
          () => s.snapshot({ width: 1e9 }),
          /^snapshot: options\.width must be between 16 and 4096, not 1000000000$/,
        ],
        [
          'speciation({ count: -1 })',
          () => s.speciation({ count: -1 }),
          /^speciation: options\.count must be between 1 and \d+, not -1$/,
        ],
        [
          'speciation({ count: NaN })',
          () => s.speciation({ count: NaN }),
          /^speciation: options\.count must be a finite number, not NaN$/,
        ],
        [
          'speciation({ count: 1e12 })',
          () => s.speciation({ count: 1e12 }),
          /^speciation: options\.count must be between 1 and \d+, not 1000000000000$/,
        ],
        [
          'speciation({ curve: true, levels: [999] })',
          () => s.speciation({ curve: true, levels: [999] }),
          /^speciation: options\.levels\[0\] must be between 0 and 29, not 999$/,
        ],
        [
          'speciation(null)',
          () => s.speciation(null as never),
          /^speciation: options must be an object, not null$/,
        ],
        ["scrub('0.5')", () => s.scrub('0.5' as never), /^scrub: t must be a number, not "0\.5"$/],
        ['scrub(NaN)', () => s.scrub(NaN), /^scrub: t must be a finite number, not NaN$/],
        ['scrub(-1)', () => s.scrub(-1), /^scrub: t must be between 0 and 1, not -1$/],
        ['step(-1)', () => s.step(-1), /^step: k must be at least 1, not -1$/],
        ['step(null)', () => s.step(null as never), /^step: k must be a number, not null$/],
        [
          "positions('c')",
          () => s.positions('c' as never),
          /^positions: unknown lane 'c' \(one of: a, b\)$/,
        ],
        [
          'sweep({ n: 300 })',
          () => s.sweep({ samplers: ['ddim'], schedules: ['cosine'], nfe: [1], n: 300 }),
          /^sweep: spec\.n must be a power of two, not 300$/,
        ],
        [
          'sweep(undefined)',
          () => s.sweep(undefined as never),
          /^sweep: spec must be an object, not undefined$/,
        ],
        [
          'sweep({ nfe: [NaN] })',
          () => s.sweep({ samplers: ['ddim'], schedules: ['cosine'], nfe: [NaN] }),
          /^sweep: spec\.nfe\[0\] must be a finite number, not NaN$/,
        ],
        [
          'reset(1)',
          () => (s.reset as (k: number) => Promise<void>)(1),
          /^reset: takes no arguments, not 1$/,
        ],
        [
          'play(true)',
          () => (s.play as (k: boolean) => void)(true),
          /^play: takes no arguments, not 1$/,
        ],
      ];
      // Settings and where the run is after every call (not the distance, which the page
      // measures on its own meanwhile); the particles and the data (GPU readbacks, slow on
      // SwiftShader) before and after all of them.
      const state = (): string => {
        const { t, step, steps, nfe } = s.status();
        return JSON.stringify([s.settings(), t, step, steps, nfe]);
      };
      const before = state();
      const positions = Array.from(await s.positions());
      const data = Array.from(await s.data());
      const calls = [];
      for (const [call, run, expected] of cases) {
        let message: string;
        try {
          await run();
          message = 'accepted';
        } catch (e) {
          message = e instanceof Error ? e.message : `threw a non-Error: ${String(e)}`;
        }
        calls.push({ call, message, expected: expected.source, kept: state() === before });
      }
      const same = (a: ArrayLike<number>, b: number[]): boolean =>
        a.length === b.length && b.every((v, i) => Object.is(a[i], v));
      return {
        calls,
        positions: same(await s.positions(), positions),
        data: same(await s.data(), data),
      };
    });
    page.off('console', onConsole);
    page.off('pageerror', onError);
    for (const r of results.calls) {
      expect(r.message, r.call).toMatch(new RegExp(r.expected));
      expect(r.kept, `${r.call} kept the settings and the run`).toBe(true);
    }
    expect(results.positions, 'the particles are where they were').toBe(true);
    expect(results.data, 'the dataset is as it was').toBe(true);
    expect(logged).toEqual([]);
  });
});

describe('drawing', () => {
  test('dragging on the canvas in draw mode makes a custom dataset where the mouse went', async () => {
    // The last test of the shared page: it leaves drawing on.
    const { page } = await shared.get(browser);
    await control(page, 'Draw points').locator('input').check();
    const box = (await page.locator('#view').boundingBox())!;
    // From world (-1, 1) to (0, 0): the view is 4.2 world units tall, centred.
    const scale = box.height / 4.2;
    const toPx = (x: number, y: number): [number, number] => [
      box.x + box.width / 2 + x * scale,
      box.y + box.height / 2 - y * scale,
    ];
    await page.mouse.move(...toPx(-1, 1));
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(...toPx(-1 + k / 10, 1 - k / 10));
    await page.mouse.up();
    await page.waitForFunction(() => window.sandbox.settings().dataset === 'custom');
    const data = await page.evaluate(async () => Array.from(await window.sandbox.data()));
    expect(data.length / 2).toBeGreaterThan(50);
    for (let i = 0; i < data.length; i += 2) {
      // Near the segment from (-1, 1) to (0, 0), where x + y = 0.
      expect(Math.abs(data[i]! + data[i + 1]!)).toBeLessThan(0.3);
      expect(data[i]!).toBeGreaterThan(-1.3);
      expect(data[i]!).toBeLessThan(0.3);
    }
  });
});

describe('offline', () => {
  test('the built page loads again with the network off, from its service worker', async () => {
    const { page } = await openPage(browser, `${base}${SMALL}`);
    // Installed (its precache filled), then in control of the page from the next load on.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.context().setOffline(true);
    await page.reload();
    await ready(page);
    expect(await page.evaluate(() => window.sandbox.settings().n)).toBe(3000);
  });
});
