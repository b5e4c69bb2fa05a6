// `npm run bench:bundle`: the benchmark as one file for a machine with no npm, only a `node`
// binary. Writes dist-bench/bench.mjs (everything bundled except the `webgpu` package, which the
// bundle loads at run time from DAWN_WEBGPU_DIR, else from node_modules beside or above it) and
// dist-bench/shaders/, read relative to the bundle. Run there as:
//   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/bench.mjs [--quick] [--json out.json]
import { cpSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'dist-bench');

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'tests/bench/bench.ts')],
  outfile: join(out, 'bench.mjs'),
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

const kib = Math.round(statSync(join(out, 'bench.mjs')).size / 1024);
process.stdout.write(`wrote dist-bench/bench.mjs (${kib} KiB) and dist-bench/shaders/\n`);
