/**
 * A browser benchmark (bench:learn, bench:unet) in one page load of headless Chromium: page.html
 * served by Vite (WebGPU on SwiftShader where there is no GPU), its `window.bench` asked for the
 * adapter, then run with the options the flags give on it. Prints markdown to stdout, progress to
 * stderr, and writes the markdown to tests/bench/results/<name>-<adapter>.md (or --out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { progressLog, slug, type BenchCli, type CommonFlags } from './benchCli';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function runInChromium<F extends CommonFlags, O, R>(
  cli: BenchCli<F, O, R>,
  argv: readonly string[],
): Promise<void> {
  const flags = cli.parseFlags(argv);
  if (!flags) {
    console.log(cli.usage);
    return;
  }
  const progress = progressLog();
  const server = await createServer({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0 },
    // Every dependency bundled before the page loads: a later discovery would reload it mid-run.
    optimizeDeps: {
      entries: ['tests/bench/page.html'],
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
    await page.goto(`${url}tests/bench/page.html?run=${cli.name}`);
    await page.waitForFunction(() => window.bench !== undefined, null, { timeout: 120_000 });
    const adapter = await page.evaluate(() => window.bench!.adapter());
    progress(`adapter: ${adapter.description}${adapter.cpu ? ' (CPU)' : ''}`);
    const o = cli.options(flags, adapter.cpu);
    // Structured clone across the page boundary: the page's run answers this bench's report.
    const result = (await page.evaluate((opts) => window.bench!.run(opts), o)) as R;
    const text = cli.report(result, o, `Chromium ${browser.version()}`);
    console.log(text);
    const out =
      flags.out ?? resolve(ROOT, `tests/bench/results/${cli.name}-${slug(adapter.description)}.md`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    progress(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.close();
  }
}
