/**
 * Live observables of a particle cloud, measured on the GPU from buffers the caller owns
 * (../shared/docs/maths.md section 5): a tree reduction to a few dozen bytes (Observables:
 * shaders/observe/obs_reduce.wgsl per workgroup, then shaders/observe/obs_combine.wgsl), and the helpers the
 * other measurements share (./histograms.ts, ./entropy.ts). Nothing is read back on the frame
 * path: `encode` records dispatches, `read` copies the small result through a pool of staging
 * buffers, so reads may overlap. Their float64 references are in src/maths/observables.ts.
 */
import type { StructDefinition } from 'webgpu-utils';
import { makeStructuredView } from 'webgpu-utils';
import { createBuffer } from '../../gpu/buffers';
import { compileKernel } from '../../gpu/compile';
import { bindKernel, type Kernel, type ShaderSources } from '../../gpu/kernel';
import { StagingPool } from '../../gpu/readback';
import {
  DEFAULT_RADIUS,
  DIMENSION,
  freeEnergy,
  heatCapacity,
  type ObservableValues,
} from '../../maths/observables';

/** Workgroup size of the reductions (a power of two; 256 is the least WebGPU guarantees). */
export const REDUCE_WORKGROUP_SIZE = 256;
/** Most workgroups of a first pass: one lane then folds in ceil(n / 262144) particles alone. */
const MAX_GROUPS = 1024;
/** Distinct input sets whose uniforms and bind groups are kept. */
export const CACHED_INPUTS = 8;
export const STORAGE_IO =
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function requireStruct(kernel: Kernel, name: string): StructDefinition {
  const struct = kernel.definitions.structs[name];
  if (!struct) throw new Error(`${kernel.label}.wgsl: no struct ${name}`);
  return struct;
}

/** A uniform buffer holding one struct of a kernel's WGSL, written once from `values`. */
export function uniformFrom(
  device: GPUDevice,
  kernel: Kernel,
  variable: string,
  values: Record<string, number | readonly number[]>,
): GPUBuffer {
  const definition = kernel.definitions.uniforms[variable];
  if (!definition) throw new Error(`${kernel.label}.wgsl: no uniform ${variable}`);
  const view = makeStructuredView(definition);
  view.set(values);
  return createBuffer(device, {
    label: `${kernel.label} ${variable}`,
    size: 0,
    usage: GPUBufferUsage.UNIFORM,
    data: new Uint8Array(view.arrayBuffer),
  });
}

/**
 * Reads the named u32 / f32 fields of a WGSL struct from bytes, at the offsets webgpu-utils reads
 * from the WGSL (so the layout is written once).
 */
export function structReader<K extends string>(
  struct: StructDefinition,
  names: readonly K[],
): (view: DataView) => Record<K, number> {
  const fields = names.map((name) => {
    const field = struct.fields[name];
    const type = (field?.type as { type?: string } | undefined)?.type;
    if (!field || (type !== 'u32' && type !== 'f32'))
      throw new Error(`no u32 or f32 field ${name} in the struct`);
    return { name, offset: field.offset, float: type === 'f32' };
  });
  return (view) => {
    const out = {} as Record<K, number>;
    for (const f of fields)
      out[f.name] = f.float ? view.getFloat32(f.offset, true) : view.getUint32(f.offset, true);
    return out;
  };
}

/** Throws unless `buffer` is a storage buffer of at least `bytes` bytes. */
export function checkInput(what: string, buffer: GPUBuffer, bytes: number): void {
  if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new Error(`${what} needs STORAGE usage`);
  if (buffer.size < bytes) throw new Error(`${what} holds ${buffer.size} bytes, not ${bytes}`);
}

export function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: n must be a positive integer`);
}

/** Workgroups of a grid-strided first pass over n items. */
export function stridedGroups(n: number, limit = MAX_GROUPS): number {
  return Math.max(1, Math.min(limit, Math.ceil(n / REDUCE_WORKGROUP_SIZE)));
}

/** The particle buffers measured, all STORAGE: tightly packed, particle i at index i. */
export interface ObservableInputs {
  /** Positions, array<vec2f>. */
  x: GPUBuffer;
  /** Energies U, array<f32>; absent: no energy is measured (its mean and variance are NaN). */
  energy?: GPUBuffer | undefined;
  /** The particles measured: the first n of each buffer. */
  n: number;
  /** Velocities, array<vec2f> (underdamped Langevin). */
  v?: GPUBuffer | undefined;
  /** Accept flags in {0, 1}, array<f32> (MALA). */
  accept?: GPUBuffer | undefined;
  /** Accumulated heat per particle, array<f32>. */
  heat?: GPUBuffer | undefined;
  /** Each particle's path (length, excess, weight, 0), array<vec4f> (run/path_step.wgsl). */
  path?: GPUBuffer | undefined;
}

/**
 * The observables' values and the mean straightness: the mean excess path length L / D - 1 over
 * the counted particles whose path counts (src/maths/straightness.ts); NaN without paths or when
 * none counts.
 */
export interface MeasuredValues extends ObservableValues {
  straightness: number;
}

export interface ObservablesOptions {
  /** Particles farther than this from the origin count as escaped. */
  radius?: number;
}

interface ObservablesEntry {
  inputs: Required<ObservableInputs>;
  groups: number;
  params: GPUBuffer;
  reduceGroup: GPUBindGroup;
  combineGroup: GPUBindGroup;
}

const PARTIAL_FIELDS = [
  'count',
  'non_finite',
  'escaped',
  'mean_energy',
  'm2_energy',
  'v2',
  'accept',
  'heat',
  'inputs',
  'paths',
  'straightness',
] as const;
const INPUT_V = 1;
const INPUT_ACCEPT = 2;
const INPUT_HEAT = 4;
const INPUT_ENERGY = 8;
const INPUT_PATH = 16;
const OBSERVABLES_PASS: GPUComputePassDescriptor = { label: 'observables' };

/**
 * Mean energy, Var(U), kinetic temperature, acceptance, heat and the counts of non-finite and
 * escaped particles, reduced on the GPU in float32: per-lane Welford, then pairwise (Chan et al.)
 * tree combinations, so the sums are pairwise and Var(U) is centred. One instance per run
 * measured: `read` returns the last measurement submitted.
 */
export class Observables {
  readonly radius: number;
  /** The result of the last dispatch: one Partial (its `size` bytes are the whole of it). */
  readonly result: GPUBuffer;
  private readonly partials: GPUBuffer;
  /** Bound in place of absent optional inputs. */
  private readonly absent: GPUBuffer;
  private readonly entries: ObservablesEntry[] = [];
  private readonly staging: StagingPool;
  private readonly parse: (view: DataView) => Record<(typeof PARTIAL_FIELDS)[number], number>;

  private constructor(
    readonly device: GPUDevice,
    private readonly reduce: Kernel,
    private readonly combine: Kernel,
    radius: number,
  ) {
    this.radius = radius;
    const partial = requireStruct(reduce, 'Partial');
    this.partials = createBuffer(device, {
      label: 'observables partials',
      size: MAX_GROUPS * partial.size,
      usage: GPUBufferUsage.STORAGE,
    });
    this.result = createBuffer(device, {
      label: 'observables',
      size: partial.size,
      usage: STORAGE_IO,
    });
    this.absent = createBuffer(device, {
      label: 'observables absent input',
      size: 16,
      usage: GPUBufferUsage.STORAGE,
    });
    this.staging = new StagingPool(device, 'observables', partial.size);
    this.parse = structReader(partial, PARTIAL_FIELDS);
  }

  static async create(
    device: GPUDevice,
    sources: ShaderSources,
    options: ObservablesOptions = {},
  ): Promise<Observables> {
    const radius = options.radius ?? DEFAULT_RADIUS;
    if (!(radius > 0)) throw new Error('observables: the radius must be positive');
    const [reduce, combine] = await Promise.all([
      compileKernel(device, sources, 'observe/obs_reduce', {
        workgroupSize: REDUCE_WORKGROUP_SIZE,
      }),
      compileKernel(device, sources, 'observe/obs_combine', {
        workgroupSize: REDUCE_WORKGROUP_SIZE,
      }),
    ]);
    return new Observables(device, reduce, combine, radius);
  }

  /** Records one measurement in its own compute pass. */
  encode(encoder: GPUCommandEncoder, inputs: ObservableInputs): void {
    const pass = encoder.beginComputePass(OBSERVABLES_PASS);
    this.dispatch(pass, inputs);
    pass.end();
  }

  /**
   * Records one measurement into an open compute pass (after the step that wrote the buffers).
   * Allocates only for an input set not among the last few seen.
   */
  dispatch(pass: GPUComputePassEncoder, inputs: ObservableInputs): void {
    const e = this.entry(inputs);
    pass.setPipeline(this.reduce.pipeline);
    pass.setBindGroup(0, e.reduceGroup);
    pass.dispatchWorkgroups(e.groups);
    pass.setPipeline(this.combine.pipeline);
    pass.setBindGroup(0, e.combineGroup);
    pass.dispatchWorkgroups(1);
  }

  /** The values from the bytes of `result` (at the view's start). */
  values(view: DataView): MeasuredValues {
    const r = this.parse(view);
    const c = r.count;
    const mean = (sum: number, flag: number): number => (r.inputs & flag && c > 0 ? sum / c : NaN);
    return {
      count: c,
      nonFinite: r.non_finite,
      escaped: r.escaped,
      meanEnergy: r.inputs & INPUT_ENERGY && c > 0 ? r.mean_energy : NaN,
      energyVariance: r.inputs & INPUT_ENERGY && c > 0 ? r.m2_energy / c : NaN,
      kineticTemperature: mean(r.v2 / DIMENSION, INPUT_V),
      acceptance: mean(r.accept, INPUT_ACCEPT),
      heat: mean(r.heat, INPUT_HEAT),
      straightness: r.inputs & INPUT_PATH && r.paths > 0 ? r.straightness / r.paths : NaN,
    };
  }

  /** The last measurement submitted before this call (a 40-byte read). */
  read(): Promise<MeasuredValues> {
    return this.staging.read(this.result, (bytes) => this.values(new DataView(bytes)));
  }

  /** encode, submit and read. */
  measure(inputs: ObservableInputs): Promise<MeasuredValues> {
    const encoder = this.device.createCommandEncoder({ label: 'observables measure' });
    this.encode(encoder, inputs);
    this.device.queue.submit([encoder.finish()]);
    return this.read();
  }

  destroy(): void {
    this.staging.destroy();
    for (const b of [this.partials, this.result, this.absent]) b.destroy();
    for (const e of this.entries) e.params.destroy();
    this.entries.length = 0;
  }

  private entry(inputs: ObservableInputs): ObservablesEntry {
    const { x, n } = inputs;
    const energy = inputs.energy ?? this.absent;
    const v = inputs.v ?? this.absent;
    const accept = inputs.accept ?? this.absent;
    const heat = inputs.heat ?? this.absent;
    const path = inputs.path ?? this.absent;
    for (const e of this.entries) {
      const k = e.inputs;
      if (k.x === x && k.energy === energy && k.n === n && k.v === v)
        if (k.accept === accept && k.heat === heat && k.path === path) return e;
    }
    checkCount('observables', n);
    checkInput('observables: x', x, 8 * n);
    if (inputs.energy) checkInput('observables: energy', inputs.energy, 4 * n);
    if (inputs.v) checkInput('observables: v', inputs.v, 8 * n);
    if (inputs.accept) checkInput('observables: accept', inputs.accept, 4 * n);
    if (inputs.heat) checkInput('observables: heat', inputs.heat, 4 * n);
    if (inputs.path) checkInput('observables: path', inputs.path, 16 * n);
    const d = this.device;
    const groups = stridedGroups(n);
    const flags =
      (inputs.v ? INPUT_V : 0) |
      (inputs.accept ? INPUT_ACCEPT : 0) |
      (inputs.heat ? INPUT_HEAT : 0) |
      (inputs.energy ? INPUT_ENERGY : 0) |
      (inputs.path ? INPUT_PATH : 0);
    const params = uniformFrom(d, this.reduce, 'params', {
      n,
      groups,
      inputs: flags,
      radius: this.radius,
    });
    const bound = (b: GPUBuffer, bytes: number): GPUBufferBinding =>
      b === this.absent ? { buffer: b } : { buffer: b, size: bytes * n };
    const e: ObservablesEntry = {
      inputs: { x, energy, n, v, accept, heat, path },
      groups,
      params,
      reduceGroup: bindKernel(d, this.reduce, {
        params,
        x: bound(x, 8),
        energy: bound(energy, 4),
        v: bound(v, 8),
        accept: bound(accept, 4),
        heat: bound(heat, 4),
        path: bound(path, 16),
        partials: this.partials,
      }),
      combineGroup: bindKernel(d, this.combine, {
        params,
        partials: this.partials,
        result: this.result,
      }),
    };
    // The oldest set's uniform may still be in a recorded, unsubmitted command buffer: it is
    // dropped, not destroyed, and garbage-collected.
    if (this.entries.length >= CACHED_INPUTS) this.entries.shift();
    this.entries.push(e);
    return e;
  }
}

/**
 * Every reading of one measurement at temperature t: the observables' values, their heat
 * capacity, and the entropy (NaN when not measured) with the free energy it gives.
 */
export function readings(o: MeasuredValues, t: number, entropy: number) {
  return {
    energy: o.meanEnergy,
    energyVariance: o.energyVariance,
    heatCapacity: heatCapacity(o, t),
    kineticTemperature: o.kineticTemperature,
    acceptance: o.acceptance,
    heat: o.heat,
    nonFinite: o.nonFinite,
    escaped: o.escaped,
    count: o.count,
    entropy,
    freeEnergy: freeEnergy(o.meanEnergy, t, entropy),
    temperature: t,
    straightness: o.straightness,
  };
}
