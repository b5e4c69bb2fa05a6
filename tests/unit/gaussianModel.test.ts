/**
 * The Gaussian model fit (src/maths/gaussianModel.ts) on synthetic data of known covariance: a few
 * planted eigenvalues plus isotropic noise, fresh each run (seed in the names). Tolerances are 5
 * standard errors of the sample covariance's eigenvalues (sqrt(2 / samples) relative); the packed
 * layout against gaussianLayout; the Jacobi eigensolver on a random symmetric matrix.
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
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 79);
const Z = 5;

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

  test('recovers the planted eigenvalues (largest first) and the isotropic variance', () => {
    // The iteration sees a subsample.
    const relErr = Z * Math.sqrt(2 / fitSubsample(m, d, r));
    planted.forEach((l, k) => {
      expect(Math.abs(model.lambda[k]! - (l + noise))).toBeLessThan(relErr * (l + noise));
    });
    for (let k = 1; k < r; k++) expect(model.lambda[k]!).toBeLessThanOrEqual(model.lambda[k - 1]!);
    expect(Math.abs(model.lambda0 - noise)).toBeLessThan(0.05 * noise);
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
        expect(Math.abs(self - (a === b ? 1 : 0))).toBeLessThan(1e-10);
      }
    // Sum of cos^2 of the principal angles: r for the same subspace.
    expect(r - captured).toBeLessThan(0.02);
  });

  test('the mean is the sample mean', () => {
    for (let c = 0; c < d; c++) {
      const se = Math.sqrt((noise + planted.reduce((s, l) => s + l, 0)) / m);
      expect(Math.abs(model.mean[c]! - mu[c]!)).toBeLessThan(Z * se);
    }
  });

  test('rank 0: the total variance spread evenly', () => {
    const flat = fitGaussianModel(data, d, 0, seed);
    const total = planted.reduce((s, l) => s + l, 0) + d * noise;
    expect(flat.lambda.length).toBe(0);
    expect(flat.basis.length).toBe(0);
    expect(Math.abs(flat.lambda0 * d - total)).toBeLessThan(Z * total * Math.sqrt(2 / m));
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
    for (let e = 0; e < k; e++)
      for (let i = 0; i < k; i++) {
        let av = 0;
        for (let j = 0; j < k; j++) av += a[i * k + j]! * vectors[j * k + e]!;
        expect(Math.abs(av - values[e]! * vectors[i * k + e]!)).toBeLessThan(1e-10);
      }
    for (let e = 0; e < k; e++)
      for (let f = 0; f < k; f++) {
        let dot = 0;
        for (let i = 0; i < k; i++) dot += vectors[i * k + e]! * vectors[i * k + f]!;
        expect(Math.abs(dot - (e === f ? 1 : 0))).toBeLessThan(1e-12);
      }
  });
});
