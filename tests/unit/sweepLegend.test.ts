/** The sweep chart's curves told apart, its legend naming coinciding curves, and the PNG's title. */
import { describe, expect, test } from 'vitest';
import type { SweepResult } from '../../src/sim/experiments/sweep';
import {
  coincidences,
  curveStyle,
  legendLabels,
  SAME_CURVE,
  sweepTitle,
} from '../../src/ui/sweepLegend';

const y = [0.31, 0.12, 0.05, null];

describe('coinciding curves', () => {
  test('a curve on an earlier one is found, exactly or within SAME_CURVE, and not beyond', () => {
    const series = [
      { label: 'ddim · cosine', y },
      { label: 'heun · cosine', y: [0.2, 0.08, 0.04, 0.03] },
      { label: 'euler · cosine', y: [...y] },
      { label: 'ddim · karras', y: y.map((v) => (v === null ? null : v * (1 + SAME_CURVE / 2))) },
      {
        label: 'euler · karras',
        y: y.map((v) => (v === null ? null : v * (1 + 1.4 * SAME_CURVE))),
      },
      // Same values where both have one, but a point where the other has none: not one line.
      { label: 'dpm2 · cosine', y: [0.31, 0.12, 0.05, 0.02] },
    ];
    expect(coincidences(series)).toEqual([
      { with: -1, exact: false },
      { with: -1, exact: false },
      { with: 0, exact: true },
      { with: 0, exact: false },
      // 1.4 SAME_CURVE off curve 0, but 0.9 SAME_CURVE off curve 3: one line with curve 3.
      { with: 3, exact: false },
      { with: -1, exact: false },
    ]);
    expect(legendLabels(series.slice(0, 3))).toEqual([
      'ddim · cosine',
      'heun · cosine',
      'euler · cosine = ddim · cosine (identical curves)',
    ]);
    expect(legendLabels([series[0]!, series[3]!])[1]).toBe(
      `ddim · karras = ddim · cosine (curves within ${SAME_CURVE * 100}%)`,
    );
  });

  test('neighbouring curves differ in dash and in marker, so one drawn over another shows both', () => {
    for (let i = 0; i < 11; i++) {
      const [a, b] = [curveStyle(i), curveStyle(i + 1)];
      expect(a.colour).not.toBe(b.colour);
      expect(a.dash).not.toEqual(b.dash);
      expect([a.pointSize, a.hollow]).not.toEqual([b.pointSize, b.hollow]);
    }
  });
});

describe('the PNG title', () => {
  const rows = [
    { sampler: 'ddim', schedule: 'cosine', nfe: 10, steps: 10, distance: 0.1 },
    { sampler: 'euler', schedule: 'karras', nfe: 10, steps: 10, distance: 0.1 },
  ] as SweepResult['rows'];

  test('says the dataset, the particles, the schedules and the floor the chart draws', () => {
    const points: SweepResult = { rows, floor: 0.0123456, points: 1024 };
    expect(sweepTitle(points, 'gaussians8')).toEqual([
      'Quality vs NFE · gaussians8 · 1024 particles · schedules: cosine, karras · samplers: ddim, euler',
      'sliced Wasserstein-2 to the data · dashed line: sample-vs-sample floor 0.0123',
    ]);
    const images: SweepResult = { rows, floor: null, points: 64, metric: 'mean distance' };
    expect(sweepTitle(images, 'mnist')).toEqual([
      'Quality vs NFE · mnist · 64 images · schedules: cosine, karras · samplers: ddim, euler',
      'mean distance · no sample-vs-sample floor (the training images are at 0)',
    ]);
  });
});
