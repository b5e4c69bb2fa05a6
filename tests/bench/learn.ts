/**
 * `npm run bench:learn`: the learned denoiser's training speed against TF.js on the same MLP and
 * batch, and its sampling NFE/s, in one page load of headless Chromium (learn.html, served by
 * Vite; WebGPU on SwiftShader where there is no GPU). Prints markdown to stdout, progress to
 * stderr, and writes the markdown to tests/bench/results/learn-<adapter>.md. `--help` for flags.
 * learnNode.ts runs the same measurements in Node through Dawn, where there is no browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { options, parseFlags, report, slug, USAGE } from './learnCli';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (!flags) {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const progress = (m: string): void => {
    process.stderr.write(
      `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`,
    );
  };
  const server = await createServer({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0 },
    // Every dependency bundled before the page loads: a later discovery would reload it mid-run.
    optimizeDeps: {
      entries: ['tests/bench/learn.html'],
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-core/dist/register_all_gradients',
        '@tensorflow/tfjs-backend-cpu',
        '@tensorflow/tfjs-backend-webgl',
        '@tensorflow/tfjs-backend-webgpu',
        'webgpu-utils',
      ],
    },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the Vite server has no URL');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => progress(m.text()));
    page.on('pageerror', (e) => progress(`page error: ${e.message}`));
    await page.goto(`${url}tests/bench/learn.html`);
    await page.waitForFunction(() => window.learnBench !== undefined, null, { timeout: 120_000 });
    const adapter = await page.evaluate(() => window.learnBench!.adapter());
    progress(`adapter: ${adapter.description}${adapter.cpu ? ' (CPU)' : ''}`);
    const o = options(flags, adapter.cpu);
    const result = await page.evaluate((opts) => window.learnBench!.run(opts), o);
    const text = report(result, o, `Chromium ${browser.version()}`);
    console.log(text);
    const out =
      flags.out ?? resolve(ROOT, `tests/bench/results/learn-${slug(adapter.description)}.md`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    progress(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
