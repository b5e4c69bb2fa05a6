/**
 * Image datasets (src/maths/imageDatasets.ts): the procedural shapes and colour images are seeded,
 * in range and structured; RGBA conversion and the invert rule; images as point clouds put points
 * on the dark pixels, in proportion to darkness.
 */
import { describe, expect, test } from 'vitest';
import { CUSTOM_RMS } from '../../src/maths/datasets';
import {
  COLOUR_SHAPE,
  darkPixelPoints,
  generateColour,
  generateShapes,
  IMAGE_DATASETS,
  imageDim,
  imageShapeOf,
  imageToPoints,
  isImageDataset,
  MNIST_SHAPE,
  rgbaIntensities,
  rgbaToImage,
  SHAPE_CLASSES,
  shapeLabels,
} from '../../src/maths/imageDatasets';
import { Rng } from '../../src/maths/rng';
import { EPS32, SEED, within, zFor } from '../random';

const seed = SEED;
const rng = new Rng(seed);
/** Unit roundoff of float64. */
const U64 = 2 ** -53;

const range = (a: ArrayLike<number>): [number, number] => {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    min = Math.min(min, a[i]!);
    max = Math.max(max, a[i]!);
  }
  return [min, max];
};

const equal = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** A width x height RGBA image of one colour with a w x h rectangle of another at (x0, y0). */
function rectangle(
  [width, height]: [number, number],
  [x0, y0, w, h]: [number, number, number, number],
  inside: number[],
  outside: number[],
): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(4 * width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const isIn = x >= x0 && x < x0 + w && y >= y0 && y < y0 + h;
      rgba.set(isIn ? inside : outside, 4 * (y * width + x));
    }
  }
  return rgba;
}

describe(`image datasets (SEED=${seed})`, () => {
  test('ids and shapes', () => {
    expect(IMAGE_DATASETS.every(isImageDataset)).toBe(true);
    expect(isImageDataset('moons')).toBe(false);
    expect(imageDim(MNIST_SHAPE)).toBe(784);
    expect(imageDim(COLOUR_SHAPE)).toBe(3072);
    expect(imageShapeOf('mnist')).toEqual(MNIST_SHAPE);
    expect(imageShapeOf('shapes')).toEqual(MNIST_SHAPE);
    expect(imageShapeOf('colour')).toEqual(COLOUR_SHAPE);
  });

  const n = 60;
  test(`shapes: ${n} seeded 28x28 images, white antialiased ink on black`, () => {
    const images = generateShapes(n, seed);
    expect(images.length).toBe(n * 784);
    expect(equal(generateShapes(n, seed), images)).toBe(true);
    expect(equal(generateShapes(n, seed + 1), images)).toBe(false);
    expect(equal(generateShapes(7, seed), images.subarray(0, 7 * 784))).toBe(true);
    for (let i = 0; i < n; i++) {
      const image = images.subarray(i * 784, (i + 1) * 784);
      expect(range(image)).toEqual([-1, 1]);
      // Antialiased: some edge pixels are partly covered.
      expect(image.some((v) => v > -0.9 && v < 0.9)).toBe(true);
      // The border stays background: shapes sit at least a pixel inside.
      for (let k = 0; k < 28; k++) {
        for (const j of [k, 27 * 28 + k, 28 * k, 28 * k + 27]) expect(image[j]).toBe(-1);
      }
    }
  });

  test('shapes: classes vary, and only rings have a hole at their centre of ink', () => {
    const labels = shapeLabels(n, seed);
    const images = generateShapes(n, seed);
    // 60 uniform labels of 6 classes fall in 3 or fewer with probability C(6, 3) 2^-60 < 1e-16.
    expect(new Set(labels).size).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < n; i++) {
      let mass = 0;
      let cx = 0;
      let cy = 0;
      for (let j = 0; j < 784; j++) {
        const ink = (images[i * 784 + j]! + 1) / 2;
        mass += ink;
        cx += ink * ((j % 28) + 0.5);
        cy += ink * (Math.floor(j / 28) + 0.5);
      }
      const centre = images[i * 784 + 28 * Math.floor(cy / mass) + Math.floor(cx / mass)]!;
      const cls = SHAPE_CLASSES[labels[i]!]!;
      expect(centre < 0, `image ${i}, a ${cls}`).toBe(cls === 'ring');
    }
  });

  test.each([8, 14])(`shapes at %i x %i: the 28 x 28 shapes scaled`, (size) => {
    const m = 100;
    const big = generateShapes(m, seed);
    const small = generateShapes(m, seed, size);
    expect(small.length).toBe(m * size * size);
    const [min, max] = range(small);
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(equal(generateShapes(7, seed, size), small.subarray(0, 7 * size * size))).toBe(true);
    // Inked area (coverage p = (v + 1) / 2, as a share of the image) and its centroid, in the
    // 28 x 28 frame's pixels.
    const ink = (images: Float32Array, s: number, i: number) => {
      let area = 0;
      let x = 0;
      let y = 0;
      for (let j = 0; j < s * s; j++) {
        const p = (images[i * s * s + j]! + 1) / 2;
        area += p;
        x += p * ((j % s) + 0.5);
        y += p * (Math.floor(j / s) + 0.5);
      }
      const scale = 28 / s;
      return { area: area / (s * s), x: (scale * x) / area, y: (scale * y) / area };
    };
    const pixel = 28 / size;
    let areaBig = 0;
    let areaSmall = 0;
    for (let i = 0; i < m; i++) {
      const a = ink(big, 28, i);
      const b = ink(small, size, i);
      areaBig += a.area;
      areaSmall += b.area;
      // Each pixel's ink is read at its centre, so the centroid moves by less than half a
      // (small) pixel: measured 0.65 of 1.75 frame pixels at 8 x 8, 0.27 of 1 at 14 x 14.
      expect(Math.hypot(b.x - a.x, b.y - a.y), `image ${i}`).toBeLessThan(pixel / 2);
    }
    // The box filter across the edge over-inks strokes narrower than a pixel (coverage 0.5 +
    // w / 2 for w): over 100 images, +3% of the area at 8 x 8 and +0.6% at 14 x 14 measured.
    expect(Math.abs(areaSmall / areaBig - 1)).toBeLessThan(0.1);
  });

  const nc = 24;
  test(`colour: ${nc} seeded 32x32 RGB images with shapes on a background`, () => {
    const images = generateColour(nc, seed);
    expect(images.length).toBe(nc * 3072);
    expect(equal(generateColour(nc, seed), images)).toBe(true);
    expect(equal(generateColour(nc, seed + 1), images)).toBe(false);
    expect(equal(generateColour(5, seed), images.subarray(0, 5 * 3072))).toBe(true);
    const [min, max] = range(images);
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    for (let i = 0; i < nc; i++) {
      const image = images.subarray(i * 3072, (i + 1) * 3072);
      const [lo, hi] = range(image);
      expect(hi - lo).toBeGreaterThan(0.5);
      // Coloured, not grey: the shapes are saturated (channel spread v s >= 0.375, doubled).
      let spread = 0;
      for (let j = 0; j < 3072; j += 3) {
        const rgb = [image[j]!, image[j + 1]!, image[j + 2]!];
        spread = Math.max(spread, Math.max(...rgb) - Math.min(...rgb));
      }
      expect(spread).toBeGreaterThan(0.7);
      // Some pixel (a shape) is brighter than the corner (background) by more than 0.4.
      const cornerMax = Math.max(image[0]!, image[1]!, image[2]!);
      expect(image.some((v) => v > cornerMax + 0.4)).toBe(true);
    }
  });

  test('RGBA to intensities: BT.601 luma, composited over white', () => {
    const [r, g, b, a] = Array.from({ length: 4 }, () => rng.int(256));
    const p = rgbaIntensities([r!, g!, b!, 255, r!, g!, b!, 0, 0, 0, 0, a!], 1);
    expect(p[0]).toBeCloseTo((0.299 * r! + 0.587 * g! + 0.114 * b!) / 255, 12);
    expect(p[1]).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(1 - a! / 255, 12);
    const rgb = rgbaIntensities([r!, g!, b!, 255, r!, g!, b!, 0], 3);
    expect(Array.from(rgb)).toEqual([r! / 255, g! / 255, b! / 255, 1, 1, 1]);
  });

  test('greyscale images are inverted when their border is light; colour never', () => {
    const size = MNIST_SHAPE.width;
    const w = 4 + rng.int(12);
    const box: [number, number, number, number] = [1 + rng.int(8), 1 + rng.int(8), w, w + 2];
    const black = [0, 0, 0, 255];
    const white = [255, 255, 255, 255];
    const inside = (j: number): boolean => {
      const [x, y] = [j % size, Math.floor(j / size)];
      return x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
    };
    for (const [ink, paper] of [
      [black, white],
      [white, black],
    ]) {
      const grey = rgbaToImage(rectangle([size, size], box, ink!, paper!), MNIST_SHAPE);
      expect(grey.every((v, j) => v === (inside(j) ? 1 : -1))).toBe(true);
    }
    const shape = { width: size, height: size, channels: 3 } as const;
    const colour = rgbaToImage(rectangle([size, size], box, black, white), shape);
    expect(colour.every((v, j) => v === (inside(Math.floor(j / 3)) ? -1 : 1))).toBe(true);
    expect(() => rgbaToImage(new Uint8ClampedArray(16), MNIST_SHAPE)).toThrow(/RGBA/);
  });

  test('image to points: points fall in the dark square, then centred and scaled', () => {
    const [W, H] = [20 + rng.int(40), 20 + rng.int(40)];
    const box: [number, number, number, number] = [
      rng.int(10),
      rng.int(10),
      3 + rng.int(9),
      3 + rng.int(9),
    ];
    const rgba = rectangle([W, H], box, [0, 0, 0, 255], [255, 255, 255, 255]);
    const m = 300;
    const raw = darkPixelPoints(rgba, W, H, m, seed);
    const [x0, y0, w, h] = box;
    for (let k = 0; k < m; k++) {
      expect(raw[2 * k]).toBeGreaterThanOrEqual(x0);
      expect(raw[2 * k]).toBeLessThanOrEqual(x0 + w);
      // y up: rows y0 .. y0 + h - 1 span H - y0 - h .. H - y0.
      expect(raw[2 * k + 1]).toBeGreaterThanOrEqual(H - y0 - h);
      expect(raw[2 * k + 1]).toBeLessThanOrEqual(H - y0);
    }
    const points = imageToPoints(rgba, W, H, m, seed);
    let [mx, my, ss, largest] = [0, 0, 0, 0];
    for (let k = 0; k < m; k++) {
      mx += points[2 * k]! / m;
      my += points[2 * k + 1]! / m;
      ss += (points[2 * k]! ** 2 + points[2 * k + 1]! ** 2) / (2 * m);
      largest = Math.max(largest, Math.abs(points[2 * k]!), Math.abs(points[2 * k + 1]!));
    }
    // float32: each output is the centred value rounded, times the scale rounded: <= 2 EPS32
    // relative to the exact one (and the RMS of values so perturbed moves by <= EPS32 of it, the
    // centred values being what the scale was computed from); the float64 means here and in the
    // code differ by <= 2 m u max|raw|.
    const model = 'float32: two roundings per output, float64 means';
    const rawMax = raw.reduce((t, v) => Math.max(t, Math.abs(v)), 0);
    const rawMean = [0, 1].map((a) => raw.reduce((t, v, j) => (j % 2 === a ? t + v / m : t), 0));
    const rawRms = Math.sqrt(raw.reduce((t, v, j) => t + (v - rawMean[j % 2]!) ** 2, 0) / (2 * m));
    const scale = CUSTOM_RMS / rawRms;
    const meanSlack = 8 * m * U64 * rawMax * scale;
    within(Math.abs(mx) + Math.abs(my), 2 * (2 * EPS32 * largest + meanSlack), model);
    within(Math.abs(Math.sqrt(ss) - CUSTOM_RMS), CUSTOM_RMS * (EPS32 + 8 * m * U64), model);
    // The raw points centred and scaled by one factor for both axes; the scale here is computed
    // from the unrounded centred values, so it is within another EPS32 of the code's.
    for (let j = 0; j < 2 * m; j++) {
      const want = (raw[j]! - rawMean[j % 2]!) * scale;
      within(Math.abs(points[j]! - want), 3 * EPS32 * Math.abs(want) + meanSlack, model);
    }
    expect(equal(imageToPoints(rgba, W, H, m, seed), points)).toBe(true);
  });

  test('image to points: in proportion to darkness; light pixels give none', () => {
    // Grey bytes: left half darkness 1, right half darkness 0.5, a near-white strip of 0.05.
    const [W, H] = [20, 10];
    const grey = new Uint8Array(W * H).map((_, j) =>
      j % W < 8 ? 0 : j % W < 16 ? 128 : Math.round(0.95 * 255),
    );
    const m = 2000;
    const raw = darkPixelPoints(grey, W, H, m, seed);
    let left = 0;
    for (let k = 0; k < m; k++) {
      expect(raw[2 * k]).toBeLessThanOrEqual(16);
      if (raw[2 * k]! < 8) left++;
    }
    // Expected share 8 / (8 + 8 * 127 / 255): a binomial share, SE sqrt(p (1 - p) / m).
    const p = 8 / (8 + (8 * 127) / 255);
    const se = Math.sqrt((p * (1 - p)) / m);
    within(Math.abs(left / m - p), zFor(1) * se, 'binomial share: SE sqrt(p (1 - p) / m)');
  });

  test('an image with no dark pixels is refused', () => {
    const [W, H] = [8 + rng.int(8), 8 + rng.int(8)];
    const light = new Uint8Array(W * H).fill(240);
    expect(() => imageToPoints(light, W, H, 10, seed)).toThrow(
      'the image has no dark pixels to turn into points',
    );
    const clear = rectangle([W, H], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]);
    expect(() => imageToPoints(clear, W, H, 10, seed)).toThrow(/no dark pixels/);
    expect(() => imageToPoints(light, W + 1, H, 10, seed)).toThrow(/neither grey nor RGBA/);
  });
});
