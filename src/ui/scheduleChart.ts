/**
 * The schedule plot (uPlot): alpha_t, sigma_t and the half log-SNR lambda_t against t, the run's
 * step grid as ticks, the current t as a moving line, and, for the custom schedule, control
 * points of the lambda curve that the user drags. Dragging previews locally; releasing hands
 * the new curve to `onCurve`, which goes through the settings like every other change. While
 * the run restarts for an edit (seconds), the points show dimmed and a note says why they wait.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './panel.css';
import { formatCurve, parseCurve } from '../maths/logSnrCurve';
import {
  isVarianceExploding,
  levelAt,
  logSnr,
  type Level,
  type ScheduleParams,
} from '../maths/schedules';
import type { Settings } from '../settings/settings';
import { CHART_WIDTH } from './layout';

const SAMPLES = 241;
/** The lambda axis shows this range; lambda is infinite at t = 0 for VP schedules. */
const LAMBDA_RANGE = 20;
const COLORS = {
  alpha: '#ff9a4a',
  sigma: '#4aa8ff',
  lambda: '#b5e36b',
  grid: '#8a93a3',
  now: '#ffffff',
};

export interface ChartPoint {
  t: number;
  lambda: number;
}

/** The rule `move` keeps, in words: under the chart while the curve is editable. */
export const CURVE_RULE =
  'Drag a point: its λ stays between its neighbours’ (no higher than the left one, no lower ' +
  'than the right one), so λ never rises with t; the end points stay at t = 0 and t = 1.';
export const RESTARTING =
  'Restarting the run with an editable λ curve… the points move once it runs.';

const finiteLambda = (level: Level): number | null => {
  const l = logSnr(level);
  return Number.isFinite(l) ? Math.max(-LAMBDA_RANGE, Math.min(LAMBDA_RANGE, l)) : null;
};

export class ScheduleChart {
  readonly element: HTMLElement;
  private plot: uPlot | null = null;
  private ve = false;
  private levels: readonly Level[] = [];
  private t = 1;
  private points: ChartPoint[] = [];
  private editable = false;
  private dragging: number | null = null;
  private settings: Settings | null = null;
  /** The curve shown (dimmed, not draggable) until the run it is for has started. */
  private waiting: ChartPoint[] | null = null;
  private readonly note: HTMLElement;

  constructor(
    parent: HTMLElement,
    private readonly onCurve: (curve: string) => void,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'chart schedule-chart';
    parent.appendChild(this.element);
    this.note = document.createElement('div');
    this.note.className = 'chart-note';
    this.note.hidden = true;
    this.element.appendChild(this.note);
  }

  /** Redraws for new settings and the run's levels. */
  update(settings: Settings, levels: readonly Level[]): void {
    this.settings = settings;
    this.levels = levels;
    this.editable = settings.schedule === 'custom';
    this.points = this.editable ? parseCurve(settings.customCurve) : [];
    const ve = isVarianceExploding(settings.schedule);
    if (!this.plot || ve !== this.ve) this.create(ve);
    this.plot!.setData(this.curves(settings));
    this.showNote();
  }

  /**
   * Shows `curve`'s points at once, dimmed and with a note, and lets them be dragged once
   * `started` (the run that makes the curve the schedule) settles; on a refusal, the chart
   * shows the settings as they are again.
   */
  waitFor(started: Promise<unknown>, curve: string): void {
    const points = parseCurve(curve);
    this.waiting = points;
    this.dragging = null;
    this.showNote();
    this.plot?.redraw(false, false);
    const done = (): void => {
      if (this.waiting !== points) return;
      this.waiting = null;
      if (this.settings) this.update(this.settings, this.levels);
    };
    started.then(done, done);
  }

  /** What the note under the chart says: the wait, the rule while editable, else nothing. */
  noteText(): string | null {
    return this.waiting ? RESTARTING : this.editable ? CURVE_RULE : null;
  }

  private showNote(): void {
    const text = this.noteText();
    this.note.hidden = text === null;
    this.note.textContent = text ?? '';
    this.element.classList.toggle('waiting', this.waiting !== null);
  }

  /** Moves the current-t line (cheap: no new paths). */
  setT(t: number): void {
    if (t === this.t) return;
    this.t = t;
    this.plot?.redraw(false, false);
  }

  /** The chart's canvas, for insets in clips. */
  canvas(): HTMLCanvasElement | null {
    return this.plot?.ctx.canvas ?? null;
  }

  destroy(): void {
    this.plot?.destroy();
    this.element.remove();
  }

  private curves(params: ScheduleParams & { schedule: Settings['schedule'] }): uPlot.AlignedData {
    const ts: number[] = [];
    const alpha: number[] = [];
    const sigma: number[] = [];
    const lambda: (number | null)[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = i / (SAMPLES - 1);
      const level = levelAt(params.schedule, params, t);
      ts.push(t);
      alpha.push(level.alpha);
      sigma.push(this.ve ? Math.max(level.sigma, 1e-4) : level.sigma);
      lambda.push(finiteLambda(level));
    }
    return [ts, alpha, sigma, lambda];
  }

  private create(ve: boolean): void {
    this.plot?.destroy();
    this.ve = ve;
    const width = CHART_WIDTH;
    const height = 170;
    const axis = {
      stroke: COLORS.grid,
      grid: { stroke: 'rgba(255,255,255,0.07)' },
      ticks: { stroke: 'rgba(255,255,255,0.15)' },
    };
    this.plot = new uPlot(
      {
        width,
        height,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        legend: { show: true, live: false },
        scales: {
          x: { time: false, range: [0, 1] },
          y: ve ? { distr: 3 } : { range: [0, 1] },
          lambda: { range: [-LAMBDA_RANGE / 2, LAMBDA_RANGE / 2] },
        },
        axes: [
          { ...axis, label: 't', labelSize: 14, size: 30 },
          { ...axis, scale: 'y', size: 44 },
          { ...axis, scale: 'lambda', side: 1, size: 40, grid: { show: false } },
        ],
        series: [
          {},
          { label: 'α', stroke: COLORS.alpha, width: 1.5, scale: 'y' },
          { label: 'σ', stroke: COLORS.sigma, width: 1.5, scale: 'y' },
          { label: 'λ = log α/σ', stroke: COLORS.lambda, width: 1.5, scale: 'lambda' },
        ],
        hooks: { draw: [(u) => this.drawOverlay(u)] },
      },
      [[], [], [], []],
      this.element,
    );
    this.note.style.maxWidth = `${width}px`;
    this.element.append(this.note);
    this.plot.over.addEventListener('pointerdown', this.down);
    this.plot.over.addEventListener('pointermove', this.move);
    this.plot.over.addEventListener('pointerup', this.up);
    this.plot.over.addEventListener('pointercancel', this.up);
  }

  /** Step ticks, the current t, and the custom curve's control points. */
  private drawOverlay(u: uPlot): void {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    const px = devicePixelRatio;
    ctx.save();
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = px;
    ctx.beginPath();
    for (const level of this.levels) {
      if (level.sigma === 0) continue;
      const x = u.valToPos(level.t, 'x', true);
      ctx.moveTo(x, top + height);
      ctx.lineTo(x, top + height - 6 * px);
    }
    ctx.stroke();
    const x = u.valToPos(this.t, 'x', true);
    ctx.strokeStyle = COLORS.now;
    ctx.globalAlpha = 0.8;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.globalAlpha = 1;
    const points = this.waiting ?? (this.editable ? this.points : []);
    if (points.length) {
      ctx.fillStyle = COLORS.lambda;
      ctx.strokeStyle = '#0b0d12';
      if (this.waiting) ctx.globalAlpha = 0.35;
      for (const p of points) {
        ctx.beginPath();
        ctx.arc(
          u.valToPos(p.t, 'x', true),
          u.valToPos(p.lambda, 'lambda', true),
          5 * px,
          0,
          2 * Math.PI,
        );
        ctx.fill();
        ctx.stroke();
      }
    }
    ctx.restore();
  }

  private nearest(e: PointerEvent): number | null {
    const u = this.plot!;
    let best: number | null = null;
    let bestD = 12;
    this.points.forEach((p, i) => {
      const d = Math.hypot(
        u.valToPos(p.t, 'x') - e.offsetX,
        u.valToPos(p.lambda, 'lambda') - e.offsetY,
      );
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    return best;
  }

  private readonly down = (e: PointerEvent): void => {
    if (!this.editable || this.waiting) return;
    const i = this.nearest(e);
    if (i === null) return;
    this.dragging = i;
    this.plot!.over.setPointerCapture(e.pointerId);
    e.preventDefault();
  };

  private readonly move = (e: PointerEvent): void => {
    const u = this.plot;
    if (!u) return;
    u.over.style.cursor = this.waiting
      ? 'wait'
      : this.editable && (this.dragging !== null || this.nearest(e) !== null)
        ? 'grab'
        : '';
    if (this.dragging === null || !this.settings) return;
    const i = this.dragging;
    const prev = this.points[i - 1];
    const next = this.points[i + 1];
    const p = this.points[i]!;
    // Endpoints keep t = 0 and t = 1; lambda stays non-increasing in t and on the axis.
    const t =
      prev && next
        ? Math.min(next.t - 0.01, Math.max(prev.t + 0.01, u.posToVal(e.offsetX, 'x')))
        : p.t;
    let lambda = u.posToVal(e.offsetY, 'lambda');
    lambda = Math.min(
      prev ? prev.lambda : LAMBDA_RANGE,
      Math.max(next ? next.lambda : -LAMBDA_RANGE, lambda),
    );
    this.points[i] = { t, lambda };
    const curve = formatCurve(this.points);
    this.points = parseCurve(curve);
    u.setData(this.curves({ ...this.settings, customCurve: curve }));
  };

  private readonly up = (): void => {
    if (this.dragging === null) return;
    this.dragging = null;
    this.onCurve(formatCurve(this.points));
  };
}

/** A custom curve through the current schedule's lambda at a few t: the start of an edit. */
export function curveFromSchedule(settings: Settings, knots = 5): string {
  const points: ChartPoint[] = [];
  for (let i = 0; i < knots; i++) {
    const t = i / (knots - 1);
    const level = levelAt(settings.schedule, settings, Math.min(Math.max(t, 1e-3), 1));
    const lambda = finiteLambda(level) ?? (t === 0 ? LAMBDA_RANGE / 2 : -LAMBDA_RANGE / 2);
    points.push({ t, lambda: Math.min(lambda, points.at(-1)?.lambda ?? Infinity) });
  }
  return formatCurve(points);
}
