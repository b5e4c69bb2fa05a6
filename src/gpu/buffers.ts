/** Buffers: creation with labels, uploads, and readback (never on the frame path). */

export interface BufferSpec {
  label: string;
  size: number;
  usage: GPUBufferUsageFlags;
  /** Initial contents, uploaded at creation. */
  data?: ArrayBufferView;
}

/** A buffer of at least 4 bytes (WebGPU rejects empty bindings), rounded up to 4. */
export function createBuffer(device: GPUDevice, spec: BufferSpec): GPUBuffer {
  const size = Math.max(4, Math.ceil(Math.max(spec.size, spec.data?.byteLength ?? 0) / 4) * 4);
  const buffer = device.createBuffer({
    label: spec.label,
    size,
    usage: spec.usage,
    mappedAtCreation: spec.data !== undefined,
  });
  if (spec.data) {
    const bytes = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
  }
  return buffer;
}

/**
 * Copies `size` bytes of a buffer (COPY_SRC) into a fresh staging buffer and maps it. Waits for
 * all work submitted before it.
 */
export async function readback(
  device: GPUDevice,
  source: GPUBuffer,
  size: number = source.size,
  offset = 0,
): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    label: `${source.label} readback`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: 'readback' });
  encoder.copyBufferToBuffer(source, offset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}
