/**
 * The data the runs sample: generated point datasets, the user's own points ('custom') and
 * images ('images'), and the image datasets. Holds the user's data between runs and devices.
 */
import { makeImageDataset } from '../io/imageData';
import { generateDataset, subsamplePoints, type Dataset } from '../maths/datasets';
import { isImageDataset } from '../maths/imageDatasets';
import { IMAGE_M_MAX, type Settings } from '../settings/settings';

export class Datasets {
  /** The user's own points (dataset 'custom'), interleaved. */
  custom: Float32Array | null = null;
  /** The user's own images (dataset 'images'): 32x32 RGB, flat. */
  images: Float32Array | null = null;

  requireCustom(): Float32Array {
    if (!this.custom) throw new Error('no custom points');
    return this.custom;
  }

  /** Why these settings' dataset cannot be made now, or null. */
  missing(s: Readonly<Settings>): string | null {
    if (s.dataset === 'custom' && !this.custom)
      return 'no custom points yet: draw on the canvas or load a CSV or JSON file';
    if (s.dataset === 'images' && !this.images)
      return 'no images of your own yet: drop PNG or JPEG files on the page';
    return null;
  }

  /** The user's images with `images` added (or in their place). */
  withImages(images: Float32Array, replace: boolean): Float32Array {
    const kept = replace || !this.images ? new Float32Array(0) : this.images;
    const next = new Float32Array(kept.length + images.length);
    next.set(kept);
    next.set(images, kept.length);
    return next;
  }

  async make(s: Readonly<Settings>): Promise<Dataset> {
    if (isImageDataset(s.dataset))
      return makeImageDataset(s.dataset, Math.min(s.m, IMAGE_M_MAX), s.seed, this.images);
    if (s.dataset === 'custom')
      return {
        id: 'custom',
        points: subsamplePoints(this.requireCustom(), s.m, s.seed),
        mixture: null,
      };
    return generateDataset(s.dataset, s.m, s.seed);
  }
}
