/**
 * Recording clips in the real page: the files parse (mediabunny's demuxer in Node, the
 * browser's own decoder for pixels) with the frames, rate, duration and size asked for; clips
 * are frame-exact whatever the page's frame rate; cancel and a lost device are handled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { closePages, control, launch, openPage, ready } from './browser';
import { decodePng } from './pixels';
import { compareFirstAndLast, readClip } from './video';

const base = inject('baseUrl');
/** 12 steps; a small frame keeps SwiftShader's rendering and encoding quick. */
const RUN = '#n=2000&steps=12&loop=false&recHoldFirst=2&recHoldLast=3&recFps=30';
const SIZE = { width: 320, height: 240 };
/** 1 first frame + 2 held, 12 steps, 3 held at the end. */
const FRAMES = 1 + 2 + 12 + 3;
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterEach(async () => {
  await closePages(browser);
});
afterAll(async () => {
  await browser.close();
});

/** Calls sandbox.record(options) in the page and brings the file's bytes back. */
async function record(
  page: Page,
  options: Record<string, unknown>,
): Promise<{ bytes: Uint8Array; type: string }> {
  const out = await page.evaluate(async (o) => {
    const blob = await window.sandbox.record(o);
    const buffer = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < buffer.length; i += 0x8000)
      text += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
    return { b64: btoa(text), type: blob.type };
  }, options);
  return { bytes: new Uint8Array(Buffer.from(out.b64, 'base64')), type: out.type };
}

describe('record()', () => {
  for (const format of ['mp4', 'webm'] as const) {
    test(`a ${format} clip of the whole run has the frames, rate, duration and size asked for`, async () => {
      const { page, errors } = await openPage(browser, `${base}${RUN}`);
      await ready(page);
      const { bytes, type } = await record(page, { format, ...SIZE });
      expect(type).toBe(format === 'mp4' ? 'video/mp4' : 'video/webm');
      const clip = await readClip(bytes);
      expect(clip.format).toBe(format === 'mp4' ? 'MP4' : 'WebM');
      expect([clip.width, clip.height]).toEqual([SIZE.width, SIZE.height]);
      expect(clip.timestamps).toHaveLength(FRAMES);
      clip.timestamps.forEach((t, k) => expect(t).toBeCloseTo(k / 30, 3));
      expect(clip.frameRate).toBeCloseTo(30, 1);
      expect(clip.duration).toBeCloseTo(FRAMES / 30, 2);
      // The run: noise at first, the denoised modes at last.
      const frames = await compareFirstAndLast(page, clip);
      expect(frames.decoded).toBe(FRAMES);
      expect(frames.difference).toBeGreaterThan(2);
      expect(errors).toEqual([]);
    });
  }

  test('a snapshot PNG decodes to the chosen size', async () => {
    const { page } = await openPage(browser, `${base}${RUN}`);
    await ready(page);
    const b64 = await page.evaluate(async () => {
      const blob = await window.sandbox.snapshot({ resolution: 'square1080' });
      const buffer = new Uint8Array(await blob.arrayBuffer());
      let text = '';
      for (let i = 0; i < buffer.length; i += 0x8000)
        text += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
      return btoa(text);
    });
    const image = decodePng(Buffer.from(b64, 'base64'));
    expect([image.width, image.height]).toEqual([1080, 1080]);
    // Not blank: the particles are in it.
    let bright = 0;
    for (let i = 0; i < image.data.length; i += 4) if (image.data[i]! > 120) bright++;
    expect(bright).toBeGreaterThan(500);
  });
});

describe('frame-exactness', () => {
  test('the same seeded run recorded twice has the same frames and timestamps, even with a busy page', async () => {
    const { page } = await openPage(browser, `${base}${RUN}&sampler=ddpm`);
    await ready(page);
    const calm = await readClip((await record(page, { format: 'webm', ...SIZE })).bytes);
    // Starve the page: a busy loop takes most of every 40 ms, so it draws at a few frames/s.
    await page.evaluate(() => {
      setInterval(() => {
        const end = performance.now() + 30;
        while (performance.now() < end);
      }, 40);
    });
    const busy = await readClip((await record(page, { format: 'webm', ...SIZE })).bytes);
    expect(busy.timestamps).toEqual(calm.timestamps);
    expect(busy.timestamps).toHaveLength(FRAMES);
    // The same pixels too: the last frames of both decode alike.
    const a = await compareFirstAndLast(page, calm);
    const b = await compareFirstAndLast(page, busy);
    expect(Math.abs(a.last - b.last)).toBeLessThan(1);
  });
});

describe('control and failures', () => {
  test('while recording the run cannot change; cancel leaves no download and the sandbox running', async () => {
    const { page } = await openPage(
      browser,
      `${base}#n=2000&steps=400&recHoldFirst=0&recHoldLast=0&recResolution=720p`,
    );
    await ready(page);
    let downloads = 0;
    page.on('download', () => downloads++);
    await page.locator('.lil-title', { hasText: 'Record' }).click();
    await control(page, '● Record clip').locator('button').click();
    await page.waitForFunction(() =>
      /Recording [1-9]/.test(document.querySelector('.record-label')?.textContent ?? ''),
    );
    const refused = await page.evaluate(() =>
      window.sandbox.configure({ steps: 10 }).then(
        () => 'accepted',
        (e: unknown) => (e as Error).message,
      ),
    );
    expect(refused).toMatch(/clip is being recorded/);
    expect(
      await page.locator('.lil-gui.lil-root').evaluate((el) => el.classList.contains('locked')),
    ).toBe(true);
    await page.locator('.record-bar button').click();
    await expect
      .poll(() => page.locator('.message').last().textContent(), { timeout: 60_000 })
      .toMatch(/cancelled: nothing saved/);
    await page.waitForTimeout(500);
    expect(downloads).toBe(0);
    expect(await page.locator('.record-bar').isVisible()).toBe(false);
    // Usable again: settings change, and the run plays.
    await page.evaluate(() => window.sandbox.configure({ steps: 30, loop: true }));
    const step = await page.evaluate(() => window.sandbox.status().step);
    await page.waitForFunction((s) => window.sandbox.status().step !== s, step);
  });

  test('a lost device mid-clip ends it with the frames so far, and the sandbox rebuilds', async () => {
    const { page } = await openPage(
      browser,
      `${base}#n=2000&steps=300&loop=false&recHoldFirst=0&recHoldLast=0`,
    );
    await ready(page);
    const result = page.evaluate(async () => {
      const blob = await window.sandbox.record({ format: 'webm', width: 320, height: 240 });
      const buffer = new Uint8Array(await blob.arrayBuffer());
      let text = '';
      for (let i = 0; i < buffer.length; i += 0x8000)
        text += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
      return btoa(text);
    });
    await page.waitForFunction(() => window.sandbox.status().step >= 20);
    await page.evaluate(() => window.sandbox.loseDevice());
    const b64 = await result;
    // Messages fade after a few seconds: read them as soon as the clip is back.
    const messages = await page.locator('.message').allTextContents();
    expect(messages).toContainEqual(
      expect.stringMatching(/GPU was lost during the clip: kept its first \d+ frames/),
    );
    const clip = await readClip(new Uint8Array(Buffer.from(b64, 'base64')));
    expect(clip.timestamps.length).toBeGreaterThan(10);
    expect(clip.timestamps.length).toBeLessThan(301);
    await page.waitForFunction(() => window.sandbox.settings().steps === 300);
    await page.evaluate(() => window.sandbox.run());
    expect(await page.evaluate(() => window.sandbox.status().step)).toBe(300);
  });

  test('without WebCodecs it records in real time with MediaRecorder and says so', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.addInitScript(() => {
      delete (window as { VideoEncoder?: unknown }).VideoEncoder;
    });
    const page = await context.newPage();
    await page.goto(`${base}${RUN}`);
    await ready(page);
    // The warning shows when the recording starts and fades after a while: wait for it from
    // the start, as a slow machine can take longer to record than the warning lasts.
    const warned = page
      .locator('.message.warning', { hasText: /real time/ })
      .first()
      .waitFor({ state: 'attached', timeout: 120_000 });
    const { bytes, type } = await record(page, { format: 'webm', ...SIZE });
    await warned;
    expect(type).toBe('video/webm');
    expect(bytes.length).toBeGreaterThan(1000);
  });
});
