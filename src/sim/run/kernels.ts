/**
 * The kernel registry of a run: which WGSL file each kernel of the simulation is, how it is
 * dispatched, and which of them a run dispatches, so that a Simulation compiles those alone (on
 * the device's kernel cache, src/gpu/compile.ts: once per device, whoever asks).
 */
import { compileKernel } from '../../gpu/compile';
import type { Kernel, ShaderSources } from '../../gpu/kernel';
import type { DenoiserId } from '../../settings/settings';
import { IMAGE_KERNELS, IMAGE_WORKGROUP_SIZE, type ImageKernelId } from './imageKernels';
import { perturbs, type KernelName, type Pass } from './plan';
import { isGuided } from '../../maths/guidance';
import type { RunSpec } from '../../settings/runSpec';

export const KERNEL_FILES = {
  prior: 'run/prior',
  forward_jump: 'run/forward_jump',
  forward_step: 'run/forward_step',
  denoise_mixture: 'run/denoise_mixture',
  // The same kernel bound to the one-Gaussian model of the points (denoiser 'gaussian').
  denoise_gaussian: 'run/denoise_mixture',
  denoise_empirical: 'run/denoise_empirical',
  denoise_learned: 'run/denoise_learned',
  // The image U-Net's evaluation: its input, then its forward (src/sim/run/unetDenoiser.ts), then
  // its output as x0_hat. 'denoise' of a learned image run is unet_out, which records all three.
  unet_in: 'run/unet_in',
  unet_out: 'run/unet_out',
  ddpm: 'run/ddpm',
  ddim: 'run/ddim',
  euler: 'run/euler',
  heun_predict: 'run/heun_predict',
  heun_correct: 'run/heun_correct',
  em: 'run/em',
  dpmpp2m: 'run/dpmpp2m',
  perturb: 'run/perturb',
  langevin_init: 'run/langevin_init',
  ula: 'run/ula',
  mala_propose: 'run/mala_propose',
  mala_accept: 'run/mala_accept',
  baoab_baoa: 'run/baoab_baoa',
  baoab_b: 'run/baoab_b',
  denoise_image_empirical: IMAGE_KERNELS.empirical,
  denoise_image_gaussian: IMAGE_KERNELS.gaussian,
  image_nearest: IMAGE_KERNELS.nearest,
  guide: 'run/guide',
  path_start: 'run/path_start',
  path_step: 'run/path_step',
} as const;
export type KernelId = keyof typeof KERNEL_FILES;

/** The image kernels, dispatched by their own tiling (src/sim/run/imageKernels.ts). */
export const IMAGE_KERNEL_OF: Partial<Record<KernelId, ImageKernelId>> = {
  denoise_image_empirical: 'empirical',
  denoise_image_gaussian: 'gaussian',
  image_nearest: 'nearest',
};

/** The kernels a measurement runs on its own outputs (Simulation.measureDenoiser). */
export const MEASURED: ReadonlySet<KernelId> = new Set([
  'denoise_mixture',
  'denoise_learned',
  'denoise_gaussian',
  'denoise_empirical',
  'unet_out',
  'denoise_image_empirical',
  'denoise_image_gaussian',
  'perturb',
  'image_nearest',
  'guide',
]);

/** Kernels that run once per particle; every other kernel runs once per vec2 lane. */
export const PER_PARTICLE: ReadonlySet<KernelId> = new Set([
  'denoise_mixture',
  'denoise_learned',
  'denoise_gaussian',
  'denoise_empirical',
  'mala_accept',
  'guide',
  'path_start',
  'path_step',
]);

/** What picks the denoiser's kernel besides the run: the data's dimension and its mixture. */
export interface DataShape {
  dim: number;
  /** Whether the dataset has exact mixture parameters. */
  mixture: boolean;
}

/** The kernel of a pass of the plan: 'denoise' is the run's denoiser on this data. */
export function kernelOf(name: KernelName, denoiser: DenoiserId, data: DataShape): KernelId {
  if (name !== 'denoise') return name;
  if (data.dim > 2) {
    if (denoiser === 'learned') return 'unet_out';
    return denoiser === 'gaussian' ? 'denoise_image_gaussian' : 'denoise_image_empirical';
  }
  if (denoiser === 'gaussian') return 'denoise_gaussian';
  if (denoiser === 'learned') return 'denoise_learned';
  return denoiser === 'exact' && data.mixture ? 'denoise_mixture' : 'denoise_empirical';
}

/**
 * Every kernel a run dispatches: its reset, the passes of its plan, its scrubs (forward mode),
 * the measurement of its denoiser (measureDenoiser, in every mode) and, for images, the nearest
 * training images (measureNearest).
 */
export function runKernels(spec: RunSpec, plan: readonly Pass[][], data: DataShape): KernelId[] {
  // Every run measures its paths' straightness (Simulation.reset, encodeSteps, scrub).
  const ids = new Set<KernelId>(['path_start', 'path_step']);
  const add = (name: KernelName): void => void ids.add(kernelOf(name, spec.denoiser, data));
  if (spec.mode === 'langevin') ['prior', 'langevin_init'].forEach((k) => add(k as KernelName));
  else if (spec.mode === 'reverse') add('prior');
  else ['forward_jump', 'forward_step'].forEach((k) => add(k as KernelName));
  for (const passes of plan) for (const p of passes) add(p.kernel);
  add('denoise');
  if (spec.mode !== 'forward' && perturbs(spec.error)) add('perturb');
  if (data.dim > 2) ids.add('image_nearest');
  if (ids.has('unet_out')) ids.add('unet_in');
  if (guides(spec, data)) ids.add('guide');
  return [...ids];
}

/**
 * The denoisers that take a class (step.label), and so guidance: mixtures, points and images, and
 * the 2D network and the U-Net when class-conditional (the settings refuse a class for one that
 * is not).
 */
export const GUIDED: ReadonlySet<KernelId> = new Set([
  'denoise_mixture',
  'denoise_empirical',
  'denoise_image_empirical',
  'denoise_learned',
  'unet_out',
]);

/**
 * Whether a run evaluates its denoiser twice, conditional and unconditional, and mixes them
 * (run/guide.wgsl): a class and w != 1 somewhere on its levels, with a denoiser that takes a class.
 */
export function guides(spec: RunSpec, data: DataShape): boolean {
  return (
    GUIDED.has(kernelOf('denoise', spec.denoiser, data)) && isGuided(spec.condition, spec.levels)
  );
}

/** Kernel `id` on the device's cache: compiled once per device. */
export function compileRunKernel(
  device: GPUDevice,
  sources: ShaderSources,
  id: KernelId,
): Promise<Kernel> {
  return compileKernel(device, sources, KERNEL_FILES[id], {
    dynamic: ['step'],
    workgroupSize: IMAGE_KERNEL_OF[id] ? IMAGE_WORKGROUP_SIZE : 64,
  });
}
