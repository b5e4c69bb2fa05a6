/**
 * Compute kernels: a pipeline plus the bindings read from its WGSL, so bind groups are made by
 * name and no binding number is written twice. One kernel per file in shaders/; each names the
 * shared pieces of shaders/lib/ it uses (src/gpu/wgslIncludes.ts).
 */
import { makeShaderDataDefinitions, type ShaderDataDefinitions } from 'webgpu-utils';
import { resolveIncludes } from './wgslIncludes';

/** WGSL sources by path relative to shaders/, e.g. 'run/ddim.wgsl', 'lib/rng.wgsl'. */
export type ShaderSources = Readonly<Record<string, string>>;

/** The full source of a kernel ('run/ddim'): the lib files it includes, then its own file. */
export function kernelSource(sources: ShaderSources, name: string): string {
  return resolveIncludes(sources, `${name}.wgsl`);
}

export interface KernelBinding {
  name: string;
  binding: number;
  layout: GPUBindGroupLayoutEntry;
}

export interface Kernel {
  label: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  bindings: readonly KernelBinding[];
  workgroupSize: number;
  definitions: ShaderDataDefinitions;
}

export interface KernelSpec {
  label: string;
  code: string;
  entryPoint?: string;
  workgroupSize?: number;
  /** Uniform variables bound with a dynamic offset (one slot of a table per dispatch). */
  dynamic?: readonly string[];
}

export async function createKernel(device: GPUDevice, spec: KernelSpec): Promise<Kernel> {
  const entryPoint = spec.entryPoint ?? 'main';
  const workgroupSize = spec.workgroupSize ?? 64;
  const definitions = makeShaderDataDefinitions(spec.code);
  const entry = definitions.entryPoints[entryPoint];
  if (!entry) throw new Error(`${spec.label}: no entry point ${entryPoint}`);
  const bindings: KernelBinding[] = entry.resources.map((r) => {
    if (r.group !== 0) throw new Error(`${spec.label}: ${r.name} is not in group 0`);
    const layout: GPUBindGroupLayoutEntry = { ...r.entry, visibility: GPUShaderStage.COMPUTE };
    if (spec.dynamic?.includes(r.name) && layout.buffer) {
      layout.buffer = { ...layout.buffer, hasDynamicOffset: true };
    }
    return { name: r.name, binding: r.entry.binding, layout };
  });
  const layout = device.createBindGroupLayout({
    label: spec.label,
    entries: bindings.map((b) => b.layout),
  });
  const module = device.createShaderModule({ label: spec.label, code: spec.code });
  const pipeline = await device.createComputePipelineAsync({
    label: spec.label,
    layout: device.createPipelineLayout({ label: spec.label, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint, constants: { WORKGROUP_SIZE: workgroupSize } },
  });
  return { label: spec.label, pipeline, layout, bindings, workgroupSize, definitions };
}

/** A bind group for a kernel from buffers named as in its WGSL. */
export function bindKernel(
  device: GPUDevice,
  kernel: Kernel,
  resources: Readonly<Record<string, GPUBuffer | GPUBufferBinding>>,
): GPUBindGroup {
  return device.createBindGroup({
    label: kernel.label,
    layout: kernel.layout,
    entries: kernel.bindings.map((b) => {
      const resource = resources[b.name];
      if (!resource) throw new Error(`${kernel.label}: no buffer for ${b.name}`);
      return {
        binding: b.binding,
        resource: 'buffer' in resource ? resource : { buffer: resource },
      };
    }),
  });
}

/** Workgroup counts covering `count` invocations, folded into 2D past the per-dimension limit. */
export function workgroups(
  count: number,
  workgroupSize: number,
  maxPerDimension: number,
): [number, number] {
  const groups = Math.max(1, Math.ceil(count / workgroupSize));
  if (groups <= maxPerDimension) return [groups, 1];
  return [maxPerDimension, Math.ceil(groups / maxPerDimension)];
}
