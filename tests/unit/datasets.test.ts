/**
 * Generated datasets and user-point helpers (src/maths/datasets.ts): determinism, scale and
 * centring of every dataset; per-component moments of the mixtures against their parameters,
 * within 5 standard errors; subsampling and normalisation properties.
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
import { assignToModes } from '../../src/maths/stats';
import { SEED } from '../random';

const seed = SEED;
const Z = 5;

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
    const { points } = generateDataset(id, M, seed);
    expect(points.every(Number.isFinite)).toBe(true);
    const s = stats(points);
    // Shapes are centred exactly; mixtures have mean 0 and sample means within 5 SE of it.
    for (const c of s.mean) expect(Math.abs(c)).toBeLessThan((Z * s.rms) / Math.sqrt(M));
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
 * Per component: the share of samples (binomial SE), the mean (SE sqrt(cov / n)) and the
 * covariance (for a Gaussian, Var(s_ab) = (s_aa s_bb + s_ab^2) / n).
 */
function expectMixtureMoments(points: Float32Array, mixture: Mixture): void {
  const m = points.length / 2;
  const total = mixture.components.reduce((s, c) => s + c.weight, 0);
  byComponent(points, mixture).forEach((group, k) => {
    const c = mixture.components[k]!;
    const p = c.weight / total;
    const s = stats(group);
    expect(Math.abs(s.count - m * p)).toBeLessThan(Z * Math.sqrt(m * p * (1 - p)));
    const [sxx, sxy, syy] = c.cov;
    const n = s.count;
    expect(Math.abs(s.mean[0] - c.mean[0])).toBeLessThan(Z * Math.sqrt(sxx / n));
    expect(Math.abs(s.mean[1] - c.mean[1])).toBeLessThan(Z * Math.sqrt(syy / n));
    const se = (a: number, b: number, ab: number): number => Math.sqrt((a * b + ab * ab) / n);
    expect(Math.abs(s.cov[0] - sxx)).toBeLessThan(Z * se(sxx, sxx, sxx));
    expect(Math.abs(s.cov[1] - sxy)).toBeLessThan(Z * se(sxx, syy, sxy));
    expect(Math.abs(s.cov[2] - syy)).toBeLessThan(Z * se(syy, syy, syy));
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
    // Covariance [[1, 2], [2, 4]]: all mass on y - 2 = 2 (x - 1).
    for (let i = 0; i < 1000; i++) {
      expect(points[2 * i + 1]! - 2).toBeCloseTo(2 * (points[2 * i]! - 1), 4);
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

  test('each point is kept with probability m / count (within 5 SE)', () => {
    const count = 20;
    const m = 5;
    const runs = 4000;
    const kept = new Array<number>(count).fill(0);
    const p = cloud(count);
    for (let r = 0; r < runs; r++) {
      const s = subsamplePoints(p, m, seed + r);
      for (let i = 0; i < m; i++) kept[s[2 * i]!]!++;
    }
    const q = m / count;
    for (const k of kept)
      expect(Math.abs(k - runs * q)).toBeLessThan(Z * Math.sqrt(runs * q * (1 - q)));
  });
});

describe('normalisePoints', () => {
  const rng = new Rng(seed, 8);
  const raw = Float32Array.from({ length: 2000 }, (_, k) =>
    k % 2 === 0 ? 300 + 40 * rng.normal() : -7 + 3 * rng.uniform(),
  );

  test('centres and scales to RMS CUSTOM_RMS per coordinate, one factor for both axes', () => {
    const { points, scale } = normalisePoints(raw);
    const before = stats(raw);
    const after = stats(points);
    for (const c of after.mean) expect(Math.abs(c)).toBeLessThan(1e-5);
    expect(after.rms).toBeCloseTo(CUSTOM_RMS, 5);
    // The same factor on both axes: the aspect ratio of the cloud is kept.
    expect(Math.sqrt(after.cov[0] / after.cov[2])).toBeCloseTo(
      Math.sqrt(before.cov[0] / before.cov[2]),
      4,
    );
    // x_out = (x_in - mean) * scale, for every point.
    for (let i = 0; i < 10; i++) {
      expect(points[2 * i]!).toBeCloseTo((raw[2 * i]! - before.mean[0]) * scale, 4);
      expect(points[2 * i + 1]!).toBeCloseTo((raw[2 * i + 1]! - before.mean[1]) * scale, 4);
    }
  });

  test('does not change its input; ignores translation and positive scaling of it', () => {
    const copy = Float32Array.from(raw);
    const a = normalisePoints(raw).points;
    expect(raw).toEqual(copy);
    const moved = raw.map((v, k) => 5 * v + (k % 2 === 0 ? -1000 : 42));
    const b = normalisePoints(moved).points;
    for (let k = 0; k < a.length; k++) expect(Math.abs(b[k]! - a[k]!)).toBeLessThan(1e-3);
  });

  test('a cloud of identical points becomes zeros with scale 1, not NaN', () => {
    const { points, scale } = normalisePoints(Float32Array.from([3, 4, 3, 4, 3, 4]));
    expect(scale).toBe(1);
    expect([...points]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
