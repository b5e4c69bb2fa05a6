/**
 * The mixture parameters as the kernels read them (struct Component in shaders/lib/mixture.wgsl):
 * a dataset's exact mixture, or the one-Gaussian model of a point cloud (denoiser 'gaussian').
 */
import type { Mixture } from '../../maths/datasets';
import { moments } from '../../maths/stats';

/** Floats per mixture component (struct Component in shaders/lib/mixture.wgsl). */
export const COMPONENT_FLOATS = 8;

/**
 * mean.xy, log weight, label (u32: component k is class k), cov (xx, xy, yy), 0 per component;
 * one zero component for none.
 */
export function packMixture(mixture: Mixture | null): Float32Array<ArrayBuffer> {
  const components = mixture?.components ?? [];
  const out = new Float32Array(Math.max(1, components.length) * COMPONENT_FLOATS);
  const words = new Uint32Array(out.buffer);
  components.forEach((c, k) => {
    out.set(
      [c.mean[0], c.mean[1], Math.log(c.weight), 0, c.cov[0], c.cov[1], c.cov[2], 0],
      k * COMPONENT_FLOATS,
    );
    words[k * COMPONENT_FLOATS + 3] = k;
  });
  return out;
}

/** The one-Gaussian model of a point cloud (denoiser 'gaussian' on points): its mean and covariance. */
export function gaussianOfPoints(points: Float32Array): Mixture {
  const m = moments(points);
  return { components: [{ weight: 1, mean: m.mean, cov: m.cov }] };
}
