/**
 * How long a dropped point file blocks the page: serves the built dist/ (run `npm run build`
 * first), drops CSVs of 1,000,000 and 2,000,000 rows on the page in headless Chromium, and
 * reports, from the drop to the page's message, the main thread's long tasks (over 50 ms), the
 * longest gap between animation frames, and the time to the message. Run with `npx tsx tests/bench/fileBlock.ts [rows...]`.
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
  // Paused: the frames then only redraw, and the GPU process competes less with the parse.
  await page.evaluate(() => window.sandbox.pause());
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
      // Main-thread tasks over 50 ms (the Long Tasks API): what blocks the page itself, where
      // the frame gaps also count a busy machine's wait for the GPU process.
      const tasks: number[] = [];
      const longTasks = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) tasks.push(entry.duration);
      });
      longTasks.observe({ type: 'longtask' });
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
      for (const entry of longTasks.takeRecords()) tasks.push(entry.duration);
      longTasks.disconnect();
      const longestTask = Math.max(0, ...tasks);
      const blocked = tasks.reduce((a, b) => a + b, 0);
      return { bytes: file.size, answered, longest, frames, longestTask, blocked, message };
    }, count);
    console.log(
      `${count.toLocaleString('en')} rows (${(result.bytes / 1e6).toFixed(1)} MB): ` +
        `message after ${result.answered.toFixed(0)} ms; longest main-thread task ` +
        `${result.longestTask.toFixed(0)} ms, ${result.blocked.toFixed(0)} ms in tasks over 50 ms; ` +
        `longest frame gap ${result.longest.toFixed(0)} ms (${result.frames} frames): ${result.message}`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
