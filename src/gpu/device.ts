/**
 * The one place that asks for WebGPU: the adapter, the device and their loss. Everything else
 * receives the device explicitly.
 */

/** Why the sandbox cannot run, in words a person can act on. */
export class WebGpuUnavailableError extends Error {
  constructor(
    readonly reason: 'no-webgpu' | 'no-adapter' | 'no-device',
    detail?: string,
  ) {
    super(`${explainUnavailable(reason)}${detail ? ` (${detail})` : ''}`);
    this.name = 'WebGpuUnavailableError';
  }
}

export function explainUnavailable(reason: WebGpuUnavailableError['reason']): string {
  switch (reason) {
    case 'no-webgpu':
      return 'This browser does not offer WebGPU.';
    case 'no-adapter':
      return 'WebGPU is present but no GPU adapter is available: it may be turned off or blocked.';
    case 'no-device':
      return 'The GPU adapter refused to create a device.';
  }
}

export interface Gpu {
  adapter: GPUAdapter;
  device: GPUDevice;
  /** Whether the device can time GPU passes (the 'timestamp-query' feature). */
  timestamps: boolean;
  /** "vendor architecture" of the adapter, for the HUD and benchmarks. */
  description: string;
  /** Destroys the device on purpose: not reported as a loss. */
  release(): void;
}

export interface AcquireOptions {
  /** The GPU entry point: navigator.gpu in a browser, the `webgpu` package's in Node. */
  gpu?: GPU | undefined;
  /** Called once if the device is lost for any reason other than our own destroy(). */
  onLost?: (info: GPUDeviceLostInfo) => void;
}

/**
 * Requests a high-performance adapter and a device with the adapter's largest buffer limits (so
 * millions of particles fit) plus timestamp queries and core features where offered.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<Gpu> {
  const gpu = options.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!gpu) throw new WebGpuUnavailableError('no-webgpu');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('no-adapter');
  const wanted: GPUFeatureName[] = ['timestamp-query', 'core-features-and-limits'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'sandbox',
      requiredFeatures,
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
        maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
      },
    });
  } catch (e) {
    throw new WebGpuUnavailableError('no-device', e instanceof Error ? e.message : String(e));
  }
  let released = false;
  void device.lost.then((info) => {
    if (!released) options.onLost?.(info);
  });
  const info = adapter.info;
  return {
    adapter,
    device,
    release: () => {
      released = true;
      device.destroy();
    },
    timestamps: device.features.has('timestamp-query'),
    description: [info.vendor, info.architecture, info.description].filter(Boolean).join(' '),
  };
}

/** The most particles whose largest per-particle buffer (16 bytes) the device can bind. */
export function maxParticles(device: GPUDevice): number {
  const bytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  return Math.floor(bytes / 16);
}
