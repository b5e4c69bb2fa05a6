/**
 * 2D datasets, generated from a seed: centred, about unit scale (coordinates within about +-1.5).
 * Mixtures carry their exact parameters, so the exact denoiser and the sampler tests know the
 * true distribution; every dataset also stores M sampled points (the empirical denoiser's keys).
 */
import type { ImageDatasetId } from './imageDatasets';
import { Rng, Stream } from './rng';
import { SHAPE_CLASSES } from './sdf';

export const DATASETS = [
  'gaussians8',
  'gaussians25',
  'moons',
  'swissroll',
  'spiral',
  'checkerboard',
  'rings',
] as const;
export type GeneratedDatasetId = (typeof DATASETS)[number];
/** 'custom' holds the user's own points: drawn on the canvas or loaded from a file. */
export type DatasetId = GeneratedDatasetId | 'custom';

/** One 2D Gaussian component: weight, mean and covariance (xx, xy, yy). */
export interface Gaussian2 {
  weight: number;
  mean: readonly [number, number];
  cov: readonly [number, number, number];
}

export interface Mixture {
  components: readonly Gaussian2[];
}

export interface Dataset {
  id: DatasetId | ImageDatasetId;
  /** Stored points, x and y interleaved; for images, image after image (dim floats each). */
  points: Float32Array;
  /** The exact distribution, where it is a Gaussian mixture. */
  mixture: Mixture | null;
  /** Coordinates per point: 2 when absent, width x height x channels for images. */
  dim?: number;
  /**
   * The class of each stored point, 0 to classes - 1 (datasetClasses), where the dataset has
   * classes: a mixture's component (so class k of a mixture is its component k), a moon, a ring,
   * an arm of the spiral, MNIST's digit, the shape's kind.
   */
  labels?: Uint8Array;
}

/** Labels of stored points with their classes' names: class k of point i is labels[i]. */
export interface ClassLabels {
  labels: Uint8Array;
  names: readonly string[];
}

/** Classes of each dataset that has them (0: none, class must be 'all'). */
const CLASSES: Partial<Record<DatasetId | ImageDatasetId, number>> = {
  gaussians8: 8,
  gaussians25: 25,
  moons: 2,
  spiral: 3,
  rings: 3,
  mnist: 10,
  shapes: SHAPE_CLASSES.length,
};

/** How many classes a dataset's points are labelled with; 0 when it has no labels. */
export const datasetClasses = (id: DatasetId | ImageDatasetId): number => CLASSES[id] ?? 0;

/** Coordinates per stored point: 2 for point clouds, d for images. */
export const datasetDim = (d: Pick<Dataset, 'dim'>): number => d.dim ?? 2;

/** Stored points (images) of a dataset. */
export const datasetSize = (d: Pick<Dataset, 'dim' | 'points'>): number =>
  d.points.length / datasetDim(d);

function isotropicMixture(means: [number, number][], std: number): Mixture {
  const v = std * std;
  return {
    components: means.map((mean) => ({ weight: 1 / means.length, mean, cov: [v, 0, v] as const })),
  };
}

/** The mixtures behind gaussians8 and gaussians25. */
export function datasetMixture(id: DatasetId): Mixture | null {
  if (id === 'gaussians8') {
    const means: [number, number][] = [];
    for (let k = 0; k < 8; k++) {
      const a = (2 * Math.PI * k) / 8;
      means.push([1.2 * Math.cos(a), 1.2 * Math.sin(a)]);
    }
    return isotropicMixture(means, 0.08);
  }
  if (id === 'gaussians25') {
    const means: [number, number][] = [];
    for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) means.push([0.5 * i, 0.5 * j]);
    return isotropicMixture(means, 0.05);
  }
  return null;
}

/** m samples of a mixture: a Cholesky factor per component. */
export function sampleMixture(mixture: Mixture, m: number, rng: Rng): Float32Array {
  return sampleMixtureLabelled(mixture, m, rng).points;
}

/** m samples of a mixture and the component each was drawn from (sampleMixture's draws). */
export function sampleMixtureLabelled(
  mixture: Mixture,
  m: number,
  rng: Rng,
): { points: Float32Array; labels: Uint8Array } {
  const out = new Float32Array(2 * m);
  const labels = new Uint8Array(m);
  const cumulative: number[] = [];
  let total = 0;
  for (const c of mixture.components) cumulative.push((total += c.weight));
  for (let i = 0; i < m; i++) {
    const u = rng.uniform() * total;
    let k = cumulative.findIndex((c) => u < c);
    if (k < 0) k = mixture.components.length - 1;
    const c = mixture.components[k]!;
    const [sxx, sxy, syy] = c.cov;
    const l11 = Math.sqrt(sxx);
    const l21 = sxy / l11;
    const l22 = Math.sqrt(Math.max(0, syy - l21 * l21));
    const z1 = rng.normal();
    const z2 = rng.normal();
    out[2 * i] = c.mean[0] + l11 * z1;
    out[2 * i + 1] = c.mean[1] + l21 * z1 + l22 * z2;
    labels[i] = k;
  }
  return { points: out, labels };
}

/** A point and, where the dataset has classes, its class. */
type Sampler = (rng: Rng) => [number, number, number?];

const RING_RADII = [0.4, 0.8, 1.2] as const;

const shapes: Record<Exclude<GeneratedDatasetId, 'gaussians8' | 'gaussians25'>, Sampler> = {
  // Two interleaved half circles (as scikit-learn's make_moons), scaled by 0.9.
  moons(rng) {
    const t = Math.PI * rng.uniform();
    const upper = rng.uniform() < 0.5;
    const x = upper ? Math.cos(t) : 1 - Math.cos(t);
    const y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
    return [0.9 * x + 0.06 * rng.normal(), 0.9 * y + 0.06 * rng.normal(), upper ? 0 : 1];
  },
  // (t cos t, t sin t) for t in [1.5 pi, 4.5 pi], as scikit-learn's make_swiss_roll in 2D.
  swissroll(rng) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
    const s = 1.4 / (4.5 * Math.PI);
    return [s * t * Math.cos(t) + 0.03 * rng.normal(), s * t * Math.sin(t) + 0.03 * rng.normal()];
  },
  // Three interleaved arms of an Archimedean spiral.
  spiral(rng) {
    const u = rng.uniform();
    const arm = rng.int(3);
    const r = 0.1 + 1.3 * u;
    const a = 2.5 * Math.PI * u + (2 * Math.PI * arm) / 3;
    return [r * Math.cos(a) + 0.03 * rng.normal(), r * Math.sin(a) + 0.03 * rng.normal(), arm];
  },
  // Uniform on the 8 dark cells of a 4 x 4 board over [-1.2, 1.2]^2.
  checkerboard(rng) {
    const cell = rng.int(8);
    const row = Math.floor(cell / 2);
    const col = 2 * (cell % 2) + (row % 2);
    return [-1.2 + 0.6 * (col + rng.uniform()), -1.2 + 0.6 * (row + rng.uniform())];
  },
  // Three concentric rings, points spread evenly along their length.
  rings(rng) {
    // Weights 1 : 2 : 3, proportional to circumference.
    const u = 6 * rng.uniform();
    const ring = u < 1 ? 0 : u < 3 ? 1 : 2;
    const r = RING_RADII[ring];
    const a = 2 * Math.PI * rng.uniform();
    return [r * Math.cos(a) + 0.025 * rng.normal(), r * Math.sin(a) + 0.025 * rng.normal(), ring];
  },
};

/** Subtracts the sample mean in place. */
function centre(points: Float32Array): void {
  const m = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < m; i++) {
    mx += points[2 * i]!;
    my += points[2 * i + 1]!;
  }
  mx /= m;
  my /= m;
  for (let i = 0; i < m; i++) {
    points[2 * i] = points[2 * i]! - mx;
    points[2 * i + 1] = points[2 * i + 1]! - my;
  }
}

/** m points of a generated dataset from a seed; the same (id, m, seed) gives the same points. */
export function generateDataset(id: GeneratedDatasetId, m: number, seed: number): Dataset {
  const rng = new Rng(seed, Stream.dataset);
  const mixture = datasetMixture(id);
  if (mixture) return { id, ...sampleMixtureLabelled(mixture, m, rng), mixture };
  const sample = shapes[id as keyof typeof shapes];
  const points = new Float32Array(2 * m);
  const labels = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    const [x, y, label] = sample(rng);
    points[2 * i] = x;
    points[2 * i + 1] = y;
    labels[i] = label ?? 0;
  }
  centre(points);
  return { id, points, mixture: null, ...(datasetClasses(id) ? { labels } : {}) };
}

/** Scale of user data after normalisation: the RMS of each coordinate, as the generated sets. */
export const CUSTOM_RMS = 0.8;

/**
 * Centres user points and scales them (one factor for both axes) so their RMS per coordinate is
 * CUSTOM_RMS: the schedules assume data of about unit scale, whatever units a file uses. In float64,
 * rounded to float32 once: centring in float32 can overflow (3e38 - (-3e38)), while the result,
 * at most CUSTOM_RMS sqrt(2 m) in size, always fits.
 */
export function normalisePoints(points: Float32Array): { points: Float32Array; scale: number } {
  const m = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < m; i++) {
    mx += points[2 * i]!;
    my += points[2 * i + 1]!;
  }
  mx /= m;
  my /= m;
  let ss = 0;
  for (let i = 0; i < m; i++) {
    const dx = points[2 * i]! - mx;
    const dy = points[2 * i + 1]! - my;
    ss += dx * dx + dy * dy;
  }
  const rms = Math.sqrt(ss / points.length);
  const scale = rms > 0 ? CUSTOM_RMS / rms : 1;
  const out = new Float32Array(points.length);
  for (let i = 0; i < m; i++) {
    out[2 * i] = (points[2 * i]! - mx) * scale;
    out[2 * i + 1] = (points[2 * i + 1]! - my) * scale;
  }
  return { points: out, scale };
}

/** A uniform random subset of m points (all of them when there are fewer), seeded. */
export function subsamplePoints(points: Float32Array, m: number, seed: number): Float32Array {
  const picks = subsamplePicks(points.length / 2, m, seed);
  if (!picks) return points;
  const out = new Float32Array(2 * m);
  picks.forEach((pick, i) => {
    out[2 * i] = points[2 * pick]!;
    out[2 * i + 1] = points[2 * pick + 1]!;
  });
  return out;
}

/** The labels of the points subsamplePoints keeps, in its order. */
export function subsampleLabels(labels: Uint8Array, m: number, seed: number): Uint8Array {
  const picks = subsamplePicks(labels.length, m, seed);
  return picks ? Uint8Array.from(picks, (pick) => labels[pick]!) : labels;
}

/** Which m of count points a subsample keeps (a partial Fisher-Yates shuffle); null: all. */
function subsamplePicks(count: number, m: number, seed: number): Uint32Array | null {
  if (count <= m) return null;
  const rng = new Rng(seed, Stream.subsample);
  const index = new Uint32Array(count);
  for (let i = 0; i < count; i++) index[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(count - i);
    const pick = index[j]!;
    index[j] = index[i]!;
    index[i] = pick;
  }
  return index.slice(0, m);
}
