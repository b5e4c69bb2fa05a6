/**
 * The generalisation experiment's readings (src/maths/generalisation.ts) on images built so the
 * answer is known: the centred similarity of an image with itself, its negative, a shifted and
 * scaled copy and an unrelated image; the 1/3 rule on copies, blends and a one-image set; the
 * switch interpolated in log N.
 */
import { describe, expect, test } from 'vitest';
import {
  imageSimilarity,
  pairSimilarity,
  samplesMemorised,
  switchN,
} from '../../src/maths/generalisation';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

const rng = new Rng(SEED, 311);
const D = 64;
const image = (): Float64Array => Float64Array.from({ length: D }, () => 2 * rng.uniform() - 1);

describe(`generalisation readings (SEED=${SEED})`, () => {
  test('similarity: 1 for a copy (shifted and scaled too), -1 for its negative, 0 for flat', () => {
    const a = image();
    expect(imageSimilarity(a, a)).toBeCloseTo(1, 12);
    expect(
      imageSimilarity(
        a,
        a.map((v) => 0.5 * v - 0.3),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      imageSimilarity(
        a,
        a.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
    expect(imageSimilarity(a, new Float64Array(D).fill(-1))).toBe(0);
    // Two independent images of D uniform pixels: correlation ~ N(0, 1/D), |r| < 5 / sqrt(D)
    // but for a 6e-7 chance.
    expect(Math.abs(imageSimilarity(a, image()))).toBeLessThan(5 / Math.sqrt(D));
    // Against a float64 sum written out: the correlation coefficient.
    const b = image();
    const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / D;
    const [ma, mb] = [mean(a), mean(b)];
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < D; i++) {
      ab += (a[i]! - ma) * (b[i]! - mb);
      aa += (a[i]! - ma) ** 2;
      bb += (b[i]! - mb) ** 2;
    }
    expect(imageSimilarity(a, b)).toBeCloseTo(ab / Math.sqrt(aa * bb), 12);
  });

  test('pair similarity is the mean over pairs i with i', () => {
    const a = [image(), image(), image()];
    const b = [a[0]!, image(), a[2]!.map((v) => -v)];
    const flat = (xs: Float64Array[]) => Float32Array.from(xs.flatMap((x) => Array.from(x)));
    const each = a.map((x, i) => imageSimilarity(Float32Array.from(x), Float32Array.from(b[i]!)));
    expect(pairSimilarity(flat(a), flat(b), 3, D)).toBeCloseTo(
      (each[0]! + each[1]! + each[2]!) / 3,
      6,
    );
  });

  test('the 1/3 rule: a copy of a training image is memorised, a blend of two is not', () => {
    const own = [image(), image(), image()];
    const data = Float64Array.from(own.flatMap((x) => Array.from(x)));
    const noisy = own[1]!.map((v) => v + 0.01 * rng.normal());
    const blend = own[0]!.map((v, i) => 0.5 * v + 0.5 * own[2]![i]!);
    const samples = Float64Array.from([...noisy, ...blend]);
    const r = samplesMemorised(samples, 2, data, 3, new Float64Array(0), D);
    expect(r.memorised).toBe(0.5);
    expect(r.nearest[0]).toBe(1);
  });

  test('one training image: the second distance is to the nearest image of the other set', () => {
    const mine = image();
    const theirs = image();
    const copy = mine.map((v) => v + 0.01 * rng.normal());
    // Halfway between the two: d1 = d2, not a copy.
    const between = mine.map((v, i) => 0.5 * v + 0.5 * theirs[i]!);
    const r = samplesMemorised(Float64Array.from([...copy, ...between]), 2, mine, 1, theirs, D);
    expect(r.memorised).toBe(0.5);
  });

  test('the switch: where the memorised fraction crosses 1/2, in log N; none if it never does', () => {
    const points = [
      { n: 1, memorised: 1 },
      { n: 10, memorised: 0.9 },
      { n: 100, memorised: 0.1 },
      { n: 1000, memorised: 0 },
    ];
    // 0.9 -> 0.1 over one decade: 1/2 at half of it, N = 10^1.5.
    expect(switchN(points)).toBeCloseTo(10 ** 1.5, 9);
    expect(switchN(points.slice(2))).toBeNull();
    expect(switchN(points.slice(0, 2))).toBeNull();
  });
});
