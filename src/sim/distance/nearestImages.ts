/**
 * The nearest-training-image search (shaders/distance/image_nearest.wgsl) on any queries against
 * any set of images, apart from a run: the guidance curve on images searches its samples against
 * all the training images (whose class is each sample's nearest?) and against one class's images
 * alone (how far is each sample from its class?), and the quality-vs-NFE sweep with a class the
 * latter. The run's own search (Simulation.measureNearest) reads its step table; this one writes
 * the three fields the kernel reads (n, m, dim) into a Step of its own.
 */
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { readback } from '../../gpu/readback';
import { NEAREST_RECORD_BYTES } from '../../maths/memorisation';
import { uniformFrom } from '../observe/observables';
import { IMAGE_KERNELS, IMAGE_WORKGROUP_SIZE, imageWorkgroups } from '../run/imageKernels';

export interface NearestRecords {
  /** Squared distance to the nearest image (float32, Kahan-summed tiles; +inf-like 3e38 if none). */
  d1: Float32Array;
  /** The nearest image's index among the images searched (ties: the lower index). */
  index: Uint32Array;
}

export class NearestImages {
  private constructor(
    readonly device: GPUDevice,
    private readonly kernel: Kernel,
  ) {}

  static async create(device: GPUDevice, sources: ShaderSources): Promise<NearestImages> {
    const kernel = await compileKernel(device, sources, IMAGE_KERNELS.nearest, {
      workgroupSize: IMAGE_WORKGROUP_SIZE,
    });
    return new NearestImages(device, kernel);
  }

  /** Each of the first n images of `queries` against the m images of `images` (dim floats each). */
  async search(
    queries: GPUBuffer,
    n: number,
    images: GPUBuffer,
    m: number,
    dim: number,
  ): Promise<NearestRecords> {
    if (n < 1 || m < 1) throw new Error('nearest images: no queries or no images');
    const device = this.device;
    const step = uniformFrom(device, this.kernel, 'step', { n, m, dim });
    const nearest = createBuffer(device, {
      label: 'nearest images',
      size: NEAREST_RECORD_BYTES * n,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    try {
      const group = bindKernel(device, this.kernel, {
        step,
        x0hat: { buffer: queries, size: 4 * n * dim },
        data: { buffer: images, size: 4 * m * dim },
        nearest,
      });
      const encoder = device.createCommandEncoder({ label: 'nearest images' });
      const pass = encoder.beginComputePass({ label: 'nearest images' });
      pass.setPipeline(this.kernel.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(imageWorkgroups('nearest', n));
      pass.end();
      device.queue.submit([encoder.finish()]);
      const records = await readback(device, nearest);
      const words = NEAREST_RECORD_BYTES / 4;
      const f = new Float32Array(records);
      const u = new Uint32Array(records);
      return {
        d1: Float32Array.from({ length: n }, (_, i) => f[words * i]!),
        index: Uint32Array.from({ length: n }, (_, i) => u[words * i + 2]!),
      };
    } finally {
      step.destroy();
      nearest.destroy();
    }
  }
}
