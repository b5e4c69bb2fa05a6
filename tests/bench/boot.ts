/**
 * `npm run bench:boot`: time from navigation to the first frame drawn after the sandbox is ready,
 * in headless Chromium (WebGPU on SwiftShader here), over the built app (dist/). Each load is a
 * fresh page in a fresh browser context; prints every load and the median, for the default page
 * and for an image dataset. `-- --runs N` (default 5).
 */
import { preview } from 'vite';
import { launch } from '../e2e/browser';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const PAGES = ['', '#dataset=mnist'];

const server = await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
const url = server.resolvedUrls?.local[0];
if (!url) throw new Error('the preview server has no URL');
const browser = await launch();
try {
  for (const hash of PAGES) {
    const times: number[] = [];
    const moving: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(url + hash);
      // The sandbox is ready, then two animation frames: the first frame of the run is on screen.
      const ms = await page.evaluate(async () => {
        await window.sandbox.ready;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now();
      });
      const step3 = await page.evaluate(async () => {
        while (window.sandbox.status().step < 3) await new Promise((r) => setTimeout(r, 20));
        return performance.now();
      });
      times.push(ms);
      moving.push(step3);
      console.log(
        `${hash || 'default'} load ${i + 1}: first frame ${(ms / 1000).toFixed(2)} s, step 3 at ${(step3 / 1000).toFixed(2)} s`,
      );
      await context.close();
    }
    for (const [what, list] of [
      ['first frame', times],
      ['step 3', moving],
    ] as const) {
      list.sort((a, b) => a - b);
      const s = (v: number): string => (v / 1000).toFixed(2);
      console.log(
        `${hash || 'default'}: ${what} median ${s(list[Math.floor(list.length / 2)]!)} s over ${RUNS} loads (min ${s(list[0]!)}, max ${s(list[list.length - 1]!)})`,
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
}
