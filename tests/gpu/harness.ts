/**
 * Runs one kernel on real WebGPU over given inputs, for comparison with its float64 reference.
 * The same createKernel/bindKernel path as the product, with a one-slot step table.
 */
import { acquireGpu, type Gpu } from '../../src/gpu/device';
import { createBuffer, readback } from '../../src/gpu/buffers';
import { bindKernel, createKernel, kernelSource, type Kernel } from '../../src/gpu/kernel';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { StepParams } from '../../src/maths/steps';
import { StepWriter } from '../../src/sim/stepTable';

let gpu: Promise<Gpu> | null = null;

/** One device for the whole test file. */
export function testGpu(): Promise<Gpu> {
  gpu ??= acquireGpu().then((g) => {
    g.device.addEventListener('uncapturederror', (e) => {
      gpuErrors.push(e.error.message);
    });
    return g;
  });
  return gpu;
}

/** Validation and out-of-memory errors the device reported: every test expects none. */
export const gpuErrors: string[] = [];

const kernels = new Map<string, Promise<Kernel>>();

export async function kernel(name: string): Promise<Kernel> {
  const { device } = await testGpu();
  let k = kernels.get(name);
  if (!k) {
    k = createKernel(device, {
      label: name,
      code: kernelSource(shaderSources, name),
      dynamic: ['step'],
    });
    kernels.set(name, k);
  }
  return k;
}

export interface KernelInputs {
  x?: ArrayLike<number>;
  x0hat?: ArrayLike<number>;
  energy?: ArrayLike<number>;
  aux?: ArrayLike<number>;
  data?: ArrayLike<number>;
  mixture?: Float32Array;
  /** The Langevin kernels' buffers; held as packed bytes (src/maths/langevin.ts packHeld). */
  v?: ArrayLike<number>;
  accept?: ArrayLike<number>;
  heat?: ArrayLike<number>;
  held?: ArrayBuffer;
}

export interface KernelOutputs {
  x: Float32Array;
  x0hat: Float32Array;
  energy: Float32Array;
  aux: Float32Array;
  v: Float32Array;
  accept: Float32Array;
  heat: Float32Array;
  held: ArrayBuffer;
}

export async function runKernel(
  name: string,
  p: StepParams,
  inputs: KernelInputs,
): Promise<KernelOutputs> {
  const { device } = await testGpu();
  const k = await kernel(name);
  const struct = k.definitions.structs.Step!;
  const writer = new StepWriter(struct, 256);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const f32 = (a: ArrayLike<number> | undefined, size: number): Float32Array<ArrayBuffer> =>
    a ? Float32Array.from(a) : new Float32Array(size);
  // Per-lane buffers: dim / 2 vec2 lanes per particle (one for points); energy and accept per
  // particle. Kernels that run per particle dispatch n invocations, the rest one per lane.
  const lanes = (p.n * (p.dim ?? 2)) / 2;
  const perParticle = name === 'mala_accept' || name.startsWith('denoise_');
  const buffers = {
    step: createBuffer(device, {
      label: 'step',
      size: 256,
      usage: GPUBufferUsage.UNIFORM,
      data: new Uint8Array(writer.pack([p])),
    }),
    x: createBuffer(device, { label: 'x', size: 0, usage, data: f32(inputs.x, 2 * lanes) }),
    x0hat: createBuffer(device, {
      label: 'x0hat',
      size: 0,
      usage,
      data: f32(inputs.x0hat, 2 * lanes),
    }),
    energy: createBuffer(device, {
      label: 'energy',
      size: 0,
      usage,
      data: f32(inputs.energy, p.n),
    }),
    v: createBuffer(device, { label: 'v', size: 0, usage, data: f32(inputs.v, 2 * lanes) }),
    accept: createBuffer(device, {
      label: 'accept',
      size: 0,
      usage,
      data: f32(inputs.accept, p.n),
    }),
    heat: createBuffer(device, { label: 'heat', size: 0, usage, data: f32(inputs.heat, lanes) }),
    held: createBuffer(device, {
      label: 'held',
      size: 32 * lanes,
      usage,
      ...(inputs.held ? { data: new Uint8Array(inputs.held) } : {}),
    }),
    aux: createBuffer(device, { label: 'aux', size: 0, usage, data: f32(inputs.aux, 4 * lanes) }),
    data: createBuffer(device, { label: 'data', size: 0, usage, data: f32(inputs.data, 2) }),
    mixture: createBuffer(device, {
      label: 'mixture',
      size: 0,
      usage,
      data: inputs.mixture ?? new Float32Array(8),
    }),
  };
  const group = bindKernel(device, k, {
    ...buffers,
    step: { buffer: buffers.step, size: struct.size },
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, group, [0]);
  pass.dispatchWorkgroups(Math.ceil((perParticle ? p.n : lanes) / k.workgroupSize));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const read = async (b: GPUBuffer): Promise<Float32Array> =>
    new Float32Array(await readback(device, b));
  const out = {
    x: await read(buffers.x),
    x0hat: await read(buffers.x0hat),
    energy: await read(buffers.energy),
    aux: await read(buffers.aux),
    v: await read(buffers.v),
    accept: await read(buffers.accept),
    heat: await read(buffers.heat),
    held: await readback(device, buffers.held),
  };
  for (const b of Object.values(buffers)) b.destroy();
  return out;
}

/** Normwise relative error max|a - b| / max|b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
