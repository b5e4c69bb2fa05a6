/** Reading screenshots: decode a PNG and find the particles' colour in it. */
import { PNG } from 'pngjs';
import { VIEW_HEIGHT } from '../../src/render/viewport';

export interface Image {
  width: number;
  height: number;
  data: Buffer;
}

export function decodePng(buffer: Buffer): Image {
  const png = PNG.sync.read(buffer);
  return { width: png.width, height: png.height, data: png.data };
}

/** The particles' warm orange, as opposed to the dark background and the bluish data. */
export function isParticlePixel(r: number, g: number, b: number): boolean {
  return r > 90 && r > b + 40 && r >= g;
}

/** Client pixel of a world point when the view is unpanned and unzoomed (canvas = viewport). */
export function worldToPixel(
  x: number,
  y: number,
  width: number,
  height: number,
): [number, number] {
  const scale = height / VIEW_HEIGHT;
  return [width / 2 + x * scale, height / 2 - y * scale];
}

/** Particle-coloured pixels, in total and within `radius` px of any of the given world points. */
export function particlePixels(
  image: Image,
  near: readonly (readonly [number, number])[],
  radius: number,
  region: { maxX: number } = { maxX: image.width },
): { total: number; near: number } {
  const centres = near.map(([x, y]) => worldToPixel(x, y, image.width, image.height));
  let total = 0;
  let inside = 0;
  for (let py = 0; py < image.height; py++) {
    for (let px = 0; px < region.maxX; px++) {
      const o = 4 * (py * image.width + px);
      if (!isParticlePixel(image.data[o]!, image.data[o + 1]!, image.data[o + 2]!)) continue;
      total++;
      if (centres.some(([cx, cy]) => (px - cx) ** 2 + (py - cy) ** 2 < radius * radius)) inside++;
    }
  }
  return { total, near: inside };
}
