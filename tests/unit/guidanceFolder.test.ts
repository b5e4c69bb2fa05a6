import { describe, expect, it } from 'vitest';
import { datasetClasses } from '../../src/maths/datasets';
import { SHAPE_CLASSES } from '../../src/maths/imageDatasets';
import { DEFAULTS } from '../../src/settings/settings';
import { conditionProblem } from '../../src/settings/validate';
import { classChoices, takesClass } from '../../src/ui/guidanceFolder';

describe('the Guidance folder', () => {
  it('offers all and every class of a dataset by a readable name', () => {
    expect(classChoices('moons')).toEqual({ all: -1, 'moon 0': 0, 'moon 1': 1 });
    expect(classChoices('rings')).toEqual({ all: -1, 'ring 0': 0, 'ring 1': 1, 'ring 2': 2 });
    expect(Object.keys(classChoices('spiral'))).toEqual(['all', 'arm 0', 'arm 1', 'arm 2']);
    const modes = classChoices('gaussians25');
    expect(Object.values(modes)).toEqual(Array.from({ length: 26 }, (_, k) => k - 1));
    expect(modes['mode 24']).toBe(24);
    expect(classChoices('swissroll')).toEqual({ all: -1 });
  });

  it("names MNIST's classes by digit and the shapes by their kind", () => {
    const digits = classChoices('mnist');
    expect(Object.keys(digits)).toEqual([
      'all',
      ...Array.from({ length: 10 }, (_, k) => `digit ${k}`),
    ]);
    expect(digits['digit 7']).toBe(7);
    expect(classChoices('shapes')).toEqual({
      all: -1,
      disc: 0,
      ring: 1,
      square: 2,
      triangle: 3,
      cross: 4,
      bar: 5,
    });
    // Each name is the one generateShapes draws for that label.
    expect(Object.keys(classChoices('shapes')).slice(1)).toEqual([...SHAPE_CLASSES]);
    expect(classChoices('colour')).toEqual({ all: -1 });
  });

  it('is shown exactly where the validation takes a class', () => {
    for (const dataset of [
      'gaussians8',
      'moons',
      'swissroll',
      'custom',
      'mnist',
      'shapes',
      'colour',
    ] as const)
      for (const denoiser of ['exact', 'empirical', 'smoothed', 'gaussian', 'learned'] as const)
        for (const labelDropout of [1, 0.1]) {
          const s = { ...DEFAULTS, dataset, denoiser, n: 8, class: 0, labelDropout };
          const what = `${dataset} ${denoiser} labelDropout ${labelDropout}`;
          expect(takesClass(s), what).toBe(conditionProblem(s) === null);
        }
    expect(datasetClasses('swissroll')).toBe(0);
  });
});
