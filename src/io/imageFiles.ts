/**
 * The user's image files (PNG, JPEG, WebP: whatever createImageBitmap decodes) as dataset images or
 * as 2D point clouds. Browser only; the pixel arithmetic is pure, in src/maths/imageDatasets.ts.
 */
import { imageToPoints, rgbaToImage, type ImageShape } from '../maths/imageDatasets';

export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_IMAGE_SIDE = 8192;
/** Long side of the raster that imageFileToPoints samples: detail enough, cheap to scan. */
export const POINTS_IMAGE_SIDE = 256;

const nameOf = (file: Blob): string => (file instanceof File ? file.name : 'the image');

/** Decodes a file, or throws an Error naming the file and the problem. The caller closes it. */
async function decodeBitmap(file: Blob): Promise<ImageBitmap> {
  const name = nameOf(file);
  if (file.size === 0) throw new Error(`${name} is empty`);
  if (file.size > MAX_IMAGE_BYTES) {
    const mb = Math.ceil((file.size / (1024 * 1024)) * 10) / 10;
    throw new Error(`${name} is ${mb} MB; the limit for images is ${MAX_IMAGE_BYTES >> 20} MB`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${name} is not an image this browser can decode`);
  }
  const { width, height } = bitmap;
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width === 0 || height === 0) {
    bitmap.close();
    throw new Error(
      `${name} is ${width}x${height} pixels; images must be 1 to ${MAX_IMAGE_SIDE} pixels a side`,
    );
  }
  return bitmap;
}

/**
 * RGBA bytes of the source rectangle (sx, sy, sw, sh) of a bitmap drawn onto a width x height
 * canvas with high-quality smoothing; transparent where the image is (read as white later).
 */
function rasterise(
  bitmap: ImageBitmap,
  [sx, sy, sw, sh]: readonly [number, number, number, number],
  width: number,
  height: number,
): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser has no 2D canvas to resize images with');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, sx, sy, sw, sh, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

/**
 * A file as one dataset image of the given shape: resized to cover it (centred crop), in the pixel
 * convention; greyscale images with a light background are inverted to white ink on black.
 */
export async function decodeImageFile(file: Blob, shape: ImageShape): Promise<Float32Array> {
  const bitmap = await decodeBitmap(file);
  try {
    const { width, height } = shape;
    const scale = Math.max(width / bitmap.width, height / bitmap.height);
    const sw = width / scale;
    const sh = height / scale;
    const crop = [(bitmap.width - sw) / 2, (bitmap.height - sh) / 2, sw, sh] as const;
    return rgbaToImage(rasterise(bitmap, crop, width, height), shape);
  } finally {
    bitmap.close();
  }
}

/**
 * A file as m 2D points drawn from its dark pixels (imageToPoints), the image first scaled to at
 * most POINTS_IMAGE_SIDE pixels on its long side.
 */
export async function imageFileToPoints(
  file: Blob,
  m: number,
  seed: number,
): Promise<Float32Array> {
  const bitmap = await decodeBitmap(file);
  let rgba: Uint8ClampedArray;
  let width: number;
  let height: number;
  try {
    const scale = Math.min(1, POINTS_IMAGE_SIDE / Math.max(bitmap.width, bitmap.height));
    width = Math.max(1, Math.round(bitmap.width * scale));
    height = Math.max(1, Math.round(bitmap.height * scale));
    rgba = rasterise(bitmap, [0, 0, bitmap.width, bitmap.height], width, height);
  } finally {
    bitmap.close();
  }
  try {
    return imageToPoints(rgba, width, height, m, seed);
  } catch (e) {
    throw new Error(`${nameOf(file)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
