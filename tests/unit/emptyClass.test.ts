/**
 * A class with no stored points (settings/validate.ts emptyClassProblem): the denoisers over the
 * stored points would take a softmax over nothing (NaN), so the sandbox refuses it with this
 * message before anything changes. Small M makes such classes certain: M points fill at most M
 * classes (pigeonhole).
 */
import { describe, expect, test } from 'vitest';
import { generateDataset } from '../../src/maths/datasets';
import { classCounts } from '../../src/maths/guidance';
import { SHAPE_CLASSES, shapeLabels } from '../../src/maths/imageDatasets';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import { emptyClassProblem } from '../../src/settings/validate';

const settings = (patch: Partial<Settings>): Settings => ({ ...DEFAULTS, ...patch });

describe('a class with no stored points', () => {
  test('is refused for the denoisers over the stored points, and only then', () => {
    const m = 10;
    const data = generateDataset('gaussians25', m, 3);
    const counts = classCounts(data, 25);
    expect(counts.filter((c) => c === 0).length).toBeGreaterThanOrEqual(25 - m);
    for (const denoiser of ['empirical', 'smoothed'] as const) {
      for (let k = 0; k < 25; k++) {
        const problem = emptyClassProblem(
          settings({ dataset: 'gaussians25', m, seed: 3, denoiser, class: k }),
          data,
        );
        if (counts[k] === 0)
          expect(problem).toMatch(
            new RegExp(`class ${k} has no stored points among the M = 10 of gaussians25`),
          );
        else expect(problem).toBeNull();
      }
    }
  });

  test('is no problem for the mixture (exact) or for all classes', () => {
    const data = generateDataset('gaussians25', 10, 3);
    const empty = classCounts(data, 25).indexOf(0);
    expect(empty).toBeGreaterThanOrEqual(0);
    const s = settings({ dataset: 'gaussians25', m: 10, seed: 3 });
    expect(emptyClassProblem({ ...s, denoiser: 'exact', class: empty }, data)).toBeNull();
    expect(emptyClassProblem({ ...s, denoiser: 'empirical', class: -1 }, data)).toBeNull();
    expect(emptyClassProblem({ ...s, denoiser: 'empirical', class: empty }, data)).toMatch(
      /or the exact denoiser/,
    );
  });

  test('is refused for images: a shape kind none of the M shapes has', () => {
    const m = 3;
    const labels = shapeLabels(m, 5);
    const data = { labels, mixture: null };
    const counts = classCounts(data, SHAPE_CLASSES.length);
    expect(counts.filter((c) => c === 0).length).toBeGreaterThanOrEqual(SHAPE_CLASSES.length - m);
    for (const denoiser of ['exact', 'empirical', 'smoothed'] as const)
      for (let k = 0; k < SHAPE_CLASSES.length; k++) {
        const s = settings({ dataset: 'shapes', m, seed: 5, n: 8, denoiser, class: k });
        if (counts[k] === 0)
          expect(emptyClassProblem(s, data)).toBe(
            `class ${k} has no stored points among the M = 3 of shapes (seed 5): raise M, or pick another class`,
          );
        else expect(emptyClassProblem(s, data)).toBeNull();
      }
  });

  test('is refused for the exact denoiser of data without a mixture (its stored points)', () => {
    const data = generateDataset('moons', 1, 1);
    const missing = data.labels![0] === 0 ? 1 : 0;
    const s = settings({ dataset: 'moons', m: 1, denoiser: 'exact' });
    expect(emptyClassProblem({ ...s, class: missing }, data)).toMatch(
      /raise M, or pick another class$/,
    );
    expect(emptyClassProblem({ ...s, class: 1 - missing }, data)).toBeNull();
  });
});
