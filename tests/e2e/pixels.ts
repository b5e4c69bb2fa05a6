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

/** Where a canvas is on the page, in CSS pixels (the screenshot's pixels at scale 1). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Page pixel of a world point in a canvas whose view is unpanned and unzoomed: the square of
 * side VIEW_HEIGHT spans the canvas's shorter side (src/render/viewport.ts fitFrustum).
 */
export function worldToPixel(x: number, y: number, box: Box): [number, number] {
  const scale = Math.min(box.width, box.height) / VIEW_HEIGHT;
  return [box.x + box.width / 2 + x * scale, box.y + box.height / 2 - y * scale];
}

/** Particle-coloured pixels inside a canvas, in total and within `radius` px of world points. */
export function particlePixels(
  image: Image,
  near: readonly (readonly [number, number])[],
  radius: number,
  box: Box,
): { total: number; near: number } {
  const centres = near.map(([x, y]) => worldToPixel(x, y, box));
  let total = 0;
  let inside = 0;
  const top = Math.max(0, Math.floor(box.y));
  const left = Math.max(0, Math.floor(box.x));
  for (let py = top; py < Math.min(image.height, box.y + box.height); py++) {
    for (let px = left; px < Math.min(image.width, box.x + box.width); px++) {
      const o = 4 * (py * image.width + px);
      if (!isParticlePixel(image.data[o]!, image.data[o + 1]!, image.data[o + 2]!)) continue;
      total++;
      if (centres.some(([cx, cy]) => (px - cx) ** 2 + (py - cy) ** 2 < radius * radius)) inside++;
    }
  }
  return { total, near: inside };
}

/** Mean |difference| over RGB of two screenshots of the same size, 0 to 255. */
export function difference(a: Image, b: Image): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 4)
    for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i + c]! - b.data[i + c]!);
  return sum / ((a.data.length / 4) * 3);
}
