/**
 * 2D signed distance functions (negative inside, in pixels) and random shapes built from them, for
 * the procedural image datasets (src/maths/imageDatasets.ts). Formulas after Inigo Quilez, "2D
 * distance functions" (iquilezles.org/articles/distfunctions2d).
 */
import type { Rng } from './rng';

/** A shape as its signed distance at a point (pixels; negative inside). */
export type Sdf = (x: number, y: number) => number;

/** The classes of generateShapes, in label order. */
export const SHAPE_CLASSES = ['disc', 'ring', 'square', 'triangle', 'cross', 'bar'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** Length of (x, y); Math.hypot is several times slower in V8 and overflow cannot happen here. */
const len = (x: number, y: number): number => Math.sqrt(x * x + y * y);

export function sdCircle(x: number, y: number, r: number): number {
  return len(x, y) - r;
}

/** An axis-aligned box of half-extents (bx, by) centred at the origin. */
export function sdBox(x: number, y: number, bx: number, by: number): number {
  const qx = Math.abs(x) - bx;
  const qy = Math.abs(y) - by;
  return len(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
}

/** An equilateral triangle of half side r, centred at its centroid, one vertex on +y. */
export function sdTriangle(x: number, y: number, r: number): number {
  const k = Math.sqrt(3);
  let px = Math.abs(x) - r;
  let py = y + r / k;
  if (px + k * py > 0) [px, py] = [(px - k * py) / 2, (-k * px - py) / 2];
  px -= Math.min(Math.max(px, -2 * r), 0);
  return -len(px, py) * Math.sign(py);
}

/** The segment from (-l, 0) to (l, 0) thickened to half width w (a capsule). */
export function sdBar(x: number, y: number, l: number, w: number): number {
  return len(x - Math.min(Math.max(x, -l), l), y) - w;
}

/** Antialiased coverage of a pixel: a unit box filter across the edge, from its signed distance. */
export function coverage(d: number): number {
  return Math.min(Math.max(0.5 - d, 0), 1);
}

const uniform = (rng: Rng, a: number, b: number): number => a + (b - a) * rng.uniform();

/**
 * A random shape of the given class inside a size x size image: it fits in a circle of radius in
 * [rMin, rMax] at least a pixel from the border; rotated at random; strokes 1.5 to 3.5 px wide.
 */
export function randomShape(
  rng: Rng,
  cls: ShapeClass,
  size: number,
  rMin: number,
  rMax: number,
): Sdf {
  const r = uniform(rng, rMin, rMax);
  const cx = uniform(rng, r + 1, size - r - 1);
  const cy = uniform(rng, r + 1, size - r - 1);
  const angle = uniform(rng, 0, 2 * Math.PI);
  const stroke = uniform(rng, 1.5, 3.5);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const local = (f: (u: number, v: number) => number): Sdf => {
    return (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      return f(c * dx + s * dy, -s * dx + c * dy);
    };
  };
  switch (cls) {
    case 'disc':
      return local((u, v) => sdCircle(u, v, r));
    case 'ring':
      return local((u, v) => Math.abs(sdCircle(u, v, r - stroke / 2)) - stroke / 2);
    case 'square': {
      const half = r / Math.SQRT2;
      return local((u, v) => sdBox(u, v, half, half));
    }
    case 'triangle':
      return local((u, v) => sdTriangle(u, v, (r * Math.sqrt(3)) / 2));
    case 'cross': {
      const half = stroke / 2 + 0.5;
      const arm = Math.sqrt(r * r - half * half);
      return local((u, v) => Math.min(sdBox(u, v, arm, half), sdBox(u, v, half, arm)));
    }
    case 'bar': {
      const half = stroke / 2 + 0.25;
      return local((u, v) => sdBar(u, v, r - half, half));
    }
  }
}
