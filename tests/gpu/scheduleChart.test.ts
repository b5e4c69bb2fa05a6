/**
 * The λ-curve editor of the schedule chart (src/ui/scheduleChart.ts) in the real browser: while
 * the run restarts for an edit, its points show at once but wait, and a note says so; once the
 * run has started, a drag moves a point within the rule the note states.
 */
import { afterEach, expect, test } from 'vitest';
import type uPlot from 'uplot';
import { parseCurve } from '../../src/maths/logSnrCurve';
import { runLevels } from '../../src/settings/runSpec';
import { DEFAULTS, type Settings } from '../../src/settings/settings';
import {
  CURVE_RULE,
  curveFromSchedule,
  RESTARTING,
  ScheduleChart,
} from '../../src/ui/scheduleChart';

let chart: ScheduleChart | null = null;
afterEach(() => chart?.destroy());

/** Drags the curve's point i straight up by `dy` CSS pixels, as a mouse would. */
function drag(over: HTMLElement, x: number, y: number, dy: number): void {
  const box = over.getBoundingClientRect();
  const at = (type: string, yy: number): void => {
    over.dispatchEvent(
      new PointerEvent(type, {
        pointerId: 1,
        bubbles: true,
        clientX: box.left + x,
        clientY: box.top + yy,
      }),
    );
  };
  at('pointerdown', y);
  at('pointermove', y + dy);
  at('pointerup', y + dy);
}

test('points wait, with a note, until the run restarts; then drags follow the stated rule', async () => {
  const sent: string[] = [];
  chart = new ScheduleChart(document.body, (curve) => sent.push(curve));
  const before: Settings = { ...DEFAULTS, schedule: 'cosine' };
  chart.update(before, runLevels(before));
  const note = chart.element.querySelector<HTMLElement>('.chart-note')!;
  expect(note.hidden).toBe(true);

  const curve = curveFromSchedule(before);
  let start = (): void => undefined;
  const started = new Promise<void>((resolve) => (start = resolve));
  chart.waitFor(started, curve);
  expect([note.hidden, note.textContent]).toEqual([false, RESTARTING]);
  // The middle point, where the plot draws it (uPlot's own scale, in CSS pixels, once drawn).
  await new Promise(requestAnimationFrame);
  const over = chart.element.querySelector<HTMLElement>('.u-over')!;
  const plot = (chart as unknown as { plot: uPlot }).plot;
  const middle = parseCurve(curve)[2]!;
  const x = plot.valToPos(middle.t, 'x');
  const y = plot.valToPos(middle.lambda, 'lambda');
  drag(over, x, y, -10);
  // The settings arrive (the run is built) before the promise settles: still waiting.
  const custom: Settings = { ...before, schedule: 'custom', customCurve: curve };
  chart.update(custom, runLevels(custom));
  expect(note.textContent).toBe(RESTARTING);
  drag(over, x, y, -10);
  expect(sent).toEqual([]);

  start();
  await started;
  expect([note.hidden, note.textContent]).toEqual([false, CURVE_RULE]);
  // Dragged far up, the point stops at its left neighbour's λ: λ stays non-increasing.
  drag(over, x, y, -1000);
  expect(sent).toHaveLength(1);
  const moved = parseCurve(sent[0]!);
  const left = parseCurve(curve)[1]!;
  expect(moved[2]!.lambda).toBeCloseTo(left.lambda, 3);
  for (let i = 1; i < moved.length; i++)
    expect(moved[i]!.lambda).toBeLessThanOrEqual(moved[i - 1]!.lambda);
});

test('a refused edit puts the chart back as the settings are, with no note', async () => {
  chart = new ScheduleChart(document.body, () => undefined);
  const before: Settings = { ...DEFAULTS, schedule: 'cosine' };
  chart.update(before, runLevels(before));
  const refused = Promise.reject(new Error('refused'));
  chart.waitFor(refused, curveFromSchedule(before));
  await refused.catch(() => undefined);
  const note = chart.element.querySelector<HTMLElement>('.chart-note')!;
  expect(note.hidden).toBe(true);
  expect(chart.element.classList.contains('waiting')).toBe(false);
});
