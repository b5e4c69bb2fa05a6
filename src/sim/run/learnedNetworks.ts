/**
 * The image U-Net as a run's denoiser (issue 14): what the Simulation records for one denoiser
 * evaluation of a batch of n images. run/unet_in writes the particles at the step's level into the
 * network's input (x c_in, NCHW) and its level tau; the U-Net's forward runs over the batch,
 * reading the trainer's EMA weights; run/unet_out turns its output into x0_hat, the interface
 * every sampler reads. The forward is bound once per batch size and weights buffer: the frame path
 * only records it.
 */
import { createBuffer } from '../../gpu/buffers';
import { TARGETS, type Target } from '../../maths/learn/network';
import { slotSize, unetClasses, type UNetPlan } from '../../maths/learn/unet';
import { record, type Op } from '../learn/ops';
import { createUNetPasses, type UNetKernels, type UNetPasses } from '../learn/unetPasses';

/** The 2D learned denoiser's buffers (src/sim/learn/trainer.ts): architecture, EMA weights, frequencies. */
export interface LearnedModel {
  net: GPUBuffer;
  model: GPUBuffer;
  turns: GPUBuffer;
}

/** A trained U-Net lent to the runs: its plan, the weights it samples with, its kernels. */
export interface UNetModel {
  readonly plan: UNetPlan;
  /** The flat weights in the plan's layout (the trainer's EMA); read only. */
  readonly weights: GPUBuffer;
  readonly kernels: UNetKernels;
  readonly target: Target;
}

/** Why the model cannot denoise images of `dim` floats (made for another size), or null. */
export function unetMismatch(model: UNetModel, dim: number): string | null {
  const image = model.plan.slots.get('x')!;
  return slotSize(image) === dim
    ? null
    : `the U-Net is made for ${image.height} x ${image.width} x ${image.channels} images, not these of ${dim} values`;
}

/** The U-Net's forward over a run's n images, with the buffers its two run kernels bind. */
export class UNetDenoiser {
  private readonly passes: UNetPasses;
  private readonly io: GPUBuffer;
  private readonly noLabel: GPUBuffer;
  private readonly forward: readonly Op[];

  private constructor(
    device: GPUDevice,
    readonly model: UNetModel,
    readonly batch: number,
  ) {
    this.passes = createUNetPasses(device, model.kernels, model.plan, batch, model.weights, null);
    this.forward = this.passes.forward;
    const channels = model.plan.slots.get('x')!.channels;
    // lib/unet_io.wgsl's UNetIo { channels, prediction, classes }, padded to 16 bytes.
    this.io = createBuffer(device, {
      label: 'unet io',
      size: 0,
      usage: GPUBufferUsage.UNIFORM,
      data: Uint32Array.of(
        channels,
        TARGETS.indexOf(model.target),
        unetClasses(model.plan.arch),
        0,
      ),
    });
    // An unconditional U-Net has no 'label' slot: unet_in binds a buffer it never writes.
    this.noLabel = createBuffer(device, {
      label: 'unet no label',
      size: 4,
      usage: GPUBufferUsage.STORAGE,
    });
  }

  /** The denoiser for n images of `dim` floats; throws on images of another size. */
  static create(device: GPUDevice, model: UNetModel, n: number, dim: number): UNetDenoiser {
    const problem = unetMismatch(model, dim);
    if (problem) throw new Error(problem);
    return new UNetDenoiser(device, model, n);
  }

  /** What run/unet_in and run/unet_out bind besides the run's own buffers. */
  get resources(): Record<'unet' | 'unet_x' | 'unet_tau' | 'unet_label' | 'unet_out', GPUBuffer> {
    const v = this.passes.values;
    return {
      unet: this.io,
      unet_x: v.get('x')!,
      unet_tau: v.get('tau')!,
      unet_label: v.get('label') ?? this.noLabel,
      unet_out: v.get(this.model.plan.output)!,
    };
  }

  /** Records the network's forward (between unet_in and unet_out). */
  recordForward(pass: GPUComputePassEncoder): void {
    for (const op of this.forward) record(pass, op);
  }

  destroy(): void {
    this.passes.destroy();
    this.io.destroy();
    this.noLabel.destroy();
  }
}

/**
 * The learned denoisers a Simulation holds: the 2D network's buffers (run/denoise_learned binds
 * them) and the U-Net, whose forward is bound over the run's n images when the data is images,
 * remade when the model or n changes.
 */
export class LearnedNetworks {
  private learned: LearnedModel | null = null;
  private unetModel: UNetModel | null = null;
  private unet: UNetDenoiser | null = null;

  /**
   * Lends a network (null: neither any more); `dim` the run's image size (0: no images yet).
   * Returns whether anything changed. Throws, changing nothing, for a U-Net of other images.
   */
  set(model: LearnedModel | UNetModel | null, dim: number): boolean {
    if (model && 'plan' in model) {
      if (model === this.unetModel) return false;
      const problem = dim ? unetMismatch(model, dim) : null;
      if (problem) throw new Error(problem);
      this.unetModel = model;
      return true;
    }
    if (model === this.learned && (model || !this.unetModel)) return false;
    this.learned = model;
    if (!model) this.unetModel = null;
    return true;
  }

  /** Binds the U-Net's forward over n images of `dim` floats (none for points). */
  bind(device: GPUDevice, n: number, dim: number): void {
    const model = dim > 2 && n ? this.unetModel : null;
    if (this.unet && this.unet.model === model && this.unet.batch === n) return;
    this.unet?.destroy();
    this.unet = null;
    // Made for other images (the data changed before the trainer): none; setRun refuses the run.
    if (model && !unetMismatch(model, dim)) this.unet = UNetDenoiser.create(device, model, n, dim);
  }

  /** The 2D network lent (null: none), for the landscape's velocity arrows. */
  get points(): LearnedModel | null {
    return this.learned;
  }

  /** Whether a learned run on data of `dim` floats has its network. */
  ready(dim: number): boolean {
    return dim > 2 ? !!this.unet : !!this.learned;
  }

  /** Whether kernel `id` can be bound: a learned kernel only with its network. */
  binds(id: string): boolean {
    if (id === 'denoise_learned') return !!this.learned;
    if (id === 'unet_in' || id === 'unet_out') return !!this.unet;
    return true;
  }

  get resources(): Partial<LearnedModel & UNetDenoiser['resources']> {
    return { ...this.learned, ...this.unet?.resources };
  }

  recordForward(pass: GPUComputePassEncoder): void {
    this.unet!.recordForward(pass);
  }

  destroy(): void {
    this.unet?.destroy();
    this.unet = null;
  }
}
