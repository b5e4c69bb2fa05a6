/**
 * The one way the app reads the GPU back (never on the frame path): a pool of staging buffers.
 * Each read takes a free staging buffer (or makes one, so the pool grows to the most reads pending
 * at once), copies its sources into it one after another after all work submitted so far, maps
 * it, parses the bytes and gives the buffer back; so reads in flight never share a buffer.
 */
import { createBuffer } from './buffers';

/** A byte range of a buffer (COPY_SRC): from `offset` (0), `size` bytes (to the end). */
export interface BufferRange {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

export type ReadSource = GPUBuffer | BufferRange;

function range(source: ReadSource): { buffer: GPUBuffer; offset: number; size: number } {
  if (!('buffer' in source)) return { buffer: source, offset: 0, size: source.size };
  const offset = source.offset ?? 0;
  return { buffer: source.buffer, offset, size: source.size ?? source.buffer.size - offset };
}

/** Staging buffers of `size` bytes for repeated reads of the same shape. A read after destroy() rejects. */
export class StagingPool {
  private readonly free: GPUBuffer[] = [];
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    readonly size: number,
  ) {}

  /**
   * Copies the sources, in order, after all work submitted so far, and parses the bytes (`size`
   * of them: the sources' sizes must add up to it). The bytes are valid only inside `parse`.
   */
  async read<T>(
    sources: ReadSource | readonly ReadSource[],
    parse: (bytes: ArrayBuffer) => T,
  ): Promise<T> {
    if (this.destroyed) throw new Error(`${this.label}: read after destroy`);
    const list = (Array.isArray(sources) ? sources : [sources]) as readonly ReadSource[];
    const ranges = list.map(range);
    let total = 0;
    for (const r of ranges) total += r.size;
    if (total !== this.size)
      throw new Error(`${this.label}: reads ${total} bytes, not ${this.size}`);
    const staging =
      this.free.pop() ??
      createBuffer(this.device, {
        label: `${this.label} readback`,
        size: this.size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    const encoder = this.device.createCommandEncoder({ label: `${this.label} read` });
    let offset = 0;
    for (const r of ranges) {
      encoder.copyBufferToBuffer(r.buffer, r.offset, staging, offset, r.size);
      offset += r.size;
    }
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, this.size);
    } catch (e) {
      staging.destroy();
      throw e;
    }
    let out: T;
    try {
      out = parse(staging.getMappedRange(0, this.size));
    } finally {
      staging.unmap();
    }
    if (this.destroyed) staging.destroy();
    else this.free.push(staging);
    return out;
  }

  destroy(): void {
    this.destroyed = true;
    for (const b of this.free) b.destroy();
    this.free.length = 0;
  }
}

/**
 * One read: `size` bytes of `source` (COPY_SRC) from `offset`, after all work submitted before
 * it, through a staging buffer of its own.
 */
export async function readback(
  device: GPUDevice,
  source: GPUBuffer,
  size: number = source.size,
  offset = 0,
): Promise<ArrayBuffer> {
  const pool = new StagingPool(device, source.label, size);
  try {
    return await pool.read({ buffer: source, offset, size }, (bytes) => bytes.slice(0));
  } finally {
    pool.destroy();
  }
}
