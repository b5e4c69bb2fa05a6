/**
 * The data the runs sample: generated point datasets, the user's own points ('custom') and
 * images ('images'), and the image datasets. Holds the user's data between runs and devices.
 */
import { makeImageDataset } from '../io/imageData';
import {
  generateDataset,
  subsampleLabels,
  subsamplePoints,
  type ClassLabels,
  type Dataset,
} from '../maths/datasets';
import { isImageDataset } from '../maths/imageDatasets';
import { setCustomClassNames } from '../settings/classes';
import { IMAGE_M_MAX, type Settings } from '../settings/settings';
import type { UserData } from './types';

export class Datasets {
  /** The user's own points (dataset 'custom'), interleaved. */
  custom: Float32Array | null = null;
  /** Their class labels, if they came with them (a labelled file). */
  private customLabels: ClassLabels | null = null;
  /** The user's own images (dataset 'images'): 32x32 RGB, flat. */
  images: Float32Array | null = null;

  requireCustom(): Float32Array {
    if (!this.custom) throw new Error('no custom points');
    return this.custom;
  }

  get labels(): ClassLabels | null {
    return this.customLabels;
  }

  /** The custom points' labels (null: none), and their classes for the settings' checks. */
  set labels(labels: ClassLabels | null) {
    this.customLabels = labels;
    setCustomClassNames(labels?.names ?? []);
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
    if (s.dataset === 'custom') {
      const labels = this.customLabels?.labels;
      return {
        id: 'custom',
        points: subsamplePoints(this.requireCustom(), s.m, s.seed),
        mixture: null,
        ...(labels ? { labels: subsampleLabels(labels, s.m, s.seed) } : {}),
      };
    }
    return generateDataset(s.dataset, s.m, s.seed);
  }
}

/** Throws when the user's data cannot be a dataset, whatever made it (a file, a script, a drawing). */
export function checkUserData(data: UserData): void {
  if (!('points' in data)) {
    if (data.images.length === 0) throw new Error('no images to use');
    return;
  }
  if (data.points.length < 2) throw new Error('no points to use');
  if (!data.points.every(Number.isFinite))
    throw new Error('the points hold a value that is not finite');
  if (data.labels && data.labels.labels.length !== data.points.length / 2)
    throw new Error('the points and their labels differ in number');
}
