/**
 * `npm run screenshots`: takes the README's pictures afresh from the built app (dist/; run
 * `npm run build` first) in headless Chromium, and writes each picture's caption into the
 * README, so that neither can drift from what the sandbox shows. `-- --only NAME` takes one.
 * On SwiftShader (no GPU) the whole set takes a few minutes.
 *
 * `-- --layout [--url URL] [--out DIR]`: instead, the page in each of points, images, compare
 * and Langevin at the five sizes of tests/e2e/layout.test.ts, run to its end, as JPEGs in DIR
 * (default tests/screens/after), from URL (default: a preview of dist/). Taken from a build of
 * an older commit with --url, they are the "before" of a layout change.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { preview } from 'vite';
import { launch } from './e2e/browser';

interface Shot {
  /** The file under public/readme/. */
  file: string;
  caption: string;
  hash: string;
  size: [number, number];
  /** Gets the page to the moment pictured; the default plays the run to its end. */
  prepare?: (page: Page) => Promise<void>;
  /** A CSS selector: the picture is of this element only, at twice the pixels. */
  element?: string;
}

/** Plays the run to its end at the page's own pace, so the charts sample all of it. */
async function playToEnd(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await window.sandbox.reset();
    window.sandbox.play();
    const { steps } = window.sandbox.status();
    while (window.sandbox.status().step < steps) await new Promise((r) => setTimeout(r, 100));
  });
  // The readings of the last step: a few measurements later.
  await page.waitForTimeout(2500);
}

const SHOTS: Shot[] = [
  {
    file: 'sandbox.png',
    caption:
      'The sandbox: 30,000 particles denoised onto a swiss roll in 50 DDIM steps by the ' +
      'empirical denoiser of 1,000 points; beside them the schedule and the live observables, ' +
      'then the controls',
    hash: 'dataset=swissroll&denoiser=empirical&m=1000&n=30000&steps=50&loop=false',
    size: [1440, 900],
  },
  {
    file: 'phone.png',
    caption: 'On a phone (390x844): the particles fill the screen, the controls in a drawer',
    hash: 'n=20000&loop=false',
    size: [390, 844],
  },
  {
    file: 'schedule.png',
    caption:
      'The schedule chart: alpha, sigma and log-SNR of a custom schedule, with its control ' +
      'points, the step grid and the current t',
    hash: 'schedule=custom&steps=40&loop=false',
    size: [1440, 900],
    element: '.schedule-chart',
    prepare: async (page) => {
      await page.evaluate(async () => {
        await window.sandbox.reset();
        await window.sandbox.step(18);
      });
      await page.waitForTimeout(500);
    },
  },
  {
    file: 'sweep.png',
    caption:
      'Sliced Wasserstein-2 to the data against NFE for four samplers on two schedules, ' +
      'gaussians8, 1024 particles, with the finite-sample floor',
    hash: 'n=2000&sweepN=1024&sweepNfe=1,2,5,10,20,50,100&loop=false',
    size: [1440, 900],
    element: '.sweep-panel',
    prepare: async (page) => {
      await page.evaluate(() => window.sandbox.pause());
      await page.locator('.lil-title', { hasText: 'Sweep (quality vs NFE)' }).click();
      await page.locator('.lil-controller button', { hasText: 'Run sweep' }).click();
      await page.waitForFunction(
        () =>
          document.querySelector<HTMLButtonElement>('.sweep-buttons [data-act=csv]')?.disabled ===
          false,
        undefined,
        { timeout: 900_000 },
      );
    },
  },
  {
    file: 'landscape.png',
    caption:
      'The 3D landscape: underdamped Langevin at T = 0.5 on gaussians8, particles riding the ' +
      'energy surface, with trails',
    hash:
      'mode=langevin&langevin=underdamped&temperature=0.5&view=3d&landscape=energy' +
      '&trails=24&n=20000&steps=400&loop=false',
    size: [1440, 900],
    prepare: async (page) => {
      await page.evaluate(async () => {
        await window.sandbox.reset();
        await window.sandbox.step(120);
        window.sandbox.play();
      });
      await page.waitForTimeout(4000);
    },
  },
  {
    file: 'learned.png',
    caption:
      'The learned denoiser training live on moons: 3,000 particles sampling with the network as ' +
      'it trains; beside them its loss falling, its loss by t and the memorised fraction of its ' +
      'samples against the step',
    hash:
      'dataset=moons&denoiser=learned&n=3000&steps=30&modelWidth=32&modelDepth=2' +
      '&trainBatch=512&trainSpeed=4&trainLr=0.003&lossWeighting=min-snr&showData=true&loop=false',
    size: [1440, 900],
    // Trained by a script first (SwiftShader trains a few steps a frame), sampled to the end,
    // then trained on live for a while: the chart's last points come from the page's frames.
    prepare: async (page) => {
      await page.evaluate(async () => {
        window.sandbox.pause();
        await window.sandbox.train({ steps: 800 });
        await window.sandbox.reset();
        await window.sandbox.run();
        await window.sandbox.configure({ training: true });
      });
      await page.waitForTimeout(15000);
      await page.evaluate(() => window.sandbox.configure({ training: false }));
    },
  },
  {
    file: 'images.png',
    caption:
      'MNIST, 36 samples in 50 DDIM steps by the empirical denoiser over 1,000 digits: the batch, ' +
      'x0_hat and the nearest training digit of each, framed in orange once memorised; beside ' +
      'them the memorised fraction against t',
    hash: 'dataset=mnist&denoiser=empirical&m=1000&n=36&steps=50&loop=false',
    size: [1440, 900],
  },
  {
    file: 'images-smoothed.png',
    caption:
      'The same run with the smoothed denoiser (smoothing 4): samples are blends of nearby ' +
      'digits, none memorised',
    hash: 'dataset=mnist&denoiser=smoothed&smoothing=4&m=1000&n=36&steps=50&loop=false',
    size: [1440, 900],
  },
];

/** The layout set's pages: each mode with its panels open. */
const LAYOUT_MODES: Record<string, string> = {
  points: 'n=20000&loop=false&observables=true&marginals=true',
  images: 'dataset=mnist&n=36&loop=false&observables=true',
  compare: 'compare=true&n=20000&loop=false&observables=true&marginals=true',
  langevin:
    'mode=langevin&n=20000&loop=false&observables=true&marginals=true&landscape=energy' +
    '&arrows=true&trails=16',
};
const LAYOUT_SIZES = ['390x844', '800x600', '1280x800', '1440x900', '2560x1440'];

const arg = (name: string): string | null => {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? null) : null;
};
const only = arg('--only');
const layout = process.argv.includes('--layout');
const given = arg('--url');
const server = given
  ? null
  : await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
const url = given ?? server?.resolvedUrls?.local[0];
if (!url) throw new Error('the preview server has no URL');
const browser = await launch();

/** The layout set: each mode at each size, run to its end and paused. */
async function layoutSet(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  for (const [mode, hash] of Object.entries(LAYOUT_MODES)) {
    for (const size of LAYOUT_SIZES) {
      if (only && !`${mode}-${size}`.startsWith(only)) continue;
      const [width, height] = size.split('x').map(Number) as [number, number];
      const page = await browser.newPage({ viewport: { width, height } });
      page.setDefaultTimeout(120_000);
      const path = `${out}/${mode}-${size}.jpg`;
      try {
        await page.goto(`${url}#${hash}`);
        await page.evaluate(() => window.sandbox.ready);
        // Run to the end; a page that takes over 30 s (an older build's 0 px canvas) is pictured as it is.
        const ended = await page.evaluate(async () => {
          window.sandbox.pause();
          const late = new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000));
          return Promise.race([window.sandbox.run().then(() => true), late]);
        });
        // A few measurements of the end of the run for the charts, then the picture.
        await page.waitForTimeout(3000);
        await page.screenshot({ path, type: 'jpeg', quality: 80, timeout: 120_000 });
        console.log(`${path}${ended ? '' : ' (the run did not end)'}`);
      } catch (e) {
        console.warn(`${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      } finally {
        await page.close();
      }
    }
  }
}

let readme = readFileSync('README.md', 'utf8');
try {
  if (layout) await layoutSet(arg('--out') ?? 'tests/screens/after');
  for (const shot of layout ? [] : SHOTS.filter((s) => !only || s.file.startsWith(only))) {
    const started = performance.now();
    const [width, height] = shot.size;
    const context = await browser.newContext({
      viewport: { width, height },
      deviceScaleFactor: shot.element ? 2 : 1,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(300_000);
    page.on('pageerror', (e) => console.error(`${shot.file}: ${e.message}`));
    await page.goto(`${url}#${shot.hash}`);
    await page.evaluate(() => window.sandbox.ready);
    await (shot.prepare ?? playToEnd)(page);
    // Messages are for the moment; the picture is of the sandbox.
    await page.evaluate(() => {
      for (const note of document.querySelectorAll('.message')) note.remove();
    });
    const path = `public/readme/${shot.file}`;
    await (shot.element ? page.locator(shot.element) : page).screenshot({ path });
    await context.close();
    const escaped = path.replace(/[.]/g, '\\.');
    const markdown = new RegExp(`!\\[[^\\]]*\\]\\(${escaped}\\)`);
    const html = new RegExp(`(<img src="${escaped}"[^>]* alt=")[^"]*(")`);
    if (markdown.test(readme)) readme = readme.replace(markdown, `![${shot.caption}](${path})`);
    else if (html.test(readme)) readme = readme.replace(html, `$1${shot.caption}$2`);
    else console.warn(`README.md has no picture of ${path}: add one`);
    console.log(`${path} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  if (!layout) writeFileSync('README.md', readme);
} finally {
  await browser.close();
  await server?.close();
}
