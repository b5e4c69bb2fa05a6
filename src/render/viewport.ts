/** World units of the square the view fits at zoom 1: the datasets live within about +-1.5. */
export const VIEW_HEIGHT = 4.2;

/**
 * The page's breakpoints in CSS pixels (src/ui/layout.ts, src/ui/layout.css): from WIDE_WIDTH
 * the dock and the controls stand side by side; below PHONE_WIDTH the views fill the screen.
 */
export const WIDE_WIDTH = 1220;
export const PHONE_WIDTH = 640;

/** The canvas's background colour (the surface's rim fades into it). */
export const BACKGROUND = '#0b0d12';

/** An orthographic camera's box in world units, around its centre. */
export interface Frustum {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * The 2D camera's box at zoom 1 for a canvas of this aspect (width / height): the square of side
 * `size` fitted whole, its short side spanning the canvas's short side. A wide canvas shows more
 * world left and right, a tall one (a phone, a compare lane) more above and below.
 */
export function fitFrustum(aspect: number, size = VIEW_HEIGHT): Frustum {
  const halfWidth = (size / 2) * Math.max(aspect, 1);
  const halfHeight = size / 2 / Math.min(aspect, 1);
  return { left: -halfWidth, right: halfWidth, top: halfHeight, bottom: -halfHeight };
}

/**
 * The 3D camera's vertical field of view (degrees) for this aspect: `fov` itself in a canvas at
 * least as wide as tall; in a narrower one, widened so that the horizontal field stays what it
 * is in a square, and the landscape is not cropped left and right.
 */
export function fitFov(fov: number, aspect: number): number {
  if (aspect >= 1) return fov;
  const half = (fov * Math.PI) / 360;
  return (360 / Math.PI) * Math.atan(Math.tan(half) / aspect);
}
