/**
 * Classes of your own points (src/settings/classes.ts): the class setting is judged against the
 * labels the custom points came with, the Guidance folder offers their names, and a subsample of
 * the points keeps each one's label.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { subsampleLabels, subsamplePoints } from '../../src/maths/datasets';
import { classCount, setCustomClassNames } from '../../src/settings/classes';
import { DEFAULTS } from '../../src/settings/settings';
import { applyPatch, emptyClassProblem } from '../../src/settings/validate';
import { classChoices, takesClass } from '../../src/ui/guidanceFolder';
import { SEED } from '../random';

afterEach(() => setCustomClassNames([]));

const custom = { ...DEFAULTS, dataset: 'custom' as const };

describe('the class setting on custom points', () => {
  test('refused while they have no labels, with how to give them some', () => {
    expect(classCount('custom')).toBe(0);
    const result = applyPatch(custom, { class: 0 });
    expect(result).toEqual({
      ok: false,
      error:
        'class must be -1 (all): custom has no class labels (your points: load a file with a label or class column, or [x, y, label] in JSON), not class 0',
    });
    expect(takesClass(custom)).toBe(false);
    expect(classChoices('custom')).toEqual({ all: -1 });
  });

  test('accepted within their classes, out of range refused', () => {
    setCustomClassNames(['cat', 'dog', 'all']);
    expect(classCount('custom')).toBe(3);
    const ok = applyPatch(custom, { class: 2, guidance: 3 });
    expect(ok.ok && ok.settings.class).toBe(2);
    expect(applyPatch(custom, { class: 3 })).toEqual({
      ok: false,
      error: 'class 3 is out of range for custom: it has 3 classes, 0 to 2 (or -1 for all)',
    });
    expect(applyPatch(custom, { class: 0, denoiser: 'gaussian' }).ok).toBe(false);
    expect(takesClass(custom)).toBe(true);
    // By the file's names; one that would hide another choice is told apart.
    expect(classChoices('custom')).toEqual({ all: -1, cat: 0, dog: 1, 'all (2)': 2 });
    // Another dataset without the class: back to all classes.
    const moons = applyPatch({ ...custom, class: 2 }, { dataset: 'moons' });
    expect(moons.ok && moons.settings.class).toBe(-1);
  });

  test('a class with no stored point among the M is refused where the data is made', () => {
    setCustomClassNames(['a', 'b', 'c']);
    const s = { ...custom, class: 1 };
    expect(emptyClassProblem(s, { labels: Uint8Array.of(0, 1, 2), mixture: null })).toBeNull();
    expect(emptyClassProblem(s, { labels: Uint8Array.of(0, 2, 2), mixture: null })).toBe(
      'class 1 has no stored points among the M = 10000 of custom (seed 1): raise M, or pick another class',
    );
  });
});

test(`a subsample keeps each point's label (SEED=${SEED})`, () => {
  // Point i is (i, -i) with label i mod 7: the subsample's labels must follow its points.
  const count = 1000;
  const points = Float32Array.from({ length: 2 * count }, (_, k) => (k % 2 ? -1 : 1) * (k >> 1));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 7);
  const kept = subsamplePoints(points, 100, SEED);
  const keptLabels = subsampleLabels(labels, 100, SEED);
  expect(keptLabels).toHaveLength(100);
  expect(new Set(kept.filter((_, k) => k % 2 === 0)).size).toBe(100);
  keptLabels.forEach((l, i) => expect(l).toBe(kept[2 * i]! % 7));
  // All of them: the same arrays.
  expect(subsampleLabels(labels, count, SEED)).toBe(labels);
});
