/**
 * Memorisation, live (image datasets): the fraction of the batch whose x0_hat sits on one
 * training image (nearest / second nearest < 1/3) against t, as the run goes. With the empirical
 * denoiser it jumps to 1 as t falls: the collapse of Biroli & Mezard, seen happening; smoothing
 * lowers it. A uPlot chart on a reversed t axis (time flows left to right) and a one-line readout.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import type { Memorisation } from '../maths/memorisation';

/** Samples kept per run. */
const RING = 1000;
const WIDTH = CHART_WIDTH;
const HEIGHT = 90;
const GRID = '#8a93a3';

export class MemorisationPanel {
  readonly element: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly plot: uPlot;
  private readonly t = new Float64Array(RING);
  private readonly memorised = new Float64Array(RING);
  private count = 0;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('section');
    this.element.className = 'memorisation-panel physics-chart';
    const title = document.createElement('h3');
    title.textContent = 'memorised (nearest / 2nd nearest < 1/3)';
    this.readout = document.createElement('p');
    this.readout.className = 'memorisation-readout';
    this.readout.textContent = 'waiting for the first measurement…';
    const host = document.createElement('div');
    this.element.append(title, host, this.readout);
    parent.append(this.element);
    const axis = { stroke: GRID, grid: { stroke: '#ffffff14' }, ticks: { stroke: '#ffffff22' } };
    this.plot = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, dir: -1, range: [0, 1] }, y: { range: [0, 1] } },
        axes: [
          { ...axis, label: 't', labelSize: 12, size: 28 },
          { ...axis, size: 34 },
        ],
        series: [{}, { stroke: '#ff5a36', width: 2, points: { show: false } }],
      },
      [[], []],
      host,
    );
  }

  /** Starts a new run's curve. */
  reset(): void {
    this.count = 0;
    this.plot.setData([[], []]);
  }

  /** One measurement at level t. */
  push(sample: Memorisation & { t: number }): void {
    if (Number.isFinite(sample.memorised) && this.count < RING) {
      this.t[this.count] = sample.t;
      this.memorised[this.count] = sample.memorised;
      this.count++;
      this.plot.setData([
        Array.from(this.t.subarray(0, this.count)),
        Array.from(this.memorised.subarray(0, this.count)),
      ]);
    }
    const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : '–');
    this.readout.textContent =
      `t ${sample.t.toFixed(3)} · memorised ${pct(sample.memorised)} · median d₁/d₂ ` +
      `${sample.ratio.toFixed(2)} · RMS to nearest ${sample.distance.toFixed(3)}` +
      (sample.nonFinite ? ` · ${sample.nonFinite} diverged` : '');
  }

  /** The latest readout line, for tests and captions. */
  get text(): string {
    return this.readout.textContent ?? '';
  }
}
