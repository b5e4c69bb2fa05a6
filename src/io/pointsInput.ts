/** Points handed over by a script: checked as strictly as a file. */
import { MAX_POINTS } from './parsePoints';

export function toPointArray(
  input: Float32Array | readonly number[] | readonly (readonly number[])[],
): Float32Array {
  const flat: ArrayLike<number> =
    input instanceof Float32Array
      ? input
      : input.length > 0 && Array.isArray(input[0])
        ? (input as readonly (readonly number[])[]).flatMap((p, i) => {
            if (p.length !== 2) throw new Error(`point ${i} has ${p.length} coordinates, not 2`);
            return p;
          })
        : (input as readonly number[]);
  if (flat.length === 0) throw new Error('no points found');
  if (flat.length % 2 !== 0) throw new Error('an odd number of coordinates: points are x, y pairs');
  const count = flat.length / 2;
  if (count > MAX_POINTS) {
    throw new Error(
      `${count.toLocaleString('en')} points is over the limit of ${MAX_POINTS.toLocaleString('en')}`,
    );
  }
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(
        `point ${Math.floor(i / 2)} has a value that is not a finite number (${String(v)})`,
      );
    }
  }
  return Float32Array.from(flat);
}
