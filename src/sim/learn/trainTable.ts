/**
 * The trainer's step table: one TrainStep (shaders/lib/train_step.wgsl) per optimiser step of a
 * submission, read by the batch sampler and AdamW at a dynamic offset, so that a frame records
 * many steps with one write to the queue. AdamW's bias corrections are computed here in float64.
 * Writing a step allocates nothing (the frame path).
 */
import { makeStructuredView, type StructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import type { Kernel } from '../../gpu/kernel';
import { adamCorrections, type AdamHyper } from '../../maths/learn/optim';

type Field = 'step' | 'lr' | 'decay' | 'correction1' | 'correction2' | 'stratified';

export class TrainTable {
  readonly buffer: GPUBuffer;
  /** Bytes between slots (the device's uniform offset alignment). */
  readonly stride: number;
  /** The binding: one TrainStep at the slot's offset. */
  readonly binding: GPUBufferBinding;
  private readonly bytes: ArrayBuffer;
  private readonly fields: Record<Field, Float32Array | Uint32Array>[];

  constructor(
    private readonly device: GPUDevice,
    /** A kernel that declares `train` (its layout is read from the WGSL). */
    kernel: Kernel,
    readonly slots: number,
  ) {
    const definition = kernel.definitions.uniforms.train;
    if (!definition) throw new Error(`${kernel.label}.wgsl: no uniform train`);
    const align = device.limits.minUniformBufferOffsetAlignment;
    this.stride = Math.ceil(definition.size / align) * align;
    this.bytes = new ArrayBuffer(this.stride * slots);
    this.fields = Array.from({ length: slots }, (_, i) => {
      const view: StructuredView = makeStructuredView(definition, this.bytes, i * this.stride);
      return view.views as Record<Field, Float32Array | Uint32Array>;
    });
    this.buffer = createBuffer(device, {
      label: 'train steps',
      size: this.bytes.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.binding = { buffer: this.buffer, size: definition.size };
  }

  /** Slot `slot` holds optimiser step `step` (>= 1) of hyperparameters h. */
  set(slot: number, step: number, h: AdamHyper, stratified = false): void {
    const f = this.fields[slot];
    if (!f) throw new Error(`train table: slot ${slot} of ${this.slots}`);
    const [c1, c2] = adamCorrections(h, step);
    f.step[0] = step;
    f.lr[0] = h.lr;
    f.decay[0] = 1 - h.lr * h.weightDecay;
    f.correction1[0] = c1;
    f.correction2[0] = c2;
    f.stratified[0] = stratified ? 1 : 0;
  }

  /** Uploads slots [0, count). */
  flush(count: number): void {
    this.device.queue.writeBuffer(this.buffer, 0, this.bytes, 0, count * this.stride);
  }

  /** The dynamic offset of a slot, into `out` (no allocation). */
  offset(slot: number, out: Uint32Array): Uint32Array {
    out[0] = slot * this.stride;
    return out;
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
