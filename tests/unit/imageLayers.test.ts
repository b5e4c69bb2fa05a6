/**
 * The float64 references of the U-Net's non-convolution layers (src/maths/learn/imageLayers.ts):
 * every backward against central finite differences of a float64 scalar loss <c, layer(...)>,
 * c random, within the error model of ./finiteDifferences.ts, on fresh random inputs (seed in the
 * names; SEED=... replays). GroupNorm's gradient runs through the mean and the variance, and to
 * gamma and beta; channel counts per group odd and even, one group of one channel, 2x2 images.
 */
import { describe, expect, test } from 'vitest';
import {
  addPerChannel,
  addPerChannelBackward,
  avgPoolDown,
  avgPoolDownBackward,
  concatChannels,
  GROUP_NORM_EPS,
  groupNormBackward,
  groupNormForward,
  groupNormParameters,
  groupNormStats,
  splitChannels,
  upsampleNearest,
  upsampleNearestBackward,
  type GroupNormShape,
  type ImageShape,
} from '../../src/maths/learn/imageLayers';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';
import { centralDifference, gradientRounding } from './finiteDifferences';

const rng = new Rng(SEED, 141);
const normals = (n: number, scale = 1, shift = 0): Float64Array =>
  Float64Array.from({ length: n }, () => shift + scale * rng.normal());

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Coordinates of `grad` against the central difference of f along them: all of them, or
 * `sample` drawn at random for the large images (each difference costs 6 evaluations of f).
 */
function expectGradient(
  what: string,
  f: () => number,
  x: Float64Array,
  grad: ArrayLike<number>,
  chain: number,
  sample = Infinity,
): void {
  expect(grad.length).toBe(x.length);
  const all = x.length <= sample;
  for (let k = 0; k < Math.min(x.length, sample); k++) {
    const i = all ? k : rng.int(x.length);
    const d = centralDifference(f, x, i, chain);
    within(
      Math.abs(grad[i]! - d.value),
      d.bound + gradientRounding(grad[i]!, chain),
      `${what}[${i}]: central difference, h^2 M3 / 6 + delta / h`,
    );
  }
}

describe(`U-Net layers, float64 backward against finite differences (SEED=${SEED})`, () => {
  for (const [batch, channels, groups, height, width, sample] of [
    [2, 6, 3, 7, 7, Infinity],
    [3, 4, 1, 2, 2, Infinity],
    [2, 5, 5, 2, 2, Infinity],
    [2, 4, 2, 28, 28, 120],
  ] as const) {
    test(`GroupNorm: dx, dgamma, dbeta; ${batch} x ${channels} channels in ${groups} groups, ${height} x ${width}`, () => {
      const s: GroupNormShape = {
        batch,
        channels,
        groups,
        height,
        width,
        offset: 3,
        eps: GROUP_NORM_EPS,
      };
      const params = normals(s.offset + groupNormParameters(channels) + 2);
      const n = batch * channels * height * width;
      const x = normals(n, 2, 0.5);
      const c = normals(n);
      const f = (): number => dot(c, groupNormForward(s, x, params));
      const grads = new Float64Array(params.length);
      const dx = groupNormBackward(s, x, c, params, grads);
      // The longest chain of f: the two passes over a group (2 m), the normalisation, <c, y> (n).
      const m = (channels / groups) * height * width;
      expectGradient('dx', f, x, dx, 2 * m + n + 8, sample);
      // Outside the layer's part, grads stays 0 (and f ignores those parameters).
      expectGradient('[dgamma | dbeta]', f, params, grads, 2 * m + n + 8);
    });
  }

  test('GroupNorm statistics: mean and biased variance of each (sample, group)', () => {
    // Two samples of 2 channels in 1 group of 2 pixels: groups {0, 1, 2, 3} and {4, 5, 6, 10}.
    const s: GroupNormShape = {
      batch: 2,
      channels: 2,
      groups: 1,
      height: 1,
      width: 2,
      offset: 0,
      eps: 0.25,
    };
    const { mean, rstd } = groupNormStats(s, [0, 1, 2, 3, 4, 5, 6, 10]);
    expect(Array.from(mean)).toEqual([1.5, 6.25]);
    // Biased variances 1.25 and 5.1875, plus eps.
    expect(Array.from(rstd)).toEqual([1 / Math.sqrt(1.5), 1 / Math.sqrt(5.4375)]);
    expect(() => groupNormStats({ ...s, groups: 3, channels: 4 }, [])).toThrow(/do not divide/);
  });

  for (const [height, width] of [
    [2, 2],
    [6, 10],
    [28, 28],
  ] as const) {
    test(`2x average-pool down-sampling and nearest up-sampling, ${height} x ${width}`, () => {
      const s: ImageShape = { batch: 2, channels: 3, height, width };
      const n = 2 * 3 * height * width;
      const x = normals(n);
      const c = normals(n / 4);
      const dx = avgPoolDownBackward(s, c);
      expectGradient('pool dx', () => dot(c, avgPoolDown(s, x)), x, dx, 16, 200);
      const coarse: ImageShape = { ...s, height: height / 2, width: width / 2 };
      const xc = normals(n / 4);
      const cf = normals(n);
      const dxc = upsampleNearestBackward(coarse, cf);
      expectGradient('upsample dx', () => dot(cf, upsampleNearest(coarse, xc)), xc, dxc, n, 200);
    });
  }

  test('2x down-sampling refuses an odd height or width, saying why', () => {
    for (const [height, width] of [
      [7, 7],
      [7, 8],
      [8, 7],
    ] as const) {
      const s = { batch: 1, channels: 2, height, width };
      const x = new Float64Array(2 * height * width);
      expect(() => avgPoolDown(s, x)).toThrow(/is not even; 2x down-sampling needs an even/);
      expect(() => avgPoolDownBackward(s, x)).toThrow(/is not even/);
    }
  });

  test('up-sampling copies each value to its 2 x 2 children', () => {
    const y = upsampleNearest({ batch: 1, channels: 1, height: 1, width: 2 }, [1, 2]);
    expect(Array.from(y)).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
  });

  test('skip concatenation along channels: backward = split', () => {
    const s = { batch: 3, pixels: 7 * 7, channelsA: 3, channelsB: 5 };
    const a = normals(3 * 3 * 49);
    const b = normals(3 * 5 * 49);
    const c = normals(3 * 8 * 49);
    const { da, db } = splitChannels(s, c);
    const f = (): number => dot(c, concatChannels(s, a, b));
    expectGradient('da', f, a, da, c.length, 150);
    expectGradient('db', f, b, db, c.length, 150);
    const y = concatChannels(
      { batch: 2, pixels: 1, channelsA: 1, channelsB: 2 },
      [1, 2],
      [3, 4, 5, 6],
    );
    expect(Array.from(y)).toEqual([1, 3, 4, 2, 5, 6]);
  });

  test('time embedding added per channel: dx = dy, dt = the sum over pixels', () => {
    const s: ImageShape = { batch: 2, channels: 5, height: 7, width: 7 };
    const x = normals(2 * 5 * 49);
    const t = normals(2 * 5);
    const c = normals(x.length);
    const { dx, dt } = addPerChannelBackward(s, c);
    const f = (): number => dot(c, addPerChannel(s, x, t));
    expectGradient('dx', f, x, dx, c.length, 150);
    expectGradient('dt', f, t, dt, c.length);
  });
});
