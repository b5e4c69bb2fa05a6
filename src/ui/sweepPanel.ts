/**
 * The quality-vs-NFE panel: progress and cancel while a sweep runs, then the distance to the
 * data against NFE on log axes (as the DPM-Solver and EDM papers plot FID), with the
 * sample-vs-sample floor, and export as CSV and PNG.
 */
import uPlot from 'uplot';
import type { SweepOptions, SweepResult, SweepRow } from '../sim/experiments/sweep';
import { sweepCsv } from '../sim/experiments/sweep';
import { CHART_WIDTH } from './layout';
import { download } from './presetsFolder';

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

/** The chart's data: x = every NFE that occurs, one series per (sampler, schedule). */
export function sweepSeries(rows: readonly SweepRow[]): {
  x: number[];
  series: { label: string; y: (number | null)[] }[];
} {
  const x = [...new Set(rows.map((r) => r.nfe))].sort((a, b) => a - b);
  const labels = [...new Set(rows.map((r) => `${r.sampler} · ${r.schedule}`))];
  const series = labels.map((label) => ({
    label,
    y: x.map(
      (nfe) =>
        rows.find((r) => `${r.sampler} · ${r.schedule}` === label && r.nfe === nfe)?.distance ??
        null,
    ),
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
        <button data-act="csv" disabled>CSV</button>
        <button data-act="png" disabled>PNG</button>
        <button data-act="close">Close</button>
      </div>`;
    parent.appendChild(this.element);
    this.bar = this.element.querySelector('progress')!;
    this.label = this.element.querySelector('.sweep-label')!;
    this.chart = this.element.querySelector('.sweep-chart')!;
    this.buttons = this.element.querySelector('.sweep-buttons')!;
    this.buttons.addEventListener('click', (e) => {
      const act = (e.target as HTMLElement).dataset.act;
      if (act === 'cancel') this.abort?.abort();
      else if (act === 'close') this.element.hidden = true;
      else if (act === 'csv' && this.result)
        download(new Blob([sweepCsv(this.result)], { type: 'text/csv' }), 'sweep.csv');
      else if (act === 'png') this.exportPng();
    });
  }

  /**
   * Runs one sweep into the panel: progress, cancel, then the chart. Rejects with real failures
   * (a cancel is shown, not thrown).
   */
  async run(total: number, sweep: (options: SweepOptions) => Promise<SweepResult>): Promise<void> {
    if (this.abort) throw new Error('A sweep is already running.');
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
    // Images say what their distance is: not the points' sliced W2.
    const images = result.metric && !result.metric.startsWith('sliced');
    this.label.textContent = `${result.rows.length} runs, ${result.points} ${images ? `images · ${result.metric}` : 'particles'}${floor}`;
    this.setButtons(false);
    this.draw(result);
  }

  private fail(message: string): void {
    this.label.textContent = message;
    this.setButtons(false);
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
    const { x, series } = sweepSeries(result.rows);
    const data: uPlot.AlignedData = [x, ...series.map((s) => s.y)];
    const floorY = result.floor;
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
          label: 'sliced W2 to the data',
          size: 60,
          grid: { stroke: 'rgba(255,255,255,0.07)' },
        },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length]!,
          width: 1.5,
          spanGaps: true,
          points: { size: 5 },
        })),
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

  /** The chart's canvas with a legend drawn in, on the page's background. */
  private exportPng(): void {
    if (!this.plot || !this.result) return;
    const source = this.plot.ctx.canvas;
    const { series } = sweepSeries(this.result.rows);
    const legend = 22 * devicePixelRatio;
    const canvas = document.createElement('canvas');
    canvas.width = source.width;
    canvas.height = source.height + legend * Math.ceil(series.length / 3);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#0b0d12';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(source, 0, 0);
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    series.forEach((s, i) => {
      const x = 10 * devicePixelRatio + (i % 3) * (canvas.width / 3);
      const y = source.height + legend * (Math.floor(i / 3) + 0.7);
      ctx.fillStyle = PALETTE[i % PALETTE.length]!;
      ctx.fillRect(x, y - 8 * devicePixelRatio, 14 * devicePixelRatio, 4 * devicePixelRatio);
      ctx.fillStyle = '#d7dce5';
      ctx.fillText(s.label, x + 20 * devicePixelRatio, y);
    });
    canvas.toBlob((blob) => {
      if (blob) download(blob, 'sweep.png');
    }, 'image/png');
  }
}
