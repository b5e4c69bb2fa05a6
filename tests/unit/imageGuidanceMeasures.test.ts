/**
 * The image guidance measures (src/maths/imageGuidanceMeasures.ts) on hand-made cases: the
 * expected distinct count against its direct sum, the pixel range, no outward direction for a
 * class centred on the data, and a batch with a diverged sample (it is off the class, its pixels
 * saturated, and it leaves the distances alone). The GPU test (tests/gpu/imageGuidanceSweep.test.ts)
 * checks whole runs against float64.
 */
import { describe, expect, test } from 'vitest';
import {
  classImages,
  expectedDistinct,
  imageClassFit,
  imageOutward,
  pixelRange,
} from '../../src/maths/imageGuidanceMeasures';

describe('image guidance measures', () => {
  test('expected distinct: n draws from m, as the sum over images of P(hit)', () => {
    // Two draws from three: distinct with probability 2/3, so 1 + 2/3.
    expect(expectedDistinct(2, 3)).toBeCloseTo(5 / 3, 14);
    expect(expectedDistinct(1, 50)).toBeCloseTo(1, 14);
    expect(expectedDistinct(7, 1)).toBeCloseTo(1, 14);
    expect(expectedDistinct(10_000, 20)).toBeCloseTo(20, 10);
  });

  test('the range is the data span with half a grey level each side', () => {
    const [lo, hi] = pixelRange([-1, 0.5, 1, 0]);
    expect(lo).toBeCloseTo(-1 - 2 / 510, 15);
    expect(hi).toBeCloseTo(1 + 2 / 510, 15);
  });

  test('a class centred on the data has no outward direction', () => {
    const all = [1, 0, -1, 0, 0, 1, 0, -1];
    expect(imageOutward(all, [1, 0, -1, 0], 2)).toBeNull();
    const out = imageOutward(all, [1, 0, 1, 0], 2)!;
    expect(Array.from(out.u)).toEqual([1, 0]);
  });

  test('a diverged sample is off the class and saturated, and leaves the distances alone', () => {
    const images = [0, 0, 1, 1, 0, 1];
    const labels = [0, 1, 0];
    expect(Array.from(classImages(images, labels, 0, 2))).toEqual([0, 0, 0, 1]);
    const samples = [0, 0.5, NaN, 0];
    const fit = imageClassFit(samples, {
      dim: 2,
      nearestAll: { d1: [0.25, 3e38], index: [0, 0] },
      labels,
      label: 0,
      nearestClass: { d1: [0.25, 3e38], index: [0, 0] },
      range: [0, 1],
      direction: null,
    });
    expect(fit.onClass).toBe(0.5);
    expect(fit.nearest).toBeCloseTo(Math.sqrt(0.25 / 2), 15);
    expect(fit.distinct).toBe(1);
    expect(fit.saturated).toBe(1 / 4);
    expect(fit.overshoot).toBeNaN();
  });
});
