/** The WebGPU a benchmark's measurements run on, in a page (page.ts) or in Node (inDawn.ts). */
import type { Gpu } from '../../src/gpu/device';
import type { ShaderSources } from '../../src/gpu/kernel';
import type { AdapterReport } from './benchTypes';

/** The WebGPU the measurements run on, its kernels' sources, and what describes its host. */
export interface BenchGpu {
  gpu: Gpu;
  shaders: ShaderSources;
  userAgent: string;
}

export function adapterReport({ gpu: g, userAgent }: BenchGpu): AdapterReport {
  const info = g.adapter.info;
  const cpu =
    info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(g.description);
  return { description: g.description, cpu, userAgent };
}

/**
 * Runs `body` with WebGPU's uncaptured errors collected; throws them after it, so that a bench
 * never reports the speed of work that failed.
 */
export async function withGpuErrors<T>(device: GPUDevice, body: () => Promise<T>): Promise<T> {
  const errors: string[] = [];
  const onError = (e: GPUUncapturedErrorEvent): void => void errors.push(e.error.message);
  device.addEventListener('uncapturederror', onError);
  try {
    const result = await body();
    if (errors.length) throw new Error(`WebGPU errors: ${errors.join('; ')}`);
    return result;
  } finally {
    device.removeEventListener('uncapturederror', onError);
  }
}
