/**
 * The page of `npm run bench:learn` (learn.html, served by Vite, driven by learn.ts): the
 * measurements of learnRun.ts on the browser's WebGPU, in one page load.
 */
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { shaderSources } from '../../src/gpu/shaderSources';
import { adapter, run, type BenchGpu } from './learnRun';

let bench: Promise<BenchGpu> | null = null;

function device(): Promise<BenchGpu> {
  bench ??= acquireGpu().then((gpu: Gpu) => ({
    gpu,
    shaders: shaderSources,
    userAgent: navigator.userAgent,
  }));
  return bench;
}

window.learnBench = {
  adapter: async () => adapter(await device()),
  run: async (o) => run(await device(), o),
};
