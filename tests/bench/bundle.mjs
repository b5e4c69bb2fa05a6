// `npm run bench:bundle`: the benchmarks as files for a machine with no npm, only a `node`
// binary. Writes dist-bench/bench.mjs (the kernels), dist-bench/learn.mjs (the learned
// denoiser's training against TF.js, learnNode.ts) and dist-bench/unet.mjs (the image U-Net's,
// unetNode.ts), everything bundled except the `webgpu`
// package, which they load at run time from DAWN_WEBGPU_DIR, else from node_modules beside or
// above them, and dist-bench/shaders/, read relative to the bundles. Run there as:
//   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/bench.mjs [--quick] [--json out.json]
//   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/learn.mjs [--batch 256,4096] [--out f.md]
//   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/unet.mjs [--batch 64,256] [--out f.md]
import { cpSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'dist-bench');

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: {
    bench: join(root, 'tests/bench/bench.ts'),
    learn: join(root, 'tests/bench/learnNode.ts'),
    unet: join(root, 'tests/bench/unetNode.ts'),
  },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  // CommonJS dependencies that call require() need one in an ES module.
  banner: {
    js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
cpSync(join(root, 'shaders'), join(out, 'shaders'), { recursive: true });

const kib = (f) => Math.round(statSync(join(out, f)).size / 1024);
process.stdout.write(
  `wrote dist-bench/bench.mjs (${kib('bench.mjs')} KiB), dist-bench/learn.mjs (${kib('learn.mjs')} KiB), dist-bench/unet.mjs (${kib('unet.mjs')} KiB) and dist-bench/shaders/\n`,
);
