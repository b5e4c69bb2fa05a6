/**
 * Image datasets as the simulation takes them: m training images, flat, in the pixel convention
 * of src/maths/imageDatasets.ts. MNIST is fetched once (the build's mnist.bin.gz, cached by the
 * service worker for offline use); shapes and colour are drawn by our own code; 'images' are the
 * user's files.
 */
import type { Dataset } from '../maths/datasets';
import {
  generateColour,
  generateShapes,
  imageDim,
  imageShapeOf,
  shapeLabels,
  type ImageDatasetId,
  type ImageShape,
} from '../maths/imageDatasets';
import { Rng, Stream } from '../maths/rng';
import { loadMnist } from './mnist';
import type { MnistDigits } from './mnistFormat';

/** An image dataset: a Dataset of dim = width x height x channels, with its shape. */
export interface ImageDataset extends Dataset {
  image: ImageShape;
}

export const isImageData = (d: Dataset): d is ImageDataset => 'image' in d;

let mnist: Promise<MnistDigits> | null = null;

/** The bundled digits, fetched once per page (a failed fetch is retried next time). */
function digits(): Promise<MnistDigits> {
  mnist ??= loadMnist(new URL('mnist.bin.gz', document.baseURI)).catch((e: unknown) => {
    mnist = null;
    throw e;
  });
  return mnist;
}

/**
 * m of `count` images of `dim` floats: all of them, or a seeded random subset; with `labels`, the
 * labels of the images taken, in their order.
 */
export function subset(
  all: Float32Array,
  dim: number,
  m: number,
  seed: number,
  labels?: Uint8Array,
): { points: Float32Array; labels: Uint8Array | undefined } {
  const count = all.length / dim;
  if (m >= count) return { points: all, labels };
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const rng = new Rng(seed, Stream.subsample);
  const out = new Float32Array(m * dim);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(count - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
    out.set(all.subarray(order[i]! * dim, (order[i]! + 1) * dim), i * dim);
  }
  return {
    points: out,
    labels: labels && Uint8Array.from(order.subarray(0, m), (k) => labels[k]!),
  };
}

/**
 * The dataset `id` with at most m images (MNIST has 10,000; the user's files as many as they
 * dropped). `user` holds the user's images ('images'), or null when there are none.
 */
export async function makeImageDataset(
  id: ImageDatasetId,
  m: number,
  seed: number,
  user: Float32Array | null,
): Promise<ImageDataset> {
  const image = imageShapeOf(id);
  const dim = imageDim(image);
  let points: Float32Array;
  let labels: Uint8Array | undefined;
  switch (id) {
    case 'mnist': {
      const all = await digits();
      ({ points, labels } = subset(all.pixels, dim, m, seed, all.labels));
      break;
    }
    case 'shapes':
      points = generateShapes(m, seed);
      labels = shapeLabels(m, seed);
      break;
    case 'colour':
      points = generateColour(m, seed);
      break;
    case 'images':
      if (!user || user.length < dim) throw new Error('no images of your own yet: drop some files');
      points = subset(user, dim, m, seed).points;
      break;
  }
  return { id, points, mixture: null, dim, image, ...(labels ? { labels } : {}) };
}
