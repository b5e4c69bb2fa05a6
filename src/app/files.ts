/**
 * The user's data into the sandbox: point files (CSV, TSV, JSON), drawings, scripts' arrays, and
 * images (an image dataset's own images, or on points the dark pixels of a picture).
 */
import { saveCustomPoints } from '../io/customStore';
import { decodeImageFile, imageFileToPoints } from '../io/imageFiles';
import { readPointFile } from '../io/pointFile';
import { normalisePoints, type ClassLabels } from '../maths/datasets';
import { COLOUR_SHAPE, imageDim, isImageDataset } from '../maths/imageDatasets';
import type { App } from './context';

export const POINT_FILES =
  '.csv,.tsv,.txt,.json,text/csv,application/json,image/png,image/jpeg,image/webp';
const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;

const isImageFile = (f: File): boolean => IMAGE_FILE.test(f.name) || f.type.startsWith('image/');

/**
 * Points (centred and scaled when `normalise`), with their class labels if any, as the 'custom'
 * dataset, with a note of where from.
 */
export async function useCustomPoints(
  app: App,
  points: Float32Array,
  normalise: boolean,
  source: string,
  labels: ClassLabels | null = null,
): Promise<void> {
  const prepared = normalise ? normalisePoints(points) : { points, scale: 1 };
  await app.sandbox.setCustomPoints(prepared.points, labels);
  showCustomPoints(app, prepared, normalise, source, labels);
}

function showCustomPoints(
  app: App,
  prepared: { points: Float32Array; scale: number },
  normalise: boolean,
  source: string,
  labels: ClassLabels | null = null,
): void {
  saveCustomPoints(
    prepared.points.length / 2 > 100_000 ? prepared.points.subarray(0, 200_000) : prepared.points,
    labels,
  );
  const count = (prepared.points.length / 2).toLocaleString('en');
  const scaled = normalise ? ` (centred, scaled ×${prepared.scale.toPrecision(3)})` : '';
  const names = labels?.names ?? [];
  const shown = names.length > 8 ? [...names.slice(0, 8), '...'] : names;
  const classes = names.length ? `, in ${names.length} classes: ${shown.join(', ')}` : '';
  app.messages.show(`Using ${count} points from ${source}${scaled}${classes}.`, 'info');
}

/**
 * Image files: in an image dataset they join 'images' (your own 32x32 colour images); on points,
 * the first becomes the 'custom' points, its dark pixels (diffuse into your own logo).
 */
export async function loadImageFiles(app: App, files: readonly Blob[]): Promise<void> {
  if (files.length === 0) throw new Error('no image files');
  const name = (f: Blob): string => (f instanceof File ? f.name : 'the image');
  // Decoded in the sandbox's queue, for the dataset as it is after every call made before.
  let images = false;
  await app.sandbox.useData(async (s) => {
    images = isImageDataset(s.dataset);
    if (!images) return { points: await imageFileToPoints(files[0]!, s.m, s.seed) };
    const d = imageDim(COLOUR_SHAPE);
    const out = new Float32Array(files.length * d);
    for (const [i, file] of files.entries())
      out.set(await decodeImageFile(file, COLOUR_SHAPE), i * d);
    return { images: out };
  }, 'loadImages()');
  if (images) {
    const count = files.length === 1 ? name(files[0]!) : `${files.length} images`;
    app.messages.show(`Added ${count} to your images (32×32 colour).`, 'info');
  } else {
    const points = app.sandbox.customPoints();
    if (points)
      showCustomPoints(app, { points, scale: 1 }, false, `the dark pixels of ${name(files[0]!)}`);
  }
}

/** A file chosen or dropped: images as images, anything else as a point file. */
export async function loadFile(app: App, file: File): Promise<void> {
  try {
    if (isImageFile(file)) await loadImageFiles(app, [file]);
    else {
      const { points, labels } = await readPointFile(file);
      await useCustomPoints(app, points, true, file.name, labels);
    }
  } catch (e) {
    app.report(e);
  }
}

/** Files dropped on the page: all the images together, else the first file. */
export function loadDropped(app: App, files: readonly File[]): void {
  const images = files.filter(isImageFile);
  if (images.length) void loadImageFiles(app, images).catch((e: unknown) => app.report(e));
  else if (files[0]) void loadFile(app, files[0]);
}
