/**
 * Generated datasets and user-point helpers (src/maths/datasets.ts): determinism, scale and
 * centring of every dataset; per-component moments of the mixtures against their parameters,
 * each test at a false-failure rate of at most 1e-4 per run (zFor); subsampling and normalisation
 * properties, up to the float32 rounding bounded beside each check.
 */
import { describe, expect, test } from 'vitest';
import {
  CUSTOM_RMS,
  DATASETS,
  datasetMixture,
  generateDataset,
  normalisePoints,
  sampleMixture,
  subsamplePoints,
  type Mixture,
} from '../../src/maths/datasets';
import { Rng } from '../../src/maths/rng';
import { assignToModes, mixtureMoments } from '../../src/maths/stats';
import { EPS32, SEED, seeded, within, zFor } from '../random';

const seed = SEED;
/** Unit roundoff of float64. */
const U64 = 2 ** -53;
/** The largest finite float32. */
const FLT_MAX = (2 - 2 ** -23) * 2 ** 127;

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/**
 * |z| of a sample variance s2 of n normals of variance v, by Wilson-Hilferty: (s2 / v)^(1/3) is
 * normal with mean 1 - 2 / (9 nu) and variance 2 / (9 nu), nu = n - 1; its two-sided tails stay
 * within 1% of the chi-square's at nu >= 1000 and are below them (safe) for nu >= 50.
 */
function varianceZ(s2: number, v: number, n: number): number {
  const nu = n - 1;
  return Math.abs(Math.cbrt(s2 / v) - (1 - 2 / (9 * nu))) / Math.sqrt(2 / (9 * nu));
}

interface Stats {
  count: number;
  mean: [number, number];
  /** Unbiased covariance (xx, xy, yy). */
  cov: [number, number, number];
  rms: number;
  maxAbs: number;
}

function stats(points: ArrayLike<number>): Stats {
  const n = points.length / 2;
  let mx = 0;
  let my = 0;
  let ss = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!;
    const y = points[2 * i + 1]!;
    mx += x / n;
    my += y / n;
    ss += x * x + y * y;
    maxAbs = Math.max(maxAbs, Math.abs(x), Math.abs(y));
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = points[2 * i]! - mx;
    const dy = points[2 * i + 1]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const d = n - 1;
  return {
    count: n,
    mean: [mx, my],
    cov: [sxx / d, sxy / d, syy / d],
    rms: Math.sqrt(ss / (2 * n)),
    maxAbs,
  };
}

describe(`generated datasets (SEED=${seed})`, () => {
  const M = 4000;

  test.each(DATASETS)('%s: deterministic in (id, m, seed), different across seeds', (id) => {
    const a = generateDataset(id, M, seed);
    expect(a.id).toBe(id);
    expect(generateDataset(id, M, seed).points).toEqual(a.points);
    expect(generateDataset(id, M, seed + 1).points).not.toEqual(a.points);
  });

  test.each(DATASETS)('%s: m finite points, centred, about unit scale', (id) => {
    for (const m of [1, 2, 100, M]) expect(generateDataset(id, m, seed).points).toHaveLength(2 * m);
    const { points, mixture } = generateDataset(id, M, seed);
    expect(points.every(Number.isFinite)).toBe(true);
    const s = stats(points);
    if (mixture) {
      // Mixtures have mean 0: the sample mean of M points has SE sqrt(Var / M) per coordinate.
      const { cov } = mixtureMoments(mixture);
      const z = zFor(2);
      within(Math.abs(s.mean[0]), z * Math.sqrt(cov[0] / M), 'sample mean: SE sqrt(Var_x / M)');
      within(Math.abs(s.mean[1]), z * Math.sqrt(cov[2] / M), 'sample mean: SE sqrt(Var_y / M)');
    } else {
      // Shapes are centred in float32: each stored x - mean is rounded once (<= EPS32 |x|), the
      // float64 means are off by <= M u max|x|.
      const tol = (EPS32 + 2 * M * U64) * s.maxAbs;
      for (const c of s.mean) within(Math.abs(c), tol, 'float32 centring: one rounding per point');
    }
    // Design ranges, not tolerances: every dataset's support ends >= 10 sd of its noise inside
    // |x| = 2, and its RMS (0.5 to 0.9) is many SE inside (0.3, 1.5).
    expect(s.maxAbs).toBeLessThan(2);
    expect(s.rms).toBeGreaterThan(0.3);
    expect(s.rms).toBeLessThan(1.5);
  });

  test.each(DATASETS)('%s: the mixture is given exactly where there is one', (id) => {
    const d = generateDataset(id, 10, seed);
    expect(d.mixture).toEqual(datasetMixture(id));
    expect(d.mixture !== null).toBe(id === 'gaussians8' || id === 'gaussians25');
  });

  test('the mixtures are the ones named: 8 on a circle, a 5 x 5 grid', () => {
    const g8 = datasetMixture('gaussians8')!;
    expect(g8.components).toHaveLength(8);
    const radii = g8.components.map((c) => Math.hypot(...c.mean));
    for (const r of radii) expect(r).toBeCloseTo(radii[0]!, 12);
    const g25 = datasetMixture('gaussians25')!;
    expect(g25.components).toHaveLength(25);
    const xs = new Set(g25.components.map((c) => c.mean[0].toFixed(9)));
    const ys = new Set(g25.components.map((c) => c.mean[1].toFixed(9)));
    expect(xs.size).toBe(5);
    expect(ys.size).toBe(5);
    for (const mix of [g8, g25]) {
      const total = mix.components.reduce((s, c) => s + c.weight, 0);
      expect(total).toBeCloseTo(1, 12);
    }
  });
});

/** Splits samples by nearest component mean. */
/**
 * The points of each component, by largest responsibility (not the nearest mean: a 4-sigma point
 * of a wide component can be nearer the mean of a thin one, and one such point inflates the thin
 * one's small variance by several standard errors).
 */
function byComponent(points: Float32Array, mixture: Mixture): number[][] {
  const { labels } = assignToModes(points, mixture);
  const groups = mixture.components.map(() => [] as number[]);
  labels.forEach((k, i) => groups[k]!.push(points[2 * i]!, points[2 * i + 1]!));
  return groups;
}

/**
 * Per component, six checks at z = zFor(6 K) (rate 1e-4 for the test): the share of samples
 * (binomial SE), the mean (SE sqrt(cov / n)), the variances (chi-square, by Wilson-Hilferty) and
 * the covariance (for a Gaussian, Var(s_xy) = (s_xx s_yy + s_xy^2) / n). The components are >= 10
 * sd apart, so fewer than 1e-6 of the points are assigned to another.
 */
function expectMixtureMoments(points: Float32Array, mixture: Mixture): void {
  const m = points.length / 2;
  const total = mixture.components.reduce((s, c) => s + c.weight, 0);
  const z = zFor(6 * mixture.components.length);
  byComponent(points, mixture).forEach((group, k) => {
    const c = mixture.components[k]!;
    const p = c.weight / total;
    const s = stats(group);
    const seCount = Math.sqrt(m * p * (1 - p));
    within(Math.abs(s.count - m * p), z * seCount, 'binomial count: SE sqrt(m p (1 - p))');
    const [sxx, sxy, syy] = c.cov;
    const n = s.count;
    within(Math.abs(s.mean[0] - c.mean[0]), z * Math.sqrt(sxx / n), 'mean: SE sqrt(Sxx / n)');
    within(Math.abs(s.mean[1] - c.mean[1]), z * Math.sqrt(syy / n), 'mean: SE sqrt(Syy / n)');
    within(varianceZ(s.cov[0], sxx, n), z, 'sample variance: chi-square, Wilson-Hilferty z');
    within(varianceZ(s.cov[2], syy, n), z, 'sample variance: chi-square, Wilson-Hilferty z');
    const seXy = Math.sqrt((sxx * syy + sxy * sxy) / n);
    within(Math.abs(s.cov[1] - sxy), z * seXy, 'covariance: SE sqrt((Sxx Syy + Sxy^2) / n)');
  });
}

describe(`mixture samples (SEED=${seed})`, () => {
  test.each(['gaussians8', 'gaussians25'] as const)('%s: moments per component', (id) => {
    const d = generateDataset(id, 50_000, seed);
    expectMixtureMoments(d.points, d.mixture!);
  });

  test('sampleMixture: unequal weights and correlated covariances (the Cholesky factor)', () => {
    const mixture: Mixture = {
      components: [
        { weight: 0.5, mean: [-3, 0], cov: [0.3, 0.2, 0.25] },
        { weight: 1.5, mean: [3, 1], cov: [0.04, -0.05, 0.09] },
        { weight: 1, mean: [0, 5], cov: [0.2, 0, 0.01] },
      ],
    };
    const points = sampleMixture(mixture, 60_000, new Rng(seed, 5));
    expectMixtureMoments(points, mixture);
  });

  test('sampleMixture with a degenerate (rank one) covariance stays on its line', () => {
    const mixture: Mixture = { components: [{ weight: 1, mean: [1, 2], cov: [1, 2, 4] }] };
    const points = sampleMixture(mixture, 1000, new Rng(seed, 6));
    // Covariance [[1, 2], [2, 4]]: all mass on y - 2 = 2 (x - 1). x = 1 + z and y = 2 + 2 z are
    // each rounded once to float32; the differences below are exact in float64.
    for (let i = 0; i < 1000; i++) {
      const x = points[2 * i]!;
      const y = points[2 * i + 1]!;
      const tol = EPS32 * (Math.abs(y) + 2 * Math.abs(x));
      within(Math.abs(y - 2 - 2 * (x - 1)), tol, 'float32: x and y rounded once each');
    }
  });
});

describe(`subsamplePoints (SEED=${seed})`, () => {
  /** Point i is (i, -i - 0.5): every point distinct and recognisable. */
  const cloud = (count: number): Float32Array =>
    Float32Array.from({ length: 2 * count }, (_, k) => (k % 2 === 0 ? k / 2 : -(k - 1) / 2 - 0.5));

  test('returns the input itself when it has no more than m points', () => {
    const p = cloud(10);
    expect(subsamplePoints(p, 10, seed)).toBe(p);
    expect(subsamplePoints(p, 50, seed)).toBe(p);
  });

  test('m distinct input points, pairs kept together, deterministic in the seed', () => {
    const p = cloud(1000);
    const s = subsamplePoints(p, 100, seed);
    expect(s).toHaveLength(200);
    const picked = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const x = s[2 * i]!;
      expect(Number.isInteger(x) && x >= 0 && x < 1000).toBe(true);
      expect(s[2 * i + 1]).toBe(-x - 0.5);
      picked.add(x);
    }
    expect(picked.size).toBe(100);
    expect(subsamplePoints(p, 100, seed)).toEqual(s);
    expect(subsamplePoints(p, 100, seed + 1)).not.toEqual(s);
  });

  test('each point is kept with probability m / count', () => {
    const count = 20;
    const m = 5;
    const runs = 4000;
    const kept = new Array<number>(count).fill(0);
    const p = cloud(count);
    for (let r = 0; r < runs; r++) {
      const s = subsamplePoints(p, m, seed + r);
      for (let i = 0; i < m; i++) kept[s[2 * i]!]!++;
    }
    // Each point's count is binomial (runs, m / count): the runs' seeds are independent.
    const q = m / count;
    const z = zFor(count);
    const se = Math.sqrt(runs * q * (1 - q));
    for (const k of kept)
      within(Math.abs(k - runs * q), z * se, 'binomial count: SE sqrt(r q (1 - q))');
  });
});

describe(`normalisePoints (SEED=${seed})`, () => {
  const rng = new Rng(seed, 8);
  const raw = Float32Array.from({ length: 2000 }, (_, k) =>
    k % 2 === 0 ? 300 + 40 * rng.normal() : -7 + 3 * rng.uniform(),
  );

  test('centres and scales to RMS CUSTOM_RMS per coordinate, one factor for both axes', () => {
    const { points, scale } = normalisePoints(raw);
    const before = stats(raw);
    const after = stats(points);
    const n = raw.length / 2;
    // Each output is (x - mean) rounded to float32, times scale rounded again: <= 2 EPS32 relative;
    // the float64 means (here and in the code) differ by <= 2 n u max|x|.
    const meanSlack = 4 * n * U64 * maxAbs(raw) * scale;
    const model = 'float32: two roundings per output, float64 means';
    for (const c of after.mean) within(Math.abs(c), 2 * EPS32 * after.maxAbs + meanSlack, model);
    // The RMS of values each within EPS32 relative of the exactly scaled ones.
    within(Math.abs(after.rms - CUSTOM_RMS), CUSTOM_RMS * (EPS32 + 4 * n * U64), model);
    // The same factor on both axes: the aspect ratio of the cloud is kept. Each variance moves by
    // <= 2 x 2 EPS32 relative, their ratio by twice that, its square root by half.
    const aspect = Math.sqrt(before.cov[0] / before.cov[2]);
    const kept = Math.sqrt(after.cov[0] / after.cov[2]);
    within(Math.abs(kept - aspect), (4 * EPS32 + 8 * n * U64) * aspect, model);
    // x_out = (x_in - mean) * scale, for every point.
    for (let i = 0; i < n; i++) {
      for (const a of [0, 1]) {
        const want = (raw[2 * i + a]! - before.mean[a]!) * scale;
        const got = points[2 * i + a]!;
        within(Math.abs(got - want), 2 * EPS32 * Math.abs(want) + meanSlack, model);
      }
    }
  });

  test('does not change its input; ignores translation and positive scaling of it', () => {
    const copy = Float32Array.from(raw);
    const a = normalisePoints(raw).points;
    expect(raw).toEqual(copy);
    const moved = raw.map((v, k) => 5 * v + (k % 2 === 0 ? -1000 : 42));
    const b = normalisePoints(moved).points;
    // moved is rounded to float32: by e <= EPS32 max|moved| / 5 in raw units. Normalising is
    // affine-invariant, and moves by <= scale (2 e) + |out| e / rms for inputs moved by <= e
    // (the mean and the RMS each move by <= e); each normalisation adds 2 EPS32 relative.
    const { scale } = normalisePoints(raw);
    const rms = CUSTOM_RMS / scale;
    const e = (EPS32 * maxAbs(moved)) / 5;
    const slack = 8 * (raw.length / 2) * U64 * maxAbs(moved) * scale;
    for (let k = 0; k < a.length; k++) {
      const tol = 2 * e * scale + (Math.abs(a[k]!) * e) / rms + 5 * EPS32 * Math.abs(a[k]!) + slack;
      within(Math.abs(b[k]! - a[k]!), tol, 'float32 rounding of the moved input, then of both');
    }
  });

  test('float32 points too far apart to centre in float32 normalise exactly, in float64', () => {
    // Centred in float32, 3.4e38 - (-3.4e38 / 3) overflowed to Infinity. x - mean is
    // (4/3, -2/3, -2/3) F, of RMS 2 F / 3 over the six coordinates: x out is (1.6, -0.8, -0.8).
    const F = FLT_MAX;
    const { points } = normalisePoints(Float32Array.from([F, 0, -F, 0, -F, 0]));
    const want = [1.6, 0, -0.8, 0, -0.8, 0];
    points.forEach((v, k) =>
      within(Math.abs(v - want[k]!), EPS32 * Math.abs(want[k]!) + 4 * U64, 'one float32 rounding'),
    );
  });

  test(
    seeded('points anywhere in float32 range normalise to finite values of RMS CUSTOM_RMS'),
    () => {
      const wide = new Rng(seed, 33);
      for (let trial = 0; trial < 20; trial++) {
        const n = 2 + wide.int(500);
        // Magnitudes 2^e, e uniform over float32's exponents, and a quarter at its largest finite
        // value, where x - mean overflowed float32 unless the mean was exactly 0.
        const raw = Float32Array.from({ length: 2 * n }, () => {
          const size = wide.uniform() < 0.25 ? FLT_MAX : 2 ** (wide.uniform() * 254 - 126);
          return (wide.uniform() < 0.5 ? -1 : 1) * Math.min(size, FLT_MAX);
        });
        const { points, scale } = normalisePoints(raw);
        expect(points.every(Number.isFinite)).toBe(true);
        const after = stats(points);
        // Each output is one float32 rounding (EPS32 relative) of a float64 value whose own error,
        // from the float64 means and sums, is <= 4 n U64 max|x| scale.
        within(
          Math.abs(after.rms - CUSTOM_RMS),
          CUSTOM_RMS * EPS32 + 4 * n * U64 * maxAbs(raw) * scale,
          'float32: one rounding per output, float64 means',
        );
      }
    },
  );

  test('a cloud of identical points becomes zeros with scale 1, not NaN', () => {
    const { points, scale } = normalisePoints(Float32Array.from([3, 4, 3, 4, 3, 4]));
    expect(scale).toBe(1);
    expect([...points]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
