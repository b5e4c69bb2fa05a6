/**
 * The image kernels as the simulation drives them: file names, the workgroup size each is
 * compiled with (createKernel's workgroupSize, the WORKGROUP_SIZE override) and 1D dispatch sizes.
 * Bindings by WGSL name: step (dynamic offset), x, x0hat, energy, data, gaussianModel (the packed Gaussian
 * model, src/maths/gaussianModel.ts), nearest (struct Nearest of shaders/lib/nearest.wgsl per query).
 */

export const IMAGE_KERNELS = {
  /** The empirical denoiser, plain or smoothed: step, x, x0hat, energy, data. */
  empirical: 'run/denoise_image_empirical',
  /** The Gaussian-model denoiser: step, x, x0hat, energy, gaussianModel. */
  gaussian: 'run/denoise_image_gaussian',
  /** Nearest and second nearest training images of the queries in x0hat: step, x0hat, data, nearest. */
  nearest: 'distance/image_nearest',
} as const;

export type ImageKernelId = keyof typeof IMAGE_KERNELS;

/** Every image kernel hard-codes its tiles for this many invocations (32 per query row). */
export const IMAGE_WORKGROUP_SIZE = 256;
/** Query rows per workgroup of the tiled kernels (empirical, nearest). */
export const IMAGE_ROWS = 8;
/** Largest image the kernels hold (32 x 32 x 3): 12 coordinates per invocation. */
export const MAX_IMAGE_DIM = 3072;
/** Largest Gaussian-model rank (its projections' workgroup array). */
export const MAX_IMAGE_RANK = 256;
/** Monte Carlo draws the smoothed denoiser takes: divisors of IMAGE_ROWS. */
export const IMAGE_DRAWS = [1, 2, 4, 8] as const;
/** Workgroups to dispatch (1D) for n images; draws only matter to the empirical denoiser. */
export function imageWorkgroups(kernel: ImageKernelId, n: number, draws = 1): number {
  if (!(IMAGE_DRAWS as readonly number[]).includes(draws))
    throw new Error(`image kernels take 1, 2, 4 or 8 draws, not ${draws}`);
  switch (kernel) {
    case 'empirical':
      return Math.max(1, Math.ceil((n * draws) / IMAGE_ROWS));
    case 'nearest':
      return Math.max(1, Math.ceil(n / IMAGE_ROWS));
    case 'gaussian':
      return Math.max(1, n);
  }
}
