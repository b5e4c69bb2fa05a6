/**
 * The Gaussian model fit (src/maths/gaussianModel.ts) on synthetic data of known covariance: a few
 * planted eigenvalues plus isotropic noise, fresh each run (seed in the names). Statistical checks
 * use the first-order perturbation theory of a spiked sample covariance (bias and SE computed from
 * the planted spectrum), each test at a false-failure rate of at most 1e-4 per run; the packed
 * layout against gaussianLayout; the Jacobi eigensolver on a random symmetric matrix, up to float64
 * rounding.
 */
import { describe, expect, test } from 'vitest';
import {
  fitGaussianModel,
  fitSubsample,
  gaussianLayout,
  orthonormalise,
  packGaussianModel,
  symmetricEigen,
} from '../../src/maths/gaussianModel';
import { Rng } from '../../src/maths/rng';
import { SEED, within, zFor } from '../random';

const seed = SEED;
const rng = new Rng(seed, 79);
/** Unit roundoff of float64. */
const U64 = 2 ** -53;

/** m samples of N(mu, U diag(planted) U^T + noise I) in d dimensions, U random orthonormal. */
function synthetic(m: number, d: number, planted: readonly number[], noise: number) {
  const r = planted.length;
  const u = Float64Array.from({ length: r * d }, () => rng.normal());
  orthonormalise(u, r, d);
  const mu = Float64Array.from({ length: d }, () => rng.normal());
  const data = new Float32Array(m * d);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < d; c++) data[i * d + c] = mu[c]! + Math.sqrt(noise) * rng.normal();
    planted.forEach((l, k) => {
      const g = Math.sqrt(l) * rng.normal();
      for (let c = 0; c < d; c++) data[i * d + c]! += g * u[k * d + c]!;
    });
  }
  return { data, u, mu };
}

describe(`fitGaussianModel (SEED=${seed})`, () => {
  const d = 60;
  const m = 4000;
  const planted = [9, 5, 3, 2];
  const noise = 0.2;
  const r = planted.length;
  const { data, u, mu } = synthetic(m, d, planted, noise);
  const model = fitGaussianModel(data, d, r, seed);
  // The population eigenvalues along the planted directions; the iteration sees ns of the m images.
  const ell = planted.map((l) => l + noise);
  const ns = fitSubsample(m, d, r);
  const total = ell.reduce((s, l) => s + l, 0) + (d - r) * noise;
  /**
   * Second-order bias of the k-th sample eigenvalue of a spiked covariance (the other spikes and
   * the d - r noise directions push it apart): (l_k / ns) (sum_j l_j / (l_k - l_j) + (d - r)
   * noise / (l_k - noise)); 0.1 SE at most here, but systematic.
   */
  const bias = ell.map(
    (lk, k) =>
      (lk / ns) *
      (ell.reduce((s, lj, j) => (j === k ? s : s + lj / (lk - lj)), 0) +
        ((d - r) * noise) / (lk - noise)),
  );

  test('recovers the planted eigenvalues (largest first)', () => {
    // A separated sample eigenvalue is normal with SE l_k sqrt(2 / ns).
    const z = zFor(r);
    ell.forEach((l, k) => {
      const error = Math.abs(model.lambda[k]! - l - bias[k]!);
      within(
        error,
        z * l * Math.sqrt(2 / ns),
        'spiked eigenvalue: SE l sqrt(2 / ns), bias removed',
      );
    });
    for (let k = 1; k < r; k++) expect(model.lambda[k]!).toBeLessThanOrEqual(model.lambda[k - 1]!);
  });

  test('recovers the isotropic variance', () => {
    // lambda0 = (trace over all m - sum of the spikes over the ns subsample) / (d - r): the spikes
    // differ between the two samples by SE l_k sqrt(2 (1 / ns - 1 / m)), the noise trace has
    // SE noise sqrt(2 (d - r) / m); the trace is normalised by m, the spikes are biased (above).
    const varRest =
      ell.reduce((s, l) => s + 2 * l * l * (1 / ns - 1 / m), 0) + (2 * (d - r) * noise ** 2) / m;
    const se = Math.sqrt(varRest) / (d - r);
    const expected = noise - total / (m * (d - r)) - bias.reduce((s, b) => s + b, 0) / (d - r);
    within(
      Math.abs(model.lambda0 - expected),
      zFor(1) * se,
      'trace minus spikes: SE from the spectrum',
    );
  });

  test('recovers the planted subspace, with an orthonormal basis', () => {
    let captured = 0;
    for (let a = 0; a < r; a++)
      for (let b = 0; b < r; b++) {
        let dot = 0;
        let self = 0;
        for (let c = 0; c < d; c++) {
          dot += u[a * d + c]! * model.basis[b * d + c]!;
          self += model.basis[a * d + c]! * model.basis[b * d + c]!;
        }
        captured += dot * dot;
        // Gram-Schmidt twice leaves the basis orthonormal to O(d u) (Giraud et al. 2005).
        within(Math.abs(self - (a === b ? 1 : 0)), 2 * d * U64, 'float64: Gram-Schmidt twice');
      }
    // r - captured (the sum of sin^2 of the principal angles) is, to first order, a sum of
    // squared normals: (d - r) per spike, each of variance a_k = l_k noise / (ns (l_k - e)^2), e
    // the noise's largest sample eigenvalue noise (1 + sqrt((d - r) / ns))^2. Laurent & Massart
    // (2000): P(Q > sum a + 2 |a|_2 sqrt(x) + 2 max(a) x) <= e^-x; x = log(1e4).
    const edge = noise * (1 + Math.sqrt((d - r) / ns)) ** 2;
    const a = ell.map((l) => (l * noise) / (ns * (l - edge) ** 2));
    const x = Math.log(1e4);
    const norm2 = Math.sqrt((d - r) * a.reduce((s, v) => s + v * v, 0));
    const bound =
      (d - r) * a.reduce((s, v) => s + v, 0) + 2 * norm2 * Math.sqrt(x) + 2 * Math.max(...a) * x;
    within(r - captured, bound, 'first-order leak: weighted chi-square, Laurent-Massart at 1e-4');
  });

  test('the mean is the sample mean', () => {
    const z = zFor(d);
    for (let c = 0; c < d; c++) {
      let sum = 0;
      let largest = 0;
      for (let i = 0; i < m; i++) {
        sum += data[i * d + c]!;
        largest = Math.max(largest, Math.abs(data[i * d + c]!));
      }
      // float64 sums of m terms, in either order: within m u max|x| of the exact mean.
      within(Math.abs(model.mean[c]! - sum / m), 2 * m * U64 * largest, 'float64: sum of m terms');
      // Coordinate c has variance noise + sum_k l_k u_kc^2.
      const v = planted.reduce((s, l, k) => s + l * u[k * d + c]! ** 2, noise);
      within(
        Math.abs(model.mean[c]! - mu[c]!),
        z * Math.sqrt(v / m),
        'sample mean: SE sqrt(v / m)',
      );
    }
  });

  test('rank 0: the total variance spread evenly', () => {
    const flat = fitGaussianModel(data, d, 0, seed);
    expect(flat.lambda.length).toBe(0);
    expect(flat.basis.length).toBe(0);
    // The trace of the sample covariance (normalised by m): mean total (1 - 1 / m), variance
    // 2 tr(Sigma^2) / m.
    const trSq = ell.reduce((s, l) => s + l * l, 0) + (d - r) * noise ** 2;
    const error = Math.abs(flat.lambda0 * d - total * (1 - 1 / m));
    within(error, zFor(1) * Math.sqrt((2 * trSq) / m), 'sample trace: SE sqrt(2 tr(S^2) / m)');
  });
});

describe('packGaussianModel', () => {
  test.each([
    { d: 784, r: 3, basis: 788 },
    { d: 784, r: 5, basis: 792 },
    { d: 10, r: 0, basis: 12 },
  ])('d $d, rank $r: mu, lambda, lambda0, padding, then V from float $basis', ({ d, r, basis }) => {
    const model = {
      mean: Float64Array.from({ length: d }, () => rng.normal()),
      lambda: Float64Array.from({ length: r }, () => 1 + rng.uniform()),
      lambda0: rng.uniform(),
      basis: Float64Array.from({ length: r * d }, () => rng.normal()),
    };
    const at = gaussianLayout(d, r);
    expect(at).toEqual({ mean: 0, lambda: d, lambda0: d + r, basis, length: basis + r * d });
    const packed = packGaussianModel(model);
    expect(packed.length).toBe(at.length);
    expect([...packed.subarray(0, d)]).toEqual([...model.mean].map(Math.fround));
    expect([...packed.subarray(d, d + r)]).toEqual([...model.lambda].map(Math.fround));
    expect(packed[d + r]).toBe(Math.fround(model.lambda0));
    expect([...packed.subarray(d + r + 1, basis)].every((v) => v === 0)).toBe(true);
    expect([...packed.subarray(basis)]).toEqual([...model.basis].map(Math.fround));
  });
});

describe(`symmetricEigen (SEED=${seed})`, () => {
  test('A v = lambda v for every pair, V orthogonal', () => {
    const k = 12;
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j <= i; j++) a[i * k + j] = a[j * k + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, k);
    const frobenius = Math.hypot(...a);
    // float64 Jacobi: each of the ~k^2 rotations of a few sweeps is orthogonal to O(u), so V loses
    // <= k^2 u of orthogonality and A V - V Lambda is <= k^2 u |A|_F, plus the stopping
    // criterion's off-diagonal (<= 1e-15 |A|_F).
    const model = 'float64 Jacobi: k^2 rotations, O(u) each';
    for (let e = 0; e < k; e++)
      for (let i = 0; i < k; i++) {
        let av = 0;
        for (let j = 0; j < k; j++) av += a[i * k + j]! * vectors[j * k + e]!;
        const error = Math.abs(av - values[e]! * vectors[i * k + e]!);
        within(error, (k * k * U64 + 1e-15) * frobenius, model);
      }
    for (let e = 0; e < k; e++)
      for (let f = 0; f < k; f++) {
        let dot = 0;
        for (let i = 0; i < k; i++) dot += vectors[i * k + e]! * vectors[i * k + f]!;
        within(Math.abs(dot - (e === f ? 1 : 0)), k * k * U64, model);
      }
  });
});
