/**
 * How long a dropped point file blocks the page: serves the built dist/ (run `npm run build`
 * first), drops CSVs of 1,000,000 and 2,000,000 rows on the page in headless Chromium, and
 * reports the longest gap between animation frames from the drop to the page's message, and the
 * time to that message. Run with `npx tsx tests/bench/fileBlock.ts [rows...]`.
 */
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';

const rows = process.argv.slice(2).map(Number);
const server = await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
const url = server.resolvedUrls?.local[0];
if (!url) throw new Error('the preview server has no URL');
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  // tsx keeps function names with a helper that the page does not have.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(`${url}#n=2000&steps=40&loop=false&observables=false&showData=false`);
  await page.waitForFunction(() => 'sandbox' in window);
  await page.evaluate(() => window.sandbox.ready);
  for (const count of rows.length ? rows : [1_000_000, 2_000_000]) {
    const result = await page.evaluate(async (count) => {
      const lines = ['x,y'];
      for (let i = 0; i < count; i++)
        lines.push(`${((i * 7919) % 10007) / 1000 - 5},${((i * 104729) % 10009) / 1000 - 5}`);
      const file = new File([lines.join('\n')], `rows${count}.csv`, { type: 'text/csv' });
      let message = null as string | null;
      const observer = new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes)
            if (node instanceof HTMLElement && node.classList.contains('message'))
              message ??= node.textContent;
      });
      observer.observe(document, { childList: true, subtree: true });
      // Frames before the drop, so that the gaps measured are the drop's.
      for (let i = 0; i < 10; i++) await new Promise((r) => requestAnimationFrame(r));
      let last = performance.now();
      let longest = 0;
      let frames = 0;
      let done = false;
      const tick = (now: number): void => {
        longest = Math.max(longest, now - last);
        last = now;
        frames++;
        if (!done) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const dropped = performance.now();
      last = dropped;
      const transfer = new DataTransfer();
      transfer.items.add(file);
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
      while (message === null) await new Promise((r) => setTimeout(r, 5));
      const answered = performance.now() - dropped;
      // The frame after the message closes the last gap.
      await new Promise((r) => requestAnimationFrame(r));
      done = true;
      observer.disconnect();
      return { bytes: file.size, answered, longest, frames, message };
    }, count);
    console.log(
      `${count.toLocaleString('en')} rows (${(result.bytes / 1e6).toFixed(1)} MB): ` +
        `message after ${result.answered.toFixed(0)} ms, longest frame gap ${result.longest.toFixed(0)} ms, ` +
        `${result.frames} frames meanwhile: ${result.message}`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
