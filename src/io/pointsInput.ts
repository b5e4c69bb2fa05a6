/** Points handed over by a script: checked as strictly as a file, then made float32. */
import { MAX_POINTS } from './parsePoints';
import { arrayOf, number, refine, show, type Schema } from '../settings/schema';

/** Labels a script gives with its points: a number or a string each (pointLabels.ts). */
export const LABELS: Schema = arrayOf((v, name) =>
  typeof v === 'number' || typeof v === 'string'
    ? null
    : `${name} must be a number or a string, not ${show(v)}`,
);

/** A coordinate: a finite number that stays finite in float32, as the GPU stores it. */
export const COORDINATE: Schema = refine(
  number(),
  (v: number) => Number.isFinite(Math.fround(v)),
  'within single precision (at most 3.4e38 in size)',
);

const COORDINATES = arrayOf(COORDINATE);

const PAIR: Schema = (value, name) =>
  Array.isArray(value) && value.length === 2
    ? COORDINATES(value, name)
    : `${name} must be an [x, y] pair of numbers, not ${show(value)}`;

const PAIRS = arrayOf(PAIR);

const SHAPES = 'an array of [x, y] pairs, a flat array x0, y0, x1, ... or a Float32Array';

/** Points as loadPoints takes them: [[x, y], ...], or x, y interleaved in an array or typed array. */
export const POINTS: Schema = (value, name) => {
  const typed = value instanceof Float32Array || value instanceof Float64Array;
  if (!typed && !Array.isArray(value)) return `${name} must be ${SHAPES}, not ${show(value)}`;
  const list = value as ArrayLike<unknown>;
  if (list.length === 0) return `${name} has no points`;
  const pairs = !typed && typeof list[0] !== 'number';
  if (!pairs && list.length % 2 !== 0)
    return `${name} has an odd number of coordinates (${list.length}): points are x, y pairs`;
  const count = pairs ? list.length : list.length / 2;
  if (count > MAX_POINTS)
    return `${name} has ${count.toLocaleString('en')} points, over the limit of ${MAX_POINTS.toLocaleString('en')}`;
  if (pairs) return PAIRS(value, name);
  if (!typed) return COORDINATES(value, name);
  for (let i = 0; i < list.length; i++)
    if (COORDINATE(list[i], name) !== null) return COORDINATE(list[i], `${name}[${i}]`);
  return null;
};

/** Points that POINTS accepts, x and y interleaved in float32. */
export function toPointArray(
  points: Float32Array | Float64Array | readonly number[] | readonly (readonly number[])[],
): Float32Array {
  if (points instanceof Float32Array || points instanceof Float64Array)
    return Float32Array.from(points);
  if (typeof points[0] === 'number') return Float32Array.from(points as readonly number[]);
  const pairs = points as readonly (readonly number[])[];
  const out = new Float32Array(2 * pairs.length);
  pairs.forEach(([x, y], i) => {
    out[2 * i] = x!;
    out[2 * i + 1] = y!;
  });
  return out;
}
