/**
 * The images' Gaussian model fitted off the main thread (src/sim/run/gaussianFit.ts) in the
 * browser: the worker's model is the main thread's fitGaussianModel bit for bit, packed as the
 * kernel reads it, and it is fitted once per data and seed. Fresh random images each run.
 */
import { expect, test } from 'vitest';
import { fitGaussianModel, packGaussianModel } from '../../src/maths/gaussianModel';
import { Rng } from '../../src/maths/rng';
import { gaussianFits, IMAGE_GAUSSIAN_RANK, imageGaussian } from '../../src/sim/run/gaussianFit';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 92);

test(`the worker's fit is fitGaussianModel's, once per data and seed (SEED=${seed})`, async () => {
  const d = 64;
  const m = 200 + rng.int(300);
  // Correlated random images: a few random directions plus noise.
  const basis = Float32Array.from({ length: 4 * d }, () => rng.normal());
  const data = new Float32Array(m * d);
  for (let i = 0; i < m; i++) {
    const c = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    for (let j = 0; j < d; j++)
      data[i * d + j] = c.reduce((s, ck, k) => s + ck * basis[k * d + j]!, 0.1 * rng.normal());
  }
  const fitSeed = rng.int(2 ** 32);
  const before = gaussianFits.worker;
  const fit = await imageGaussian(data, d, fitSeed);
  expect(gaussianFits.worker).toBe(before + 1);
  const rank = Math.min(IMAGE_GAUSSIAN_RANK, d - 1, m - 1);
  const want = packGaussianModel(fitGaussianModel(data, d, rank, fitSeed));
  expect(fit.rank).toBe(rank);
  expect(Array.from(fit.packed)).toEqual(Array.from(want));
  // Asked again (another run, another lane): the same fit, not fitted again.
  expect(await imageGaussian(data, d, fitSeed)).toBe(fit);
  expect(gaussianFits.worker).toBe(before + 1);
  // Another seed is another fit.
  await imageGaussian(data, d, fitSeed + 1);
  expect(gaussianFits.worker).toBe(before + 2);
});
