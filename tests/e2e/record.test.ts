/**
 * Recording clips in the real page: the files parse (mediabunny's demuxer in Node, the
 * browser's own decoder for pixels) with the frames, rate, duration and size asked for; clips
 * are frame-exact whatever the page's frame rate; cancel and a lost device are handled.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  control,
  nextMessage,
  openFolder,
  openPage,
  ready,
  SharedPage,
  shownCount,
  shownMessages,
  useBrowser,
} from './browser';
import { decodePng } from './pixels';
import { compareFirstAndLast, readClip } from './video';

const base = inject('baseUrl');
/** 12 steps; a small frame keeps SwiftShader's rendering and encoding quick. */
const RUN = '#n=2000&steps=12&loop=false&recHoldFirst=2&recHoldLast=3&recFps=30';
const SIZE = { width: 320, height: 240 };
/** 1 first frame + 2 held, 12 steps, 3 held at the end. */
const FRAMES = 1 + 2 + 12 + 3;
/** The page of the tests that need no fresh one (each sets what it needs on it). */
const shared = new SharedPage(`${base}${RUN}`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

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
      const { page, errors } = await shared.get(browser);
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
    const { page } = await shared.get(browser);
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
    const { page } = await shared.get(browser);
    await page.evaluate(() => window.sandbox.configure({ sampler: 'ddpm' }));
    const calm = await readClip((await record(page, { format: 'webm', ...SIZE })).bytes);
    const a = await compareFirstAndLast(page, calm);
    // Starve the page: a busy loop takes most of every 40 ms, so it draws at a few frames/s.
    const busyLoop = await page.evaluate(() =>
      window.setInterval(() => {
        const end = performance.now() + 30;
        while (performance.now() < end);
      }, 40),
    );
    let busy;
    try {
      busy = await readClip((await record(page, { format: 'webm', ...SIZE })).bytes);
    } finally {
      await page.evaluate((id) => window.clearInterval(id), busyLoop);
    }
    expect(busy.timestamps).toEqual(calm.timestamps);
    expect(busy.timestamps).toHaveLength(FRAMES);
    // The same pixels too: the last frames of both decode alike.
    const b = await compareFirstAndLast(page, busy);
    expect(Math.abs(a.last - b.last)).toBeLessThan(1);
  });
});

describe('control and failures', () => {
  test('while recording the run cannot change; cancel leaves no download and the sandbox running', async () => {
    const { page } = await shared.get(browser);
    // A long run, playing: still recording when cancelled, and playing on after.
    await page.evaluate(async () => {
      await window.sandbox.configure({
        steps: 400,
        recHoldFirst: 0,
        recHoldLast: 0,
        recResolution: '720p',
      });
      window.sandbox.play();
    });
    let downloads = 0;
    page.on('download', () => downloads++);
    await openFolder(page, 'Record');
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
    const shown = await shownCount(page);
    await page.locator('.record-bar button').click();
    // Told once the recording has ended: saving a clip (a download) and this are exclusive.
    await expect(nextMessage(page, 'info', shown)).resolves.toMatch(/cancelled: nothing saved/);
    expect(downloads).toBe(0);
    expect(await page.locator('.record-bar').isVisible()).toBe(false);
    // Usable again: settings change, and the run plays.
    await page.evaluate(() => window.sandbox.configure({ steps: 30, loop: true }));
    const step = await page.evaluate(() => window.sandbox.status().step);
    await page.waitForFunction((s) => window.sandbox.status().step !== s, step);
  });

  test('a lost device mid-clip ends it with the frames so far, and the sandbox rebuilds', async () => {
    // The last test of the shared page: it ends on a rebuilt device.
    const { page } = await shared.get(browser);
    await page.evaluate(() =>
      window.sandbox.configure({ steps: 300, recHoldFirst: 0, recHoldLast: 0 }),
    );
    const shown = await shownCount(page);
    const result = page.evaluate(async () => {
      const blob = await window.sandbox.record({ format: 'webm', width: 320, height: 240 });
      const buffer = new Uint8Array(await blob.arrayBuffer());
      let text = '';
      for (let i = 0; i < buffer.length; i += 0x8000)
        text += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
      return btoa(text);
    });
    // Awaited below; should a wait fail first, its failure is the one reported.
    result.catch(() => undefined);
    await page.waitForFunction(() => window.sandbox.status().step >= 20);
    await page.evaluate(() => window.sandbox.loseDevice());
    const b64 = await result;
    expect(await nextMessage(page, 'warning', shown)).toMatch(/GPU device was lost/);
    expect((await shownMessages(page)).slice(shown).map((m) => m.text)).toContainEqual(
      expect.stringMatching(/GPU was lost during the clip: kept its first \d+ frames/),
    );
    const clip = await readClip(new Uint8Array(Buffer.from(b64, 'base64')));
    expect(clip.timestamps.length).toBeGreaterThan(10);
    expect(clip.timestamps.length).toBeLessThan(301);
    await page.waitForFunction(() => window.sandbox.settings().steps === 300);
    await page.evaluate(() => window.sandbox.run());
    expect(await page.evaluate(() => window.sandbox.status().step)).toBe(300);
    await shared.discard();
  });

  test('without WebCodecs it records in real time with MediaRecorder and says so', async () => {
    const { page } = await openPage(browser, `${base}${RUN}`, undefined, () => {
      delete (window as { VideoEncoder?: unknown }).VideoEncoder;
    });
    await ready(page);
    const { bytes, type } = await record(page, { format: 'webm', ...SIZE });
    expect(type).toBe('video/webm');
    expect(bytes.length).toBeGreaterThan(1000);
    expect(await nextMessage(page, 'warning')).toMatch(/real time/);
  });
});
