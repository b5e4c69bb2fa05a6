/**
 * A run on the GPU: the buffers it owns (RunBuffers), the kernels of its plan, and where it is
 * (RunCursor). Kernels compile lazily: prepare(spec) compiles, on the device's cache, those the
 * run dispatches (./kernels.ts) before setRun. The frame path (`encodeSteps`) only records
 * dispatches: it never reads the GPU back and never allocates.
 */
import { createBuffer } from '../../gpu/buffers';
import { kernelSource, workgroups, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { RunBindGroups, type Binding } from './bindGroups';
import type { Level } from '../../maths/schedules';
import { makeShaderDataDefinitions } from 'webgpu-utils';
import { RunCursor, planOf, type RunStatus } from './cursor';
import type { RunSpec } from '../../settings/runSpec';
import { imageGaussian } from './gaussianFit';
import { imageWorkgroups } from './imageKernels';
import {
  compileRunKernel,
  GUIDED,
  guides,
  IMAGE_KERNEL_OF,
  kernelOf,
  PER_PARTICLE,
  runKernels,
  type DataShape,
  type KernelId,
} from './kernels';
import { langevinInitSlot, perturbs, scrubSlot, type Pass } from './plan';
import { RunBuffers } from './runBuffers';
import { LearnedNetworks, type LearnedModel, type UNetModel } from './learnedNetworks';
import {
  drawsOf,
  guidedTable,
  langevinTable,
  runConstants,
  stepParams,
  stepTable,
  StepWriter,
  unconditional,
  type RunConstants,
} from './stepTable';

export type { RunStatus } from './cursor';
export type { LearnedModel, UNetModel } from './learnedNetworks';
export type { RunSpec } from '../../settings/runSpec';
export { IMAGE_GAUSSIAN_RANK } from './gaussianFit';

/** Descriptors of the frame path, made once. */
const STEPS_PASS: GPUComputePassDescriptor = { label: 'steps' };
const RESET_PASS: GPUComputePassDescriptor = { label: 'reset' };
const SCRUB_PASS: GPUComputePassDescriptor = { label: 'scrub' };
const NEAREST_PASS: GPUComputePassDescriptor = { label: 'nearest' };
const MEASURE_PASS: GPUComputePassDescriptor = { label: 'measure denoiser' };

export class Simulation extends RunBuffers {
  /** The learned denoisers lent by setModel (the 2D network's buffers, the U-Net's forward); read for checks. */
  readonly networks = new LearnedNetworks();
  /** The rank of the images' Gaussian model, once fitted. */
  private rank = 0;
  private readonly cursor = new RunCursor();
  private readonly writer: StepWriter;
  /** The kernels compiled for the runs set so far (shared with the device's cache). */
  private readonly kernels: Partial<Record<KernelId, Kernel>> = {};
  private readonly groups = new RunBindGroups();
  /** A guided run: where the step table's unconditional copy starts (bytes); 0 when not guided. */
  private uncondOffset = 0;
  private readonly offsets = new Uint32Array(1);
  private readonly maxPerDimension: number;

  private constructor(
    device: GPUDevice,
    private readonly sources: ShaderSources,
  ) {
    super(device);
    // Every kernel holds the step table's struct (shaders/lib/step.wgsl): read, not compiled.
    const struct = makeShaderDataDefinitions(kernelSource(sources, 'run/prior')).structs.Step;
    if (!struct) throw new Error('no Step struct in the kernels');
    const align = device.limits.minUniformBufferOffsetAlignment;
    this.writer = new StepWriter(struct, Math.ceil(struct.size / align) * align);
    this.maxPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** A simulation with no kernel compiled yet: prepare(spec) compiles what a run needs. */
  static create(device: GPUDevice, sources: ShaderSources): Promise<Simulation> {
    return Promise.resolve(new Simulation(device, sources));
  }

  /**
   * Compiles (on the device's cache) the kernels the run `spec` dispatches on the current data,
   * and fits the images' Gaussian model when its denoiser needs it (once per dataset, off the
   * main thread). Call after setData, before setRun.
   */
  async prepare(spec: RunSpec): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) throw new Error('setData comes before prepare');
    const ids = runKernels(spec, planOf(spec), this.shape()).filter((id) => !this.kernels[id]);
    const [compiled, fit] = await Promise.all([
      Promise.all(ids.map((id) => compileRunKernel(this.device, this.sources, id))),
      spec.denoiser === 'gaussian' && this.dim > 2 && !this.gaussianModel
        ? imageGaussian(dataset.points, this.dim, spec.seed)
        : null,
    ]);
    ids.forEach((id, i) => (this.kernels[id] = compiled[i]!));
    // The data may have changed meanwhile: its own run will fit its own model.
    if (fit && this.dataset === dataset && !this.gaussianModel) {
      this.gaussianModel = createBuffer(this.device, {
        label: 'gaussianModel',
        size: 0,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
        data: fit.packed,
      });
      this.rank = fit.rank;
    }
    if (ids.length || fit) this.rebind();
  }

  /**
   * Sets the run (levels, sampler, denoiser...) and uploads its step table; its kernels must be
   * prepared (prepare(spec)). Call reset() next.
   */
  setRun(spec: RunSpec): void {
    if (!this.dataset || !this.n) throw new Error('setParticles and setData come before setRun');
    if (spec.levels.length < 2) throw new Error('a run needs at least one step');
    if (spec.mode === 'langevin' && !spec.langevin)
      throw new Error('a Langevin run needs langevin');
    const plan = planOf(spec);
    const missing = runKernels(spec, plan, this.shape()).filter((id) => !this.kernels[id]);
    if (spec.denoiser === 'learned' && !this.networks.ready(this.dim))
      throw new Error('the learned denoiser has no network for this data: setModel first');
    if (missing.length || (spec.denoiser === 'gaussian' && this.dim > 2 && !this.gaussianModel))
      throw new Error(
        `the run is not prepared (${missing.join(', ') || 'gaussianModel'}): await prepare(spec) first`,
      );
    const constants = this.constants(spec);
    const slots =
      spec.mode === 'langevin' && spec.langevin
        ? langevinTable(spec.levels, constants, spec.langevin)
        : stepTable(spec.levels, constants);
    const guided = guidedTable(slots, guides(spec, this.shape()));
    const bytes = this.writer.pack(guided.rows);
    const uncondOffset = guided.uncond ? slots.length * this.writer.stride : 0;
    if (!this.table || this.table.size < bytes.byteLength || uncondOffset !== this.uncondOffset) {
      this.uncondOffset = uncondOffset;
      this.table?.destroy();
      this.table = createBuffer(this.device, {
        label: 'steps',
        size: bytes.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.rebind();
    }
    this.device.queue.writeBuffer(this.table, 0, bytes);
    this.cursor.start(spec, plan, guided.slots);
  }

  /**
   * Evaluates the run's denoiser (with its score error, as the run's own evaluations carry it)
   * at the particles as they are and the level status() reports, into measuredX0hat and
   * measuredEnergy: a measurement, off the frame path and not counted in NFE; it leaves the
   * sampler's state alone. It is what the next step's first evaluation will compute, bit for bit.
   *
   * At sigma = 0 the particles are the data's own variable: x0_hat = x, copied, and U = -log p
   * of the data where that is a density (a mixture, or the Gaussian model of points). The stored
   * points of the empirical and smoothed denoisers, and images, have none: returns false then
   * (no energy measured), true when measuredEnergy holds U; false without a run, and always
   * for the learned denoiser (a network gives no energy).
   */
  measureDenoiser(encoder: GPUCommandEncoder): boolean {
    const spec = this.cursor.spec;
    // No run (new data or particles, until setRun): nothing to measure.
    if (!spec) return false;
    const slot = this.cursor.measuredSlot();
    const level = this.cursor.currentLevel()!;
    const kernel = kernelOf('denoise', spec.denoiser, this.shape());
    const density = kernel === 'denoise_mixture' || kernel === 'denoise_gaussian';
    const clean = level.sigma === 0;
    // A network gives no energy: its x0_hat is measured, its energy never.
    const energyless = kernel === 'denoise_learned' || kernel === 'unet_out';
    if (!clean || density) {
      const pass = encoder.beginComputePass(MEASURE_PASS);
      this.dispatch(pass, kernel, slot, 'measured');
      if (!clean && spec.mode !== 'forward' && perturbs(spec.error))
        this.dispatch(pass, 'perturb', slot, 'measured');
      pass.end();
    }
    if (clean) encoder.copyBufferToBuffer(this.x, 0, this.measuredX0hat, 0, this.x.size);
    return !energyless && (!clean || density);
  }

  /**
   * Records the nearest and second-nearest training image of each particle's x0_hat, measured
   * now (measureDenoiser), into `nearest` (images only; a measurement, not part of a step).
   */
  measureNearest(encoder: GPUCommandEncoder): void {
    if (this.dim === 2 || !this.cursor.spec) return;
    this.measureDenoiser(encoder);
    const pass = encoder.beginComputePass(NEAREST_PASS);
    this.dispatch(pass, 'image_nearest', 0, 'measured');
    pass.end();
  }

  get steps(): number {
    return this.cursor.steps;
  }

  get done(): boolean {
    return this.cursor.done;
  }

  /** The level the particles are at (that of status().t); null before a run. No allocation. */
  level(): Level | null {
    return this.cursor.currentLevel();
  }

  /**
   * Where the run is. t is the level the particles are at (currentLevelIndex in ./cursor.ts); in
   * Langevin mode the level of the energy being sampled.
   */
  status(): RunStatus {
    return this.cursor.status();
  }

  /**
   * Back to the start: fresh prior noise (reverse), the data itself (forward, t = 0), or in
   * Langevin mode N(0, I) (annealed, pc: the first level's prior), velocities N(0, T I)
   * (underdamped) and the heat, acceptance and Langevin state cleared. Without a run (new data or
   * particles, until setRun) it records nothing: a frame may come meanwhile.
   */
  reset(encoder: GPUCommandEncoder): void {
    const spec = this.cursor.spec;
    if (!spec) return;
    this.cursor.rewind();
    const pass = encoder.beginComputePass(RESET_PASS);
    if (spec.mode === 'langevin') {
      const slot = langevinInitSlot(this.cursor.steps);
      this.dispatch(pass, 'prior', slot);
      this.dispatch(pass, 'langevin_init', slot);
    } else {
      this.dispatch(pass, spec.mode === 'reverse' ? 'prior' : 'forward_jump', 0);
    }
    this.dispatch(pass, 'path_start', 0);
    pass.end();
  }

  /** Records up to k steps; returns how many were recorded (none without a run). */
  encodeSteps(encoder: GPUCommandEncoder, k: number): number {
    const c = this.cursor;
    if (k <= 0 || c.done || !c.spec) return 0;
    const spec = c.spec;
    let done = 0;
    const pass = encoder.beginComputePass(STEPS_PASS);
    while (done < k && !c.done) {
      if (c.scrubbed) {
        this.dispatch(pass, 'forward_step', scrubSlot(c.steps));
        c.scrubbed = null;
      } else {
        for (const p of c.plan[c.step]!) this.dispatchPass(pass, p, spec);
      }
      // Every slot holds n and dim, all the path kernels read.
      this.dispatch(pass, 'path_step', 0);
      c.step++;
      done++;
    }
    pass.end();
    return done;
  }

  /**
   * Forward mode: jumps every particle to x_t = alpha_t x0 + sigma_t eps at any t in [0, 1]. The
   * next step then runs the forward SDE from t to the next level of the grid.
   */
  scrub(encoder: GPUCommandEncoder, level: Level): void {
    const spec = this.requireSpec();
    if (spec.mode !== 'forward') throw new Error('scrubbing t is for the forward process');
    const levels = spec.levels;
    const steps = this.cursor.steps;
    const next = levels.findIndex((l) => l.t > level.t);
    const pass = encoder.beginComputePass(SCRUB_PASS);
    const slot = scrubSlot(steps);
    const to = levels[next < 0 ? levels.length - 1 : next]!;
    const bytes = new ArrayBuffer(this.writer.stride);
    const params = stepParams(level, to, level, 0x80000000 + next, this.constants(spec));
    this.writer.write(new DataView(bytes), 0, params);
    this.device.queue.writeBuffer(this.table!, slot * this.writer.stride, bytes);
    if (this.uncondOffset) {
      const uncond = this.uncondOffset + slot * this.writer.stride;
      this.writer.write(new DataView(bytes), 0, unconditional(params));
      this.device.queue.writeBuffer(this.table!, uncond, bytes);
      this.cursor.guided[slot] = params.guidance !== 1 ? 1 : 0;
    }
    this.dispatch(pass, 'forward_jump', slot);
    // A jump is no path: the straightness restarts from the scrubbed positions.
    this.dispatch(pass, 'path_start', slot);
    pass.end();
    this.cursor.scrubbed = level;
    // At or past the last level there is nothing left to step; otherwise the next step goes from
    // t to level `next` through the scrub slot, then on along the grid.
    this.cursor.step = next < 0 ? steps : next - 1;
  }

  /**
   * The learned denoiser (the trainer's buffers, read only): the 2D network, the U-Net (bound
   * over the n images), or null. Throws, changing nothing, for a U-Net of other images.
   */
  setModel(model: LearnedModel | UNetModel | null): void {
    if (this.networks.set(model, this.n && this.dim > 2 ? this.dim : 0)) this.rebind();
  }

  override destroy(): void {
    this.networks.destroy();
    super.destroy();
  }

  /** New buffers: rebound; and new data or particles end the run (it must be set again). */
  protected override buffersChanged(): void {
    this.cursor.clear();
    this.rebind();
  }

  private shape(): DataShape {
    return { dim: this.dim, mixture: !!this.dataset?.mixture };
  }

  private constants(spec: RunSpec): RunConstants {
    return runConstants(spec, this.dataset!, this.n, this.dim, this.rank);
  }

  /** Monte Carlo draws per denoiser evaluation of the run (1 unless smoothed). */
  private get draws(): number {
    return drawsOf(this.cursor.spec);
  }

  private requireSpec(): RunSpec {
    if (!this.cursor.spec) throw new Error('no run: call setRun first');
    return this.cursor.spec;
  }

  private dispatchPass(pass: GPUComputePassEncoder, p: Pass, spec: RunSpec): void {
    this.dispatch(pass, kernelOf(p.kernel, spec.denoiser, this.shape()), p.slot);
  }

  /** One kernel over the particles at a slot, bound as `binding` says (./bindGroups.ts). */
  private dispatch(
    pass: GPUComputePassEncoder,
    id: KernelId,
    slot: number,
    binding: Binding = 'run',
  ): void {
    if (this.uncondOffset && GUIDED.has(id) && binding !== 'uncond' && this.cursor.guided[slot]) {
      // Guidance: the unconditional evaluation, the conditional one, then their mix.
      this.record(pass, id, slot, 'uncond');
      this.record(pass, id, slot, binding);
      this.record(pass, 'guide', slot, binding);
      return;
    }
    this.record(pass, id, slot, binding);
  }

  /** One kernel; for the U-Net's output, first its input at this slot (and class) and forward. */
  private record(pass: GPUComputePassEncoder, id: KernelId, slot: number, binding: Binding): void {
    if (id === 'unet_out') {
      this.record(pass, 'unet_in', slot, binding === 'uncond' ? 'uncond' : 'run');
      this.networks.recordForward(pass);
    }
    const kernel = this.kernels[id];
    const group = this.groups.get(binding, id);
    if (!kernel) throw new Error(`${id} is not compiled: prepare(spec) first`);
    if (!group) throw new Error(`${id} is not bound`);
    this.offsets[0] = slot * this.writer.stride;
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group, this.offsets, 0, 1);
    const image = IMAGE_KERNEL_OF[id];
    if (image) {
      pass.dispatchWorkgroups(imageWorkgroups(image, this.n, this.draws));
      return;
    }
    const count = PER_PARTICLE.has(id) ? this.n : (this.n * this.dim) / 2;
    const [x, y] = workgroups(count, kernel.workgroupSize, this.maxPerDimension);
    pass.dispatchWorkgroups(x, y);
  }

  private rebind(): void {
    this.groups.clear();
    this.networks.bind(this.device, this.n, this.dim);
    const buffers = this.resources();
    if (!buffers || !this.table) return;
    const step = { buffer: this.table, size: this.writer.struct.size };
    const kernels = Object.fromEntries(
      Object.entries(this.kernels).filter(([id]) => this.networks.binds(id as KernelId)),
    );
    const uncond = this.uncondOffset ? { ...step, offset: this.uncondOffset } : null;
    this.groups.bind(
      this.device,
      kernels,
      { step, ...buffers, ...this.networks.resources },
      uncond,
    );
  }
}
