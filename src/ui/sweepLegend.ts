/**
 * How the sweep chart tells its curves apart and says what it shows: a colour, dash pattern and
 * point marker per curve; a legend that names curves drawn on top of each other (DDIM at eta = 0
 * and Euler give the same points, so one curve hid the other and its legend entry looked
 * missing); and the title lines of the exported PNG. Pure: no DOM.
 */
import type { SweepResult } from '../sim/experiments/sweep';

const PALETTE = [
  '#ff9a4a',
  '#4aa8ff',
  '#b5e36b',
  '#f06bd0',
  '#ffd84a',
  '#6bf0e0',
  '#c49bff',
  '#ff6b6b',
  '#9be3ff',
  '#e8c39e',
  '#7dff9b',
  '#ffffff',
];
/** Solid, dashed, dotted, dash-dot: a curve over another shows the one below in its gaps. */
const DASHES: readonly (readonly number[])[] = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
/** Point diameters (px): points on the same spot show as a dot in rings. */
const POINT_SIZES = [5, 9, 13];

export interface CurveStyle {
  colour: string;
  dash: number[];
  /** Point diameter in CSS pixels. */
  pointSize: number;
  /** Hollow points (a ring) rather than filled. */
  hollow: boolean;
}

/** Curve i's look: colour, dash and marker vary at different periods, so neighbours differ. */
export function curveStyle(i: number): CurveStyle {
  return {
    colour: PALETTE[i % PALETTE.length]!,
    dash: [...DASHES[i % DASHES.length]!],
    pointSize: POINT_SIZES[i % POINT_SIZES.length]!,
    // Only the smallest filled: bigger rings leave the points under them in sight.
    hollow: i % POINT_SIZES.length !== 0,
  };
}

/**
 * Two curves whose distances differ by less than this fraction at every NFE are one line on the
 * chart: on its log axis (about 230 px for a decade or two) a pixel is a ratio of 1 to 2 %.
 */
export const SAME_CURVE = 1e-3;

/** Curve i's coincidence: the first earlier curve it lies on (-1: none), and whether exactly. */
export interface Coincidence {
  with: number;
  exact: boolean;
}

/** For each curve, the first earlier one with its points at the same NFE within SAME_CURVE. */
export function coincidences(series: readonly { y: readonly (number | null)[] }[]): Coincidence[] {
  return series.map((s, i) => {
    for (let j = 0; j < i; j++) {
      const other = series[j]!.y;
      let shared = 0;
      let worst = 0;
      let same = s.y.length === other.length;
      for (let k = 0; same && k < s.y.length; k++) {
        const a = s.y[k] ?? null;
        const b = other[k] ?? null;
        if (a === null || b === null) {
          same = a === b;
          continue;
        }
        shared++;
        worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30));
      }
      if (same && shared > 0 && worst <= SAME_CURVE) return { with: j, exact: worst === 0 };
    }
    return { with: -1, exact: false };
  });
}

/** The legend's labels: a curve on top of an earlier one names it. */
export function legendLabels(
  series: readonly { label: string; y: readonly (number | null)[] }[],
): string[] {
  const found = coincidences(series);
  return series.map((s, i) => {
    const c = found[i]!;
    if (c.with < 0) return s.label;
    const what = c.exact ? 'identical curves' : `curves within ${SAME_CURVE * 100}%`;
    return `${s.label} = ${series[c.with]!.label} (${what})`;
  });
}

/** The exported PNG's title lines: what was swept, over what, and the floor the chart draws. */
export function sweepTitle(result: SweepResult, dataset: string): [string, string] {
  const images = result.metric !== undefined && !result.metric.startsWith('sliced');
  const schedules = [...new Set(result.rows.map((r) => r.schedule))].join(', ');
  const samplers = [...new Set(result.rows.map((r) => r.sampler))].join(', ');
  const metric = result.metric ?? 'sliced Wasserstein-2 to the data';
  return [
    `Quality vs NFE · ${dataset} · ${result.points} ${images ? 'images' : 'particles'} · schedules: ${schedules} · samplers: ${samplers}`,
    result.floor === null
      ? `${metric} · no sample-vs-sample floor${images ? ' (the training images are at 0)' : ''}`
      : `${metric} · dashed line: sample-vs-sample floor ${result.floor.toPrecision(3)}`,
  ];
}
