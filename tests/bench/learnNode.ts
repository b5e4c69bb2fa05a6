/**
 * `bench:learn` in Node through Dawn (the `webgpu` package), for a machine with a GPU and no
 * browser: the same measurements as the page (learnRun.ts), ours and TF.js's WebGPU backend on
 * one Dawn device. Bundled by `npm run bench:bundle` into dist-bench/learn.mjs; run there as
 *   DAWN_WEBGPU_DIR=/path/to/webgpu ./node dist-bench/learn.mjs [flags] [--out file.md]
 * and here as `npx tsx tests/bench/learnNode.ts`. Prints the markdown report to stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import process from 'node:process';
import { acquireGpu } from '../../src/gpu/device';
import { loadDawn, reexecForVulkan } from './dawn';
import { options, parseFlags, report, USAGE } from './learnCli';
import { readShaderSources } from './shaders';

async function main(): Promise<number> {
  const code = await reexecForVulkan();
  if (code !== null) return code;
  const flags = parseFlags(process.argv.slice(2));
  if (!flags) {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  const progress = (m: string): void => {
    process.stderr.write(
      `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`,
    );
  };
  const dawn = await loadDawn();
  progress(`Dawn from ${dawn.from}${dawn.notes.length ? ` (${dawn.notes.join('; ')})` : ''}`);
  // TF.js's WebGPU backend registers itself only where navigator.gpu exists (Node 20 has no
  // navigator): set it before the backend's module is evaluated (learnRun imports it lazily).
  const nav = { gpu: dawn.gpu, userAgent: `Node ${process.version}` };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  const { adapter, run } = await import('./learnRun');
  // TF.js asks navigator.gpu for its own adapter and device: the same Dawn instance as ours.
  const gpu = await acquireGpu({ gpu: dawn.gpu });
  const bench = { gpu, shaders: readShaderSources().sources, userAgent: nav.userAgent };
  const a = adapter(bench);
  progress(`adapter: ${a.description}${a.cpu ? ' (CPU)' : ''}`);
  const o = options(flags, a.cpu);
  const originalLog = console.log;
  console.log = (...m: unknown[]): void => progress(m.map(String).join(' '));
  const result = await run(bench, o).finally(() => (console.log = originalLog));
  const text = report(result, o, `Node ${process.version}, Dawn (the webgpu package)`);
  console.log(text);
  if (flags.out) {
    mkdirSync(dirname(resolve(flags.out)), { recursive: true });
    writeFileSync(flags.out, text);
    progress(`wrote ${flags.out}`);
  }
  gpu.release();
  return 0;
}

process.exitCode = await main();
