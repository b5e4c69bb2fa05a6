/**
 * The counter-based generator (src/maths/rng.ts): Threefry-2x32-20 against the known-answer
 * vectors of Random123 (kat_vectors, "threefry2x32_20"), and the statistics of the draws built on
 * it: each test's checks are z standard errors wide, z = zFor(checks), so that a test fails on a
 * correct generator with probability at most 1e-4 per run (the statistics are means of 1e5 draws,
 * normal to well within that rate; two-sided, so their skewness cancels to first order).
 */
import { describe, expect, test } from 'vitest';
import {
  Rng,
  Stream,
  normal2,
  pickIndex,
  threefry2x32,
  toUniform,
  uniform2,
} from '../../src/maths/rng';
import { SEED, within, zFor } from '../random';

/** Fresh seeds per run; the seed is in the test names to replay a failure. */
const seed = SEED;

const hex = (words: Uint32Array): string[] =>
  [...words].map((w) => w.toString(16).padStart(8, '0'));

describe('threefry2x32 (Random123 known answers)', () => {
  // Random123 lists (ctr, key) -> out; our argument order is (k0, k1, c0, c1).
  test.each([
    { ctr: [0, 0], key: [0, 0], out: ['6b200159', '99ba4efe'] },
    {
      ctr: [0xffffffff, 0xffffffff],
      key: [0xffffffff, 0xffffffff],
      out: ['1cb996fc', 'bb002be7'],
    },
    {
      ctr: [0x243f6a88, 0x85a308d3],
      key: [0x13198a2e, 0x03707344],
      out: ['c4923a9c', '483df7a0'],
    },
  ])('ctr $ctr key $key', ({ ctr, key, out }) => {
    expect(hex(threefry2x32(key[0]!, key[1]!, ctr[0]!, ctr[1]!))).toEqual(out);
  });

  test('writes into the array it is given', () => {
    const out = new Uint32Array(2);
    expect(threefry2x32(0, 0, 0, 0, out)).toBe(out);
    expect(hex(out)).toEqual(['6b200159', '99ba4efe']);
  });

  test('negative and non-integer-looking inputs are taken as u32', () => {
    // -1 >>> 0 is 0xffffffff: a caller passing an i32 must get the u32 answer.
    expect(hex(threefry2x32(-1, -1, -1, -1))).toEqual(['1cb996fc', 'bb002be7']);
  });
});

/**
 * shaders/lib/rng.wgsl in float32, each operation rounded as WGSL's correctly rounded + and *:
 * to_uniform(u) = (f32(u >> 8) + 0.5) * (1 / 2^24); pick_index = floor(to_uniform(u) * f32(m)).
 */
const f32 = Math.fround;
const wgslToUniform = (u: number): number => f32(f32((u >>> 9) + 0.5) * f32(1 / 8388608));
const wgslPickIndex = (seed: number, stream: number, particle: number, m: number): number =>
  threefry2x32(seed, stream, particle, 0)[0]! % m;

describe('toUniform', () => {
  test('maps every u32 strictly inside (0, 1)', () => {
    for (const u of [0, 1, 255, 256, 0x7fffffff, 0x80000000, 0xfffffeff, 0xffffffff]) {
      expect(toUniform(u)).toBeGreaterThan(0);
      expect(toUniform(u)).toBeLessThan(1);
    }
  });

  test('is the midpoint of one of 2^23 equal bins, chosen by the top 23 bits', () => {
    expect(toUniform(0)).toBe(0.5 / 2 ** 23);
    expect(toUniform(0xffffffff)).toBe(1 - 0.5 / 2 ** 23);
    expect(toUniform(0x80000000)).toBe(0.5 + 0.5 / 2 ** 23);
    // The low 9 bits do not matter.
    expect(toUniform(0x12345400)).toBe(toUniform(0x123455ff));
    expect(toUniform(0x12345600)).not.toBe(toUniform(0x12345400));
  });

  test('it is exact in float32 and equals the WGSL to_uniform', () => {
    for (const u of [0, 1, 0x100, 0x12345678, 0x7ffffeff, 0x7fffffff]) {
      expect(f32(toUniform(u))).toBe(toUniform(u));
      expect(wgslToUniform(u)).toBe(toUniform(u));
    }
  });

  // With 24 bits, k + 0.5 needed 25 significant bits for u >= 2^31 and WGSL rounded it.
  test('for u >= 2^31 too, it equals the WGSL to_uniform', () => {
    for (const u of [0x80000000, 0x80000100, 0xc0000000, 0xffffffff]) {
      expect(wgslToUniform(u)).toBe(toUniform(u));
    }
  });
});

/** Mean, variance and the mean of z^4 of a sample. */
function moments(xs: Float64Array): { mean: number; variance: number; fourth: number } {
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / xs.length;
  let s2 = 0;
  let s4 = 0;
  for (const x of xs) {
    s2 += (x - mean) ** 2;
    s4 += x ** 4;
  }
  return { mean, variance: s2 / (xs.length - 1), fourth: s4 / xs.length };
}

/** Smallest and largest of a sample (no spread: too many arguments for a call). */
function extent(xs: Float64Array): [number, number] {
  return [xs.reduce((a, b) => Math.min(a, b)), xs.reduce((a, b) => Math.max(a, b))];
}

function correlation(a: Float64Array, b: Float64Array): number {
  const ma = moments(a).mean;
  const mb = moments(b).mean;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe(`normal2 (SEED=${seed})`, () => {
  // 100k counters, two normals each: 200k draws.
  const N = 100_000;
  const first = new Float64Array(N);
  const second = new Float64Array(N);
  const pair = new Float64Array(2);
  for (let i = 0; i < N; i++) {
    normal2(seed, Stream.noise, i, 7, pair);
    first[i] = pair[0]!;
    second[i] = pair[1]!;
  }
  const all = Float64Array.from([...first, ...second]);

  test('mean 0, variance 1, fourth moment 3 (normal)', () => {
    const n = all.length;
    const m = moments(all);
    const z = zFor(3);
    within(Math.abs(m.mean), z / Math.sqrt(n), 'mean of n normals: SE 1 / sqrt(n)');
    within(Math.abs(m.variance - 1), z * Math.sqrt(2 / n), 'sample variance: SE sqrt(2 / n)');
    within(Math.abs(m.fourth - 3), z * Math.sqrt(96 / n), 'mean of z^4: SE sqrt((105 - 9) / n)');
  });

  test('each output on its own is standard normal', () => {
    const z = zFor(4);
    for (const xs of [first, second]) {
      const m = moments(xs);
      within(Math.abs(m.mean), z / Math.sqrt(N), 'mean of N normals: SE 1 / sqrt(N)');
      within(Math.abs(m.variance - 1), z * Math.sqrt(2 / N), 'sample variance: SE sqrt(2 / N)');
    }
  });

  test('P(|z| < 1) and P(|z| < 2) match the normal distribution', () => {
    const z = zFor(2);
    for (const [k, p] of [
      [1, 0.6826894921370859],
      [2, 0.9544997361036416],
    ] as const) {
      const hits = all.filter((v) => Math.abs(v) < k).length / all.length;
      const se = Math.sqrt((p * (1 - p)) / all.length);
      within(Math.abs(hits - p), z * se, `binomial share P(|z| < ${k}): SE sqrt(p (1 - p) / n)`);
    }
  });

  // The sample correlation of n independent pairs has SE 1 / sqrt(n - 1), whatever their law
  // (E r^2 = 1 / (n - 1) under independence); n >= N - 1 pairs below.
  const rSe = 1 / Math.sqrt(N - 2);

  test('the two outputs of one draw are uncorrelated', () => {
    const z = zFor(2);
    within(Math.abs(correlation(first, second)), z * rSe, 'correlation: SE 1 / sqrt(N)');
    // Box-Muller pairs are independent, so their squares are uncorrelated too.
    const sq = (xs: Float64Array): Float64Array => xs.map((x) => x * x);
    within(Math.abs(correlation(sq(first), sq(second))), z * rSe, 'correlation: SE 1 / sqrt(N)');
  });

  test('consecutive particle counters are uncorrelated', () => {
    const z = zFor(2);
    const a = first.subarray(0, N - 1);
    const b = first.subarray(1);
    within(Math.abs(correlation(a, b)), z * rSe, 'correlation: SE 1 / sqrt(N)');
    const c = correlation(second.subarray(0, N - 1), first.subarray(1));
    within(Math.abs(c), z * rSe, 'correlation: SE 1 / sqrt(N)');
  });

  test('consecutive step counters of one particle are uncorrelated', () => {
    const a = new Float64Array(N);
    const b = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      a[i] = normal2(seed, Stream.step, 3, i, pair)[0]!;
      b[i] = normal2(seed, Stream.step, 3, i + 1, pair)[0]!;
    }
    within(Math.abs(correlation(a, b)), zFor(1) * rSe, 'correlation: SE 1 / sqrt(N)');
  });

  test('streams of one seed are uncorrelated', () => {
    const other = Float64Array.from({ length: N }, (_, i) => normal2(seed, Stream.step, i, 7)[0]!);
    within(Math.abs(correlation(first, other)), zFor(1) * rSe, 'correlation: SE 1 / sqrt(N)');
  });

  test('is a pure function of (seed, stream, particle, step)', () => {
    const a = normal2(seed, Stream.noise, 12345, 7);
    expect([...a]).toEqual([first[12345], second[12345]]);
    expect([...normal2(seed ^ 1, Stream.noise, 12345, 7)]).not.toEqual([...a]);
    expect([...normal2(seed, Stream.pick, 12345, 7)]).not.toEqual([...a]);
    expect([...normal2(seed, Stream.noise, 12345, 8)]).not.toEqual([...a]);
  });
});

describe(`uniform2 (SEED=${seed})`, () => {
  test('in (0, 1), mean 1/2 and variance 1/12, outputs uncorrelated', () => {
    const N = 100_000;
    const a = new Float64Array(N);
    const b = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const u = uniform2(seed, Stream.step, i, 0);
      a[i] = u[0]!;
      b[i] = u[1]!;
    }
    const z = zFor(5);
    for (const xs of [a, b]) {
      const [lo, hi] = extent(xs);
      expect(lo).toBeGreaterThan(0);
      expect(hi).toBeLessThan(1);
      const m = moments(xs);
      // Var(U) = 1/12; Var((U - 1/2)^2) = 1/80 - 1/144 = 1/180.
      within(
        Math.abs(m.mean - 0.5),
        z * Math.sqrt(1 / 12 / N),
        'mean of uniforms: SE 1/sqrt(12 N)',
      );
      const varSe = Math.sqrt(1 / 180 / N);
      within(Math.abs(m.variance - 1 / 12), z * varSe, 'sample variance: SE sqrt(1 / (180 N))');
    }
    const rSe = 1 / Math.sqrt(N - 2);
    within(Math.abs(correlation(a, b)), z * rSe, 'correlation: SE 1 / sqrt(N)');
  });

  test('uses the same Threefry draw as normal2, through toUniform', () => {
    const bits = threefry2x32(seed, Stream.step, 42, 9);
    expect([...uniform2(seed, Stream.step, 42, 9)]).toEqual([
      toUniform(bits[0]!),
      toUniform(bits[1]!),
    ]);
  });
});

describe(`pickIndex (SEED=${seed})`, () => {
  test('is an integer in [0, m) for any m, including 1 and 2^24 + 1', () => {
    for (const m of [1, 2, 3, 1000, 2 ** 24 + 1, 4_000_000_000]) {
      const picks = Array.from({ length: 2000 }, (_, i) => pickIndex(seed, Stream.pick, i, m));
      expect(picks.filter((j) => !(Number.isInteger(j) && j >= 0 && j < m))).toEqual([]);
    }
  });

  test('hits each of m values about equally often', () => {
    const m = 7;
    const N = 70_000;
    const counts = new Array<number>(m).fill(0);
    for (let i = 0; i < N; i++) counts[pickIndex(seed, Stream.pick, i, m)]!++;
    const p = 1 / m;
    const z = zFor(m);
    const se = Math.sqrt(N * p * (1 - p));
    for (const c of counts)
      within(Math.abs(c - N * p), z * se, 'binomial count: SE sqrt(N p (1 - p))');
  });
  // Float roundings once made picks near a bin edge differ (m * 2^-25 of draws).
  test('equals the WGSL pick_index draw for draw at m = 100000', () => {
    const m = 100_000;
    let differ = 0;
    for (let i = 0; i < 20_000; i++) {
      if (pickIndex(seed, Stream.pick, i, m) !== wgslPickIndex(seed, Stream.pick, i, m)) differ++;
    }
    expect(differ).toBe(0);
  });
});

describe(`Rng (SEED=${seed})`, () => {
  const draw = (rng: Rng, k: number): number[] =>
    Array.from({ length: k }, (_, i) => (i % 3 === 0 ? rng.normal() : rng.uniform()));

  test('the same seed and stream give the same sequence; another seed or stream does not', () => {
    const a = draw(new Rng(seed, Stream.dataset), 50);
    expect(draw(new Rng(seed, Stream.dataset), 50)).toEqual(a);
    expect(draw(new Rng(seed + 1, Stream.dataset), 50)).not.toEqual(a);
    expect(draw(new Rng(seed, Stream.subsample), 50)).not.toEqual(a);
    // The default stream is the dataset stream.
    expect(draw(new Rng(seed), 50)).toEqual(a);
  });

  test('the i-th uniform refines the i-th Threefry draw (seed, stream; i, 0)', () => {
    const rng = new Rng(seed, Stream.subsample);
    for (let i = 0; i < 100; i++) {
      const coarse = toUniform(threefry2x32(seed, Stream.subsample, i, 0)[0]!);
      expect(Math.abs(rng.uniform() - coarse)).toBeLessThanOrEqual(0.5 / 2 ** 23);
    }
  });

  test('uniform is in (0, 1) with more than float32 resolution, mean 1/2', () => {
    const rng = new Rng(seed, 99);
    const N = 100_000;
    const xs = Float64Array.from({ length: N }, () => rng.uniform());
    const [lo, hi] = extent(xs);
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1);
    expect(xs.some((x) => Math.fround(x) !== x)).toBe(true);
    const se = Math.sqrt(1 / 12 / N);
    within(Math.abs(moments(xs).mean - 0.5), zFor(1) * se, 'mean of uniforms: SE 1/sqrt(12 N)');
  });

  test('normal is standard normal; consecutive normals are uncorrelated', () => {
    const rng = new Rng(seed, 98);
    const N = 100_000;
    const xs = Float64Array.from({ length: N }, () => rng.normal());
    const m = moments(xs);
    const z = zFor(3);
    within(Math.abs(m.mean), z / Math.sqrt(N), 'mean of N normals: SE 1 / sqrt(N)');
    within(Math.abs(m.variance - 1), z * Math.sqrt(2 / N), 'sample variance: SE sqrt(2 / N)');
    const r = correlation(xs.subarray(0, N - 1), xs.subarray(1));
    within(Math.abs(r), z / Math.sqrt(N - 2), 'correlation of N - 1 pairs: SE 1 / sqrt(N - 2)');
  });

  test('int(n) is an integer in [0, n), every value reached', () => {
    const rng = new Rng(seed, 97);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const k = rng.int(10);
      expect(Number.isInteger(k) && k >= 0 && k < 10).toBe(true);
      seen.add(k);
    }
    expect(seen.size).toBe(10);
    expect(rng.int(1)).toBe(0);
  });
});
