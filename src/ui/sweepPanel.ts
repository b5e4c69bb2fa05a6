/**
 * The quality-vs-NFE panel: progress and cancel while a sweep runs, then the distance to the
 * data against NFE on log axes (as the DPM-Solver and EDM papers plot FID), with the
 * sample-vs-sample floor, and export as CSV and PNG. A button switches the y axis to the paths'
 * straightness (points), to set rectified-flow Euler beside cosine DDIM at the same NFE.
 */
import uPlot from 'uplot';
import type { SweepOptions, SweepResult, SweepRow } from '../sim/experiments/sweep';
import { sweepCsv } from '../sim/experiments/sweep';
import { CHART_WIDTH } from './layout';
import { download } from './presetsFolder';
import { curveStyle, legendLabels, sweepTitle } from './sweepLegend';

/** What the chart's y axis shows: a reading of every row. */
export type SweepMetric = 'distance' | 'straightness';

/** The chart's data: x = every NFE that occurs, one series per (sampler, schedule). */
export function sweepSeries(
  rows: readonly SweepRow[],
  metric: SweepMetric = 'distance',
): {
  x: number[];
  series: { label: string; y: (number | null)[] }[];
} {
  const x = [...new Set(rows.map((r) => r.nfe))].sort((a, b) => a - b);
  const labels = [...new Set(rows.map((r) => `${r.sampler} · ${r.schedule}`))];
  const series = labels.map((label) => ({
    label,
    y: x.map((nfe) => {
      const value = rows.find((r) => `${r.sampler} · ${r.schedule}` === label && r.nfe === nfe)?.[
        metric
      ];
      // Not measured (images' straightness) or not positive (no point on the log axis): a gap.
      return value !== undefined && value > 0 ? value : null;
    }),
  }));
  return { x, series };
}

export class SweepPanel {
  readonly element: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly label: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly buttons: HTMLElement;
  private plot: uPlot | null = null;
  private result: SweepResult | null = null;
  private started = 0;
  private abort: AbortController | null = null;
  /** The dataset swept, for the exported PNG's title. */
  private dataset = '';
  private metric: SweepMetric = 'distance';
  private readonly metricButton: HTMLButtonElement;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'sweep-panel';
    this.element.hidden = true;
    this.element.innerHTML = `
      <div class="sweep-head"><b>Quality vs NFE</b><span class="sweep-label"></span></div>
      <progress max="1" value="0"></progress>
      <div class="sweep-chart"></div>
      <div class="sweep-buttons">
        <button data-act="cancel">Cancel</button>
        <button data-act="metric" disabled>y: straightness</button>
        <button data-act="csv" disabled>CSV</button>
        <button data-act="png" disabled>PNG</button>
        <button data-act="close">Close</button>
      </div>`;
    parent.appendChild(this.element);
    this.bar = this.element.querySelector('progress')!;
    this.label = this.element.querySelector('.sweep-label')!;
    this.chart = this.element.querySelector('.sweep-chart')!;
    this.buttons = this.element.querySelector('.sweep-buttons')!;
    this.metricButton = this.buttons.querySelector('[data-act=metric]')!;
    this.buttons.addEventListener('click', (e) => {
      const act = (e.target as HTMLElement).dataset.act;
      if (act === 'cancel') this.abort?.abort();
      else if (act === 'close') this.element.hidden = true;
      else if (act === 'csv' && this.result)
        download(new Blob([sweepCsv(this.result)], { type: 'text/csv' }), 'sweep.csv');
      else if (act === 'png') this.exportPng();
      else if (act === 'metric' && this.result)
        this.setMetric(this.metric === 'distance' ? 'straightness' : 'distance');
    });
  }

  /**
   * Runs one sweep into the panel: progress, cancel, then the chart. Rejects with real failures
   * (a cancel is shown, not thrown).
   */
  async run(
    total: number,
    sweep: (options: SweepOptions) => Promise<SweepResult>,
    dataset: string,
  ): Promise<void> {
    if (this.abort) throw new Error('A sweep is already running.');
    this.dataset = dataset;
    const abort = new AbortController();
    this.abort = abort;
    const rows: SweepRow[] = [];
    this.start(total);
    try {
      this.finish(
        await sweep({
          signal: abort.signal,
          onProgress: (done, all, row) => {
            if (row) rows.push(row);
            this.progress(done, all, rows);
          },
        }),
      );
    } catch (e) {
      const cancelled = e instanceof DOMException && e.name === 'AbortError';
      this.fail(cancelled ? 'Cancelled.' : e instanceof Error ? e.message : String(e));
      if (!cancelled) throw e;
    } finally {
      this.abort = null;
    }
  }

  private start(total: number): void {
    this.element.hidden = false;
    this.result = null;
    this.started = performance.now();
    this.bar.max = total;
    this.bar.value = 0;
    this.label.textContent = `0 / ${total}`;
    this.setButtons(true);
    this.draw({ rows: [], floor: null, points: 0 });
  }

  private progress(done: number, total: number, rows: readonly SweepRow[]): void {
    this.bar.value = done;
    const elapsed = (performance.now() - this.started) / 1000;
    const left = done > 0 ? (elapsed / done) * (total - done) : NaN;
    this.label.textContent = `${done} / ${total}${Number.isFinite(left) ? ` · about ${Math.ceil(left)} s left` : ''}`;
    this.draw({ rows: [...rows], floor: null, points: 0 });
  }

  private finish(result: SweepResult): void {
    this.result = result;
    this.bar.value = this.bar.max;
    const floor = result.floor === null ? '' : ` · floor ${result.floor.toPrecision(3)}`;
    // Images say what their distance is (not the points' sliced W2), and so does a class's.
    const images = result.metric && !result.metric.startsWith('sliced');
    const named = images || (result.class ?? -1) !== -1 ? ` · ${result.metric}` : '';
    this.label.textContent = `${result.rows.length} runs, ${result.points} ${images ? 'images' : 'particles'}${named}${floor}`;
    this.setButtons(false);
    this.draw(result);
  }

  private fail(message: string): void {
    this.label.textContent = message;
    this.setButtons(false);
  }

  /** Shows `metric` on the y axis (the button offers the other). */
  private setMetric(metric: SweepMetric): void {
    this.metric = metric;
    this.metricButton.textContent = `y: ${metric === 'distance' ? 'straightness' : 'distance'}`;
    if (this.result) this.draw(this.result);
  }

  private setButtons(running: boolean): void {
    for (const b of this.buttons.querySelectorAll('button')) {
      b.disabled =
        b.dataset.act === 'cancel'
          ? !running
          : b.dataset.act === 'close'
            ? false
            : running || !this.result;
    }
  }

  private draw(result: SweepResult): void {
    const distance = this.metric === 'distance';
    const { x, series } = sweepSeries(result.rows, this.metric);
    const labels = legendLabels(series);
    const data: uPlot.AlignedData = [x, ...series.map((s) => s.y)];
    const floorY = distance ? result.floor : null;
    const opts: uPlot.Options = {
      width: CHART_WIDTH,
      height: 220,
      // The NFE axis spans exactly the NFE run (the default rounds out to powers of ten).
      scales: {
        x: { time: false, distr: 3, range: (_u, min, max) => [Math.max(1, min), max] },
        y: { distr: 3 },
      },
      legend: { live: false },
      axes: [
        {
          stroke: '#8a93a3',
          label: 'NFE (denoiser evaluations)',
          grid: { stroke: 'rgba(255,255,255,0.07)' },
        },
        {
          stroke: '#8a93a3',
          label: distance ? distanceAxis(result) : 'path excess L / D − 1',
          size: 60,
          grid: { stroke: 'rgba(255,255,255,0.07)' },
        },
      ],
      series: [
        {},
        ...series.map((_, i) => {
          const style = curveStyle(i);
          return {
            label: labels[i]!,
            stroke: style.colour,
            dash: style.dash,
            width: 1.5,
            spanGaps: true,
            points: {
              size: style.pointSize,
              stroke: style.colour,
              fill: style.hollow ? 'rgba(0,0,0,0)' : style.colour,
            },
          };
        }),
      ],
      hooks: {
        draw: [
          (u) => {
            if (floorY === null || floorY <= 0) return;
            const y = u.valToPos(floorY, 'y', true);
            const ctx = u.ctx;
            ctx.save();
            ctx.setLineDash([6, 4]);
            ctx.strokeStyle = '#d7dce5';
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    };
    this.plot?.destroy();
    this.plot = new uPlot(opts, data, this.chart);
  }

  /**
   * The chart's canvas on the page's background, with a title (what was swept over what, and
   * the floor the dashed line marks) above and a legend (each curve's colour, dash and
   * marker) below.
   */
  private exportPng(): void {
    if (!this.plot || !this.result) return;
    const px = devicePixelRatio;
    const source = this.plot.ctx.canvas;
    const { series } = sweepSeries(this.result.rows, this.metric);
    const labels = legendLabels(series);
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d')!;
    const font = (size: number, bold = false): string =>
      `${bold ? 'bold ' : ''}${size * px}px system-ui, sans-serif`;
    const width = source.width;
    const [what, floor] =
      this.metric === 'distance'
        ? sweepTitle(this.result, this.dataset)
        : [
            sweepTitle(this.result, this.dataset)[0],
            'path straightness: the mean excess path length L / D − 1 (0: straight)',
          ];
    ctx.font = font(13, true);
    const titleLines = wrap(ctx, what, width - 20 * px);
    ctx.font = font(12);
    const floorLines = wrap(ctx, floor, width - 20 * px);
    const line = 18 * px;
    const head = line * (titleLines.length + floorLines.length) + 8 * px;
    const swatch = 34 * px;
    const widest = Math.max(...labels.map((l) => ctx.measureText(l).width));
    const columns = Math.max(1, Math.min(3, Math.floor(width / (widest + swatch + 20 * px))));
    const legend = 22 * px;
    canvas.width = width;
    canvas.height = head + source.height + legend * Math.ceil(series.length / columns);
    ctx.fillStyle = '#0b0d12';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#d7dce5';
    ctx.font = font(13, true);
    titleLines.forEach((text, i) => ctx.fillText(text, 10 * px, line * (i + 0.8)));
    ctx.font = font(12);
    floorLines.forEach((text, i) =>
      ctx.fillText(text, 10 * px, line * (titleLines.length + i + 0.8)),
    );
    ctx.drawImage(source, 0, head);
    labels.forEach((label, i) => {
      const style = curveStyle(i);
      const x = 10 * px + (i % columns) * (width / columns);
      const y = head + source.height + legend * (Math.floor(i / columns) + 0.7);
      ctx.strokeStyle = style.colour;
      ctx.lineWidth = 2 * px;
      ctx.setLineDash(style.dash.map((d) => d * px));
      ctx.beginPath();
      ctx.moveTo(x, y - 4 * px);
      ctx.lineTo(x + 26 * px, y - 4 * px);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = px;
      ctx.beginPath();
      ctx.arc(x + 13 * px, y - 4 * px, (style.pointSize / 2) * px, 0, 2 * Math.PI);
      ctx.fillStyle = style.colour;
      if (!style.hollow) ctx.fill();
      ctx.stroke();
      ctx.fillStyle = '#d7dce5';
      ctx.fillText(label, x + swatch, y);
    });
    canvas.toBlob((blob) => {
      if (blob) download(blob, 'sweep.png');
    }, 'image/png');
  }
}

/** `text` in lines no wider than `width` in ctx's font, broken at its ' · ' separators. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const part of text.split(' · ')) {
    const last = lines.at(-1);
    if (last !== undefined && ctx.measureText(`${last} · ${part}`).width <= width)
      lines[lines.length - 1] = `${last} · ${part}`;
    else lines.push(part);
  }
  return lines;
}

/** The y axis of the distance: to the data, or to the class the sweep measured against. */
function distanceAxis(result: SweepResult): string {
  const images = result.metric !== undefined && !result.metric.startsWith('sliced');
  const all = (result.class ?? -1) === -1;
  if (images)
    return all ? 'RMS to nearest training image' : `RMS to nearest class ${result.class} image`;
  return all ? 'sliced W2 to the data' : `sliced W2 to class ${result.class}`;
}
