/** Buffers: creation with labels and uploads (readback: ./readback.ts). */

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
