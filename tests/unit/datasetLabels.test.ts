/**
 * Class labels of the generated datasets (src/maths/datasets.ts): the points are the unlabelled
 * draws, unchanged, and each label names the component, ring or arm the point was drawn from.
 * The geometric checks allow 7 standard deviations of the dataset's own noise: a 2D Gaussian
 * goes that far with probability exp(-49 / 2) < 3e-11 per point, so below 1e-6 per run over the
 * 10^4 points of a check.
 */
import { describe, expect, test } from 'vitest';
import {
  datasetClasses,
  datasetMixture,
  generateDataset,
  sampleMixture,
} from '../../src/maths/datasets';
import { Rng, Stream } from '../../src/maths/rng';
import { SEED } from '../random';

const m = 10_000;

describe(`dataset labels (SEED=${SEED})`, () => {
  for (const id of ['gaussians8', 'gaussians25'] as const) {
    test(`${id}: the same points as before, each within 7 sd of its class's mean`, () => {
      const d = generateDataset(id, m, SEED);
      const mixture = datasetMixture(id)!;
      expect(d.points).toEqual(sampleMixture(mixture, m, new Rng(SEED, Stream.dataset)));
      expect(d.labels!.length).toBe(m);
      for (let i = 0; i < m; i++) {
        const c = mixture.components[d.labels![i]!]!;
        const r = Math.hypot(d.points[2 * i]! - c.mean[0], d.points[2 * i + 1]! - c.mean[1]);
        expect(r / Math.sqrt(c.cov[0])).toBeLessThan(7);
      }
      expect(Math.max(...d.labels!)).toBeLessThan(datasetClasses(id));
    });
  }

  test('rings: each point within 7 sd of its ring (radii 0.4, 0.8, 1.2 about the centre)', () => {
    const d = generateDataset('rings', m, SEED);
    // Centring moved the points by the raw sample mean, whose norm has the scale sqrt(E|x|^2 / m),
    // E|x|^2 = (0.4^2 + 2 0.8^2 + 3 1.2^2) / 6 = 0.96 (plus the noise's, negligible): 7 of those.
    const shift = 7 * Math.sqrt(0.96 / m);
    const counts = [0, 0, 0];
    for (let i = 0; i < m; i++) {
      const label = d.labels![i]!;
      counts[label]!++;
      const r = Math.hypot(d.points[2 * i]!, d.points[2 * i + 1]!);
      expect(Math.abs(r - 0.4 * (label + 1))).toBeLessThan(7 * 0.025 + shift);
    }
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  test('moons and spiral carry 2 and 3 classes, every class present; swissroll none', () => {
    expect(new Set(generateDataset('moons', m, SEED).labels)).toEqual(new Set([0, 1]));
    expect(new Set(generateDataset('spiral', m, SEED).labels)).toEqual(new Set([0, 1, 2]));
    expect(generateDataset('swissroll', m, SEED).labels).toBeUndefined();
    expect(datasetClasses('checkerboard')).toBe(0);
  });
});
