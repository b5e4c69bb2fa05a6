/**
 * The physics view's trails on the GPU: the last L positions of the first K particles. Nothing
 * here reads the GPU back; `record` only records a dispatch and allocates nothing.
 *
 *   const trails = await Trails.create(device, shaderSources);
 *   trails.setup(sim.x, n, settings.trailParticles, settings.trails);   // on (re)allocation
 *   trails.record(encoder);                                              // after each step
 *   trails.reset();                                                      // on run restart
 */
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, workgroups, type Kernel, type ShaderSources } from '../../gpu/kernel';

const TRAILS_PASS: GPUComputePassDescriptor = { label: 'trails' };

/**
 * The last L positions of the first K particles, in a GPU ring buffer: particle p's position
 * from r records ago (r < min(count, L)) is ring[p L + (head - r) mod L].
 */
export class Trails {
  ring: GPUBuffer | null = null;
  /** K (at most the particles there are) and L. */
  particles = 0;
  length = 0;
  /** Records since the last reset. */
  count = 0;
  private table: GPUBuffer | null = null;
  private group: GPUBindGroup | null = null;
  private readonly stride: number;
  private readonly offsets = new Uint32Array(1);
  private groupsXY: [number, number] = [1, 1];

  private constructor(
    private readonly device: GPUDevice,
    private readonly kernel: Kernel,
  ) {
    const align = device.limits.minUniformBufferOffsetAlignment;
    const struct = kernel.definitions.uniforms.trail;
    if (!struct) throw new Error('field/field_trails.wgsl: no uniform trail');
    this.stride = Math.ceil(struct.size / align) * align;
  }

  static async create(device: GPUDevice, sources: ShaderSources): Promise<Trails> {
    const kernel = await compileKernel(device, sources, 'field/field_trails', {
      dynamic: ['trail'],
    });
    return new Trails(device, kernel);
  }

  /** The slot of the latest record. */
  get head(): number {
    return this.length ? (this.count + this.length - 1) % this.length : 0;
  }

  /** Positions recorded per trail so far, at most L. */
  get filled(): number {
    return Math.min(this.count, this.length);
  }

  /**
   * (Re)allocates for trails of `length` positions of the first `particles` of the n particles in
   * `x` (0 for either: no trails). Resets.
   */
  setup(x: GPUBuffer, n: number, particles: number, length: number): void {
    this.ring?.destroy();
    this.table?.destroy();
    this.ring = this.table = this.group = null;
    this.particles = Math.min(particles, n);
    this.length = length;
    this.count = 0;
    if (!this.particles || !this.length) return;
    const definition = this.kernel.definitions.uniforms.trail!;
    const view = makeStructuredView(definition);
    const bytes = new Uint8Array(this.stride * length);
    for (let slot = 0; slot < length; slot++) {
      view.set({ particles: this.particles, length, slot });
      bytes.set(new Uint8Array(view.arrayBuffer), slot * this.stride);
    }
    this.table = createBuffer(this.device, {
      label: 'trails table',
      size: 0,
      usage: GPUBufferUsage.UNIFORM,
      data: bytes,
    });
    this.ring = createBuffer(this.device, {
      label: 'trails',
      size: 8 * this.particles * length,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.groupsXY = workgroups(
      this.particles,
      this.kernel.workgroupSize,
      this.device.limits.maxComputeWorkgroupsPerDimension,
    );
    this.group = bindKernel(this.device, this.kernel, {
      trail: { buffer: this.table, size: definition.size },
      x: { buffer: x, size: 8 * this.particles },
      ring: this.ring,
    });
  }

  /** Records the particles' current positions as the newest of each trail. */
  record(encoder: GPUCommandEncoder): void {
    if (!this.group) return;
    this.offsets[0] = (this.count % this.length) * this.stride;
    const pass = encoder.beginComputePass(TRAILS_PASS);
    pass.setPipeline(this.kernel.pipeline);
    pass.setBindGroup(0, this.group, this.offsets, 0, 1);
    pass.dispatchWorkgroups(this.groupsXY[0], this.groupsXY[1]);
    pass.end();
    this.count++;
  }

  /** Empties every trail (the ring's old contents are no longer drawn). */
  reset(): void {
    this.count = 0;
  }

  destroy(): void {
    this.ring?.destroy();
    this.table?.destroy();
  }
}
