/**
 * A browser benchmark (bench:learn, bench:unet) in Node through Dawn (the `webgpu` package), for a
 * machine with a GPU and no browser: the same measurements as its page, ours and TF.js's WebGPU
 * backend on one Dawn device. Prints the markdown report to stdout; writes it to --out if given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import process from 'node:process';
import { acquireGpu } from '../../src/gpu/device';
import { progressLog, type BenchCli, type CommonFlags } from './benchCli';
import { adapterReport, type BenchGpu } from './benchGpu';
import { loadDawn, reexecForVulkan } from './dawn';
import { readShaderSources } from './shaders';

/**
 * Runs `cli` with the measurements `load` imports, once navigator.gpu is Dawn's: TF.js's WebGPU
 * backend registers itself only where navigator.gpu exists (Node 20 has no navigator), so the
 * module that imports TF.js must be evaluated after that. Resolves to the exit code.
 */
export async function runInDawn<F extends CommonFlags, O, R>(
  cli: BenchCli<F, O, R>,
  load: () => Promise<{ run: (bench: BenchGpu, o: O) => Promise<R> }>,
): Promise<number> {
  const code = await reexecForVulkan();
  if (code !== null) return code;
  const flags = cli.parseFlags(process.argv.slice(2));
  if (!flags) {
    console.log(cli.usage);
    return 0;
  }
  const progress = progressLog();
  const dawn = await loadDawn();
  progress(`Dawn from ${dawn.from}${dawn.notes.length ? ` (${dawn.notes.join('; ')})` : ''}`);
  const nav = { gpu: dawn.gpu, userAgent: `Node ${process.version}` };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  const { run } = await load();
  // TF.js asks navigator.gpu for its own adapter and device: the same Dawn instance as ours.
  const gpu = await acquireGpu({ gpu: dawn.gpu });
  const bench = { gpu, shaders: readShaderSources().sources, userAgent: nav.userAgent };
  const a = adapterReport(bench);
  progress(`adapter: ${a.description}${a.cpu ? ' (CPU)' : ''}`);
  const o = cli.options(flags, a.cpu);
  const originalLog = console.log;
  console.log = (...m: unknown[]): void => progress(m.map(String).join(' '));
  const result = await run(bench, o).finally(() => (console.log = originalLog));
  const text = cli.report(result, o, `Node ${process.version}, Dawn (the webgpu package)`);
  console.log(text);
  if (flags.out) {
    mkdirSync(dirname(resolve(flags.out)), { recursive: true });
    writeFileSync(flags.out, text);
    progress(`wrote ${flags.out}`);
  }
  gpu.release();
  return 0;
}
