/**
 * The bind groups of a run's kernels, three ways: as the run binds them; bound to the
 * measurement's outputs (MEASURED kernels: measuredX0hat, measuredEnergy); and, for a guided run,
 * the unconditional evaluation of its denoiser (GUIDED kernels: outputs x0uncond and energyUncond,
 * and the step table's unconditional copy, every slot with label ALL_LABELS), which run/guide.wgsl
 * then mixes with the conditional one.
 */
import { bindKernel, type Kernel } from '../../gpu/kernel';
import { GUIDED, MEASURED, type KernelId } from './kernels';

export type Binding = 'run' | 'measured' | 'uncond';

type Resources = Record<string, GPUBuffer | GPUBufferBinding>;

export class RunBindGroups {
  private readonly groups: Record<Binding, Map<KernelId, GPUBindGroup>> = {
    run: new Map(),
    measured: new Map(),
    uncond: new Map(),
  };

  get(binding: Binding, id: KernelId): GPUBindGroup | undefined {
    return this.groups[binding].get(id);
  }

  clear(): void {
    for (const map of Object.values(this.groups)) map.clear();
  }

  /**
   * Binds each kernel to the buffers named as in its WGSL; denoise_gaussian reads the Gaussian
   * model of the points (`gaussian`) as its mixture. `uncondStep` is the step table's
   * unconditional copy (null: the run is not guided).
   */
  bind(
    device: GPUDevice,
    kernels: Partial<Record<KernelId, Kernel>>,
    resources: Resources,
    uncondStep: GPUBufferBinding | null,
  ): void {
    this.clear();
    for (const id of Object.keys(kernels) as KernelId[]) {
      const kernel = kernels[id];
      if (!kernel) continue;
      const mine =
        id === 'denoise_gaussian' ? { ...resources, mixture: resources.gaussian! } : resources;
      this.groups.run.set(id, bindKernel(device, kernel, mine));
      if (MEASURED.has(id)) {
        const outputs = { x0hat: mine.measuredX0hat!, energy: mine.measuredEnergy! };
        this.groups.measured.set(id, bindKernel(device, kernel, { ...mine, ...outputs }));
      }
      // (unet_in too: the U-Net's unconditional input writes the step table's copy's class.)
      if (uncondStep && (GUIDED.has(id) || id === 'unet_in')) {
        const outputs = { x0hat: mine.x0uncond!, energy: mine.energyUncond!, step: uncondStep };
        this.groups.uncond.set(id, bindKernel(device, kernel, { ...mine, ...outputs }));
      }
    }
  }
}
