/**
 * The page of the browser benchmarks (page.html, served by Vite, driven by inChromium.ts): the
 * measurements its URL's `?run=` names (learn: learnRun.ts, unet: unetRun.ts) on the browser's
 * WebGPU, in one page load, offered to the driver as `window.bench`.
 */
import { acquireGpu } from '../../src/gpu/device';
import { shaderSources } from '../../src/gpu/shaderSources';
import { adapterReport, type BenchGpu } from './benchGpu';
import { PAGE_BENCHES, type PageBenchName } from './benchTypes';

type Run = (bench: BenchGpu, options: never) => Promise<unknown>;

const RUNS: Record<PageBenchName, () => Promise<{ run: Run }>> = {
  learn: () => import('./learnRun'),
  unet: () => import('./unetRun'),
};

const name = new URLSearchParams(location.search).get('run') ?? 'learn';
if (!(PAGE_BENCHES as readonly string[]).includes(name)) throw new Error(`no bench ${name}`);

let bench: Promise<BenchGpu> | null = null;

function device(): Promise<BenchGpu> {
  bench ??= acquireGpu().then((gpu) => ({
    gpu,
    shaders: shaderSources,
    userAgent: navigator.userAgent,
  }));
  return bench;
}

window.bench = {
  adapter: async () => adapterReport(await device()),
  // The options come from the driver, made by this bench's own options(): its run's type.
  run: async (o) => (await RUNS[name as PageBenchName]()).run(await device(), o as never),
};
