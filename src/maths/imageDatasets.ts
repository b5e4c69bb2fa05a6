/**
 * Image datasets: shapes, generators and pixel conversions. Pure (no DOM, no GPU).
 *
 * Pixel convention of every image dataset: Float32Array, image-major, rows top to bottom, pixels
 * left to right, channels interleaved (RGB RGB ...), values v = 2p - 1 in [-1, 1] for intensity
 * p in [0, 1]. Greyscale images are white ink on black, as MNIST.
 */
import { normalisePoints } from './datasets';
import { Rng, Stream, threefry2x32 } from './rng';
import { coverage, randomShape, SHAPE_CLASSES, type Sdf } from './sdf';

export { SHAPE_CLASSES, type ShapeClass } from './sdf';

/** Size and channel count of one image. */
export interface ImageShape {
  width: number;
  height: number;
  channels: 1 | 3;
}

export const MNIST_SHAPE: ImageShape = { width: 28, height: 28, channels: 1 };
export const COLOUR_SHAPE: ImageShape = { width: 32, height: 32, channels: 3 };

/** Floats per image, d. */
export function imageDim(shape: ImageShape): number {
  return shape.width * shape.height * shape.channels;
}

/** 'images' holds the user's own image files. */
export const IMAGE_DATASETS = ['mnist', 'shapes', 'colour', 'images'] as const;
export type ImageDatasetId = (typeof IMAGE_DATASETS)[number];

export function isImageDataset(id: string): id is ImageDatasetId {
  return (IMAGE_DATASETS as readonly string[]).includes(id);
}

/** The image shape of each dataset; the user's files are resized to colour 32x32. */
export const IMAGE_SHAPES: Readonly<Record<ImageDatasetId, ImageShape>> = {
  mnist: MNIST_SHAPE,
  shapes: MNIST_SHAPE,
  colour: COLOUR_SHAPE,
  images: COLOUR_SHAPE,
};

export function imageShapeOf(id: ImageDatasetId): ImageShape {
  return IMAGE_SHAPES[id];
}

// ---- Procedural datasets ----

/** Per-image keys, so image i does not depend on m and the two generators draw apart. */
const SHAPES_TAG = 0x53484150;
const COLOUR_TAG = 0x434f4c52;

/** The draws of image i: a generator keyed by (seed, i), on the dataset stream. */
function imageRng(seed: number, i: number, tag: number): Rng {
  return new Rng(threefry2x32(seed, Stream.dataset, i, tag)[0]!, Stream.dataset);
}

function checkCount(m: number): void {
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`image count ${m} is not a count`);
}

/** The class index of each generateShapes image: the first draw of its generator. */
export function shapeLabels(m: number, seed: number): Uint8Array {
  checkCount(m);
  const labels = new Uint8Array(m);
  for (let i = 0; i < m; i++) labels[i] = imageRng(seed, i, SHAPES_TAG).int(SHAPE_CLASSES.length);
  return labels;
}

/**
 * m antialiased size x size greyscale shapes (SHAPE_CLASSES), white on black, of random position,
 * size, rotation and stroke; the same (m, seed) gives the same images, and image i is the same for
 * all m. The shapes are drawn for 28 x 28 (MNIST_SHAPE) and scaled to `size`: each pixel's centre
 * is mapped into the 28 x 28 frame and its signed distance scaled back to the new pixels, so that
 * the antialiasing stays one pixel wide; 28 gives the same floats as ever (a scale of exactly 1).
 * Small sizes are for tests that train on SwiftShader.
 */
export function generateShapes(m: number, seed: number, size = MNIST_SHAPE.width): Float32Array {
  checkCount(m);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`image size ${size} is not a size`);
  const frame = MNIST_SHAPE.width;
  const toFrame = frame / size;
  const toPixels = size / frame;
  const out = new Float32Array(m * size * size);
  for (let i = 0; i < m; i++) {
    const rng = imageRng(seed, i, SHAPES_TAG);
    const cls = SHAPE_CLASSES[rng.int(SHAPE_CLASSES.length)]!;
    const sdf = randomShape(rng, cls, frame, 6, 11);
    let at = i * size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = sdf((x + 0.5) * toFrame, (y + 0.5) * toFrame) * toPixels;
        out[at++] = 2 * coverage(d) - 1;
      }
    }
  }
  return out;
}

/** HSV (all in [0, 1], hue wrapping) to RGB in [0, 1]. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + 6 * (h - Math.floor(h))) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/**
 * m 32x32 RGB images: one or two bright shapes on a darker background, plain or a linear gradient
 * between two hues; the same (m, seed) gives the same images, image i the same for all m.
 */
export function generateColour(m: number, seed: number): Float32Array {
  checkCount(m);
  const { width: size } = COLOUR_SHAPE;
  const d = imageDim(COLOUR_SHAPE);
  const out = new Float32Array(m * d);
  const u = (rng: Rng, a: number, b: number): number => a + (b - a) * rng.uniform();
  const rgb = new Float64Array(3);
  for (let i = 0; i < m; i++) {
    const rng = imageRng(seed, i, COLOUR_TAG);
    const hue = rng.uniform();
    const from = hsvToRgb(hue, u(rng, 0.3, 0.8), u(rng, 0.15, 0.5));
    const gradient = rng.uniform() < 0.5;
    const to = gradient
      ? hsvToRgb(hue + u(rng, -0.2, 0.2), u(rng, 0.3, 0.8), u(rng, 0.15, 0.5))
      : from;
    const angle = u(rng, 0, 2 * Math.PI);
    const [gx, gy] = [Math.cos(angle) / size, Math.sin(angle) / size];
    const shapes: { sdf: Sdf; rgb: [number, number, number] }[] = [];
    for (let k = 1 + rng.int(2); k > 0; k--) {
      const cls = SHAPE_CLASSES[rng.int(SHAPE_CLASSES.length)]!;
      const colour = hsvToRgb(hue + u(rng, 0.25, 0.75), u(rng, 0.5, 1), u(rng, 0.75, 1));
      shapes.push({ sdf: randomShape(rng, cls, size, 5, 10), rgb: colour });
    }
    let at = i * d;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = Math.min(Math.max(0.5 + (px - size / 2) * gx + (py - size / 2) * gy, 0), 1);
        for (let c = 0; c < 3; c++) rgb[c] = from[c]! + (to[c]! - from[c]!) * t;
        for (const shape of shapes) {
          const a = coverage(shape.sdf(px, py));
          for (let c = 0; c < 3; c++) rgb[c] = rgb[c]! + (shape.rgb[c]! - rgb[c]!) * a;
        }
        for (let c = 0; c < 3; c++) out[at++] = 2 * rgb[c]! - 1;
      }
    }
  }
  return out;
}

// ---- Pixel conversions ----

/** Luma weights of ITU-R BT.601 on the stored (gamma-encoded) values, as PIL's convert('L'). */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Intensities p in [0, 1] of RGBA bytes (0..255, not premultiplied) composited over white:
 * luminance per pixel (channels 1) or RGB interleaved (channels 3).
 */
export function rgbaIntensities(rgba: ArrayLike<number>, channels: 1 | 3): Float64Array {
  const count = rgba.length / 4;
  const out = new Float64Array(count * channels);
  for (let i = 0; i < count; i++) {
    // One rounding, from integers: opaque pixels give exactly c / 255.
    const a = rgba[4 * i + 3]!;
    const over = (c: number): number => (a * rgba[4 * i + c]! + (255 - a) * 255) / 65025;
    if (channels === 1) out[i] = LUMA[0] * over(0) + LUMA[1] * over(1) + LUMA[2] * over(2);
    else for (let c = 0; c < 3; c++) out[3 * i + c] = over(c);
  }
  return out;
}

/** Mean intensity of the outermost pixels of a greyscale image (p in [0, 1]). */
export function borderMean(grey: ArrayLike<number>, width: number, height: number): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    const edgeRow = y === 0 || y === height - 1;
    for (let x = 0; x < width; x++) {
      if (edgeRow || x === 0 || x === width - 1) {
        sum += grey[y * width + x]!;
        count++;
      }
    }
  }
  return sum / count;
}

/** Greyscale images are white ink on black: a light background (border mean > 0.5) is inverted. */
export function shouldInvert(grey: ArrayLike<number>, width: number, height: number): boolean {
  return borderMean(grey, width, height) > 0.5;
}

/** RGBA bytes of an image of the given shape to the pixel convention (inverting light greys). */
export function rgbaToImage(rgba: ArrayLike<number>, shape: ImageShape): Float32Array {
  const { width, height, channels } = shape;
  if (rgba.length !== 4 * width * height) {
    throw new RangeError(`${rgba.length} bytes is not RGBA of ${width}x${height}`);
  }
  const p = rgbaIntensities(rgba, channels);
  const invert = channels === 1 && shouldInvert(p, width, height);
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = 2 * (invert ? 1 - p[i]! : p[i]!) - 1;
  return out;
}

// ---- Images as point clouds ----

/** Pixels lighter than this darkness (1 - luminance) give no points: paper, JPEG noise. */
export const MIN_DARKNESS = 0.1;

/**
 * m 2D points (x, y interleaved, y up) drawn from an image's dark pixels, each with probability
 * proportional to its darkness and jittered uniformly inside it, then centred and scaled as user
 * points are (normalisePoints). pixels: RGBA bytes, or one grey byte per pixel (0..255).
 */
export function imageToPoints(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  m: number,
  seed: number,
): Float32Array {
  return normalisePoints(darkPixelPoints(pixels, width, height, m, seed)).points;
}

/**
 * imageToPoints before normalisation: in pixel units, x from the left edge, y up from the bottom
 * edge, so pixel (column c, row r) spans [c, c + 1] x [height - r - 1, height - r].
 */
export function darkPixelPoints(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  m: number,
  seed: number,
): Float32Array {
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size ${width}x${height} is not a size`);
  }
  if (pixels.length !== n && pixels.length !== 4 * n) {
    throw new RangeError(`${pixels.length} values is neither grey nor RGBA of ${width}x${height}`);
  }
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`point count ${m} is not positive`);
  const grey =
    pixels.length === n ? Float64Array.from(pixels, (v) => v / 255) : rgbaIntensities(pixels, 1);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const dark = 1 - grey[i]!;
    if (dark >= MIN_DARKNESS) total += dark;
    cumulative[i] = total;
  }
  if (total === 0) throw new Error('the image has no dark pixels to turn into points');
  const rng = new Rng(seed, Stream.subsample);
  const points = new Float32Array(2 * m);
  for (let k = 0; k < m; k++) {
    const i = firstAbove(cumulative, rng.uniform() * total);
    points[2 * k] = (i % width) + rng.uniform();
    points[2 * k + 1] = height - Math.floor(i / width) - rng.uniform();
  }
  return points;
}

/** The first index whose value exceeds target, in a non-decreasing array whose last does. */
function firstAbove(sorted: Float64Array, target: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
