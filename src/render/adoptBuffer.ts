/**
 * three.js draws straight from buffers our kernels write: a storage attribute is given our
 * GPUBuffer before three would create its own. This reaches into three's WebGPU backend (checked
 * with three 0.187: WebGPUAttributeUtils.createAttribute only creates a buffer when none is
 * set), so it lives in this one function.
 */
import type {
  StorageBufferAttribute,
  StorageInstancedBufferAttribute,
  WebGPURenderer,
} from 'three/webgpu';

interface BackendData {
  buffer?: GPUBuffer;
}

export function adoptBuffer(
  renderer: WebGPURenderer,
  attribute: StorageBufferAttribute | StorageInstancedBufferAttribute,
  buffer: GPUBuffer,
): void {
  const backend = renderer.backend as unknown as { get(object: object): BackendData };
  backend.get(attribute).buffer = buffer;
}
