/**
 * The maps from the landscape's fields to what the physics view draws (src/render/landscape.ts
 * writes the same formulas in TSL): the 3D surface's height of an energy, a quiver arrow's length
 * and colour coordinate from the score's magnitude, and where a trail breaks. Float64 references,
 * for the tests.
 */

/**
 * Energy (in units of T) above the grid's least over which the surface's height grows about
 * linearly; past it, logarithmically. Wells of a few units stay deep, and a plateau hundreds of
 * units above them stays in view, with no energy cut flat.
 */
export const HEIGHT_SOFTNESS = 1;

/**
 * The 3D surface's height, 0 at the grid's least energy eMin and 1 at its greatest eMax:
 * log(1 + x / s) / log(1 + (eMax - eMin) / s), x = e - eMin, s = HEIGHT_SOFTNESS. Strictly
 * increasing in e and never clamped: below eMin (a particle between grid points, deeper than the
 * grid sees) it goes on as the odd reflection, -log(1 - x / s) / ..., with the same slope at eMin.
 */
export function surfaceLevel(e: number, eMin: number, eMax: number): number {
  const x = (e - eMin) / HEIGHT_SOFTNESS;
  const range = Math.log1p(Math.max(eMax - eMin, 1e-6) / HEIGHT_SOFTNESS);
  return (Math.sign(x) * Math.log1p(Math.abs(x))) / range;
}

/** A quiver arrow's longest, as a fraction of the spacing between arrows: neighbours never touch. */
export const ARROW_CAP = 0.9;
/** A quiver arrow's shortest, as a fraction of ARROW_CAP: the weakest score still has a direction. */
export const ARROW_FLOOR = 0.3;
/** Decades of score magnitude, below the grid's greatest, the arrows' lengths and colours span. */
export const ARROW_DECADES = 3;

/**
 * Where a score of this magnitude sits on the quiver's log scale: 1 at the grid's greatest
 * magnitude, 0 at ARROW_DECADES decades below it (and under), clamped to [0, 1].
 */
export function arrowLevel(magnitude: number, maxMagnitude: number): number {
  const ratio = Math.log10(Math.max(magnitude, 1e-30) / Math.max(maxMagnitude, 1e-30));
  return Math.min(Math.max(1 + ratio / ARROW_DECADES, 0), 1);
}

/**
 * A quiver arrow's length, in the units of `spacing`: from ARROW_FLOOR to 1 of ARROW_CAP *
 * spacing, by arrowLevel. Arrows are drawn centred on their grid point, so each stays inside the
 * disc of radius ARROW_CAP * spacing / 2 around it.
 */
export function arrowLength(magnitude: number, maxMagnitude: number, spacing: number): number {
  const t = arrowLevel(magnitude, maxMagnitude);
  return ARROW_CAP * spacing * (ARROW_FLOOR + (1 - ARROW_FLOOR) * t);
}

/** The quiver ramp's ends: CIE lightness L* and a linear-light tint (scaled to unit luminance). */
export const QUIVER_RAMP = {
  lightness: [50, 100],
  cool: [0.3, 0.55, 1.0],
  warm: [1.0, 0.93, 0.78],
} as const;

/** Rec. 709 luminance of a linear-light colour. */
export function luminance(c: readonly [number, number, number]): number {
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/**
 * The quiver's colour at t in [0, 1], in linear light: lightness L* rising evenly along the ramp
 * (so equal steps of t look equally far apart), luminance Y = ((L* + 16) / 116)^3 (CIE 1976, for
 * L* > 8), the tint going from the cool end's to the warm end's.
 */
export function quiverColour(t: number): [number, number, number] {
  const [l0, l1] = QUIVER_RAMP.lightness;
  const y = ((l0 + (l1 - l0) * t + 16) / 116) ** 3;
  const cool = QUIVER_RAMP.cool.map((v) => v / luminance(QUIVER_RAMP.cool));
  const warm = QUIVER_RAMP.warm.map((v) => v / luminance(QUIVER_RAMP.warm));
  return [0, 1, 2].map((c) => y * (cool[c]! + (warm[c]! - cool[c]!) * t)) as [
    number,
    number,
    number,
  ];
}

/**
 * A trail's segment is drawn only when its two positions are at most this fraction of the grid's
 * side apart (0.42 at the default +-4.2: a tenth of the 2D view's height, 6 grid spacings): a
 * longer one is a jump between two records (a particle thrown across the view, a big early step),
 * which a straight line would draw as a streak, not a path.
 */
export const TRAIL_BREAK = 0.05;

/** Whether the trail segment from a to b is drawn, on a grid of this side. */
export function trailSegmentDrawn(
  a: readonly [number, number],
  b: readonly [number, number],
  side: number,
): boolean {
  return Math.hypot(b[0] - a[0], b[1] - a[1]) <= TRAIL_BREAK * side;
}
