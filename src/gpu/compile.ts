/**
 * The one way the app compiles a kernel: through a cache per device, so a kernel is compiled once
 * per device and shared by every lane, sweep, cloner and meter that asks for it. The cache holds
 * promises, so concurrent requests share one compilation; it is keyed by the device in a WeakMap,
 * so a lost device's kernels go with it, and a failed compilation is forgotten (the next request
 * tries again).
 */
import { createKernel, kernelSource, type Kernel, type ShaderSources } from './kernel';

export interface CompileOptions {
  /** The WORKGROUP_SIZE override (createKernel's default unless given). */
  workgroupSize?: number;
  /** Uniform variables bound with a dynamic offset. */
  dynamic?: readonly string[];
  entryPoint?: string;
}

interface DeviceKernels {
  kernels: Map<string, Promise<Kernel>>;
  /** Compilations started on this device: each distinct kernel once. */
  compiles: number;
}

const cache = new WeakMap<GPUDevice, DeviceKernels>();

function kernelsOf(device: GPUDevice): DeviceKernels {
  let entry = cache.get(device);
  if (!entry) {
    entry = { kernels: new Map(), compiles: 0 };
    cache.set(device, entry);
  }
  return entry;
}

/**
 * The kernel `name` (a file of shaders/, without .wgsl, compiled with the shared library) on
 * `device`: compiled on the first request for this source and options, the same Kernel (the same
 * pipeline) after that.
 */
export function compileKernel(
  device: GPUDevice,
  sources: ShaderSources,
  name: string,
  options: CompileOptions = {},
): Promise<Kernel> {
  const code = kernelSource(sources, name);
  const key = [
    options.workgroupSize ?? '',
    options.entryPoint ?? '',
    (options.dynamic ?? []).join(','),
    code,
  ].join('\n');
  const entry = kernelsOf(device);
  let kernel = entry.kernels.get(key);
  if (!kernel) {
    entry.compiles++;
    kernel = createKernel(device, {
      label: name,
      code,
      ...(options.workgroupSize !== undefined ? { workgroupSize: options.workgroupSize } : {}),
      ...(options.entryPoint !== undefined ? { entryPoint: options.entryPoint } : {}),
      ...(options.dynamic ? { dynamic: options.dynamic } : {}),
    });
    entry.kernels.set(key, kernel);
    const cached = kernel;
    kernel.catch(() => {
      if (entry.kernels.get(key) === cached) entry.kernels.delete(key);
    });
  }
  return kernel;
}

/** How many kernels have been compiled on `device` (for tests and benchmarks). */
export function kernelCompiles(device: GPUDevice): number {
  return cache.get(device)?.compiles ?? 0;
}
