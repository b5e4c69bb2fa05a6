/**
 * The generalisation experiment's panel (issue 14): against N (images per network, log axis) the
 * similarity of the two networks' samples from the same noise and their memorised fraction, with
 * the switch marked; the memorised fraction against the training step for each N; and for each N
 * the samples side by side (A over B) above their nearest training images. Hidden until the
 * experiment runs; fed by its progress.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import type { GeneralisationResult } from '../sandbox/generalisationExperiment';

const HEIGHT = 100;
const GRID = '#8a93a3';
const axis = { stroke: GRID, grid: { stroke: '#ffffff14' }, ticks: { stroke: '#ffffff22' } };
const SIMILARITY = '#4fc3f7';
const MEMORISED = '#ff5a36';
/** Pairs drawn per N; the width of their labels; an image's cell fills the rest of the width. */
const PAIRS = 4;
const LABEL = 48;
const CELL = Math.floor((CHART_WIDTH - LABEL) / PAIRS);

export class GeneralisationPanel {
  readonly element: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly versusN: uPlot;
  private readonly versusStep: uPlot;
  private readonly samples: HTMLCanvasElement;
  private switchAt: number | null = null;
  /** Whether a result has been shown: the panel stays hidden until one has. */
  private shown = false;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('section');
    this.element.className = 'generalisation-panel physics-chart';
    this.element.hidden = true;
    const title = document.createElement('h3');
    title.textContent = 'generalisation vs N: two U-Nets on disjoint images';
    // The curves' key, in their colours (an axis label this long would be cut).
    const key = document.createElement('p');
    key.className = 'generalisation-key';
    for (const [text, colour] of [
      ['● similarity of the two samples', SIMILARITY],
      ['  ● memorised', MEMORISED],
      ['  ┆ switch', '#ffd54f'],
    ] as const) {
      const span = document.createElement('span');
      span.textContent = text;
      span.style.color = colour;
      key.append(span);
    }
    const nHost = document.createElement('div');
    this.readout = document.createElement('p');
    this.readout.className = 'generalisation-readout';
    const stepTitle = document.createElement('h3');
    stepTitle.textContent = 'memorised (d₁/d₂ < 1/3) vs step, each N';
    const stepHost = document.createElement('div');
    const samplesTitle = document.createElement('h3');
    samplesTitle.textContent = 'same noise: A over B, then their nearest training images';
    this.samples = document.createElement('canvas');
    this.samples.className = 'generalisation-samples';
    this.element.append(
      title,
      key,
      nHost,
      this.readout,
      stepTitle,
      stepHost,
      samplesTitle,
      this.samples,
    );
    parent.prepend(this.element);
    this.versusN = new uPlot(
      {
        width: CHART_WIDTH,
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
        axes: [
          { ...axis, label: 'N (images per network)', labelSize: 12, size: 28 },
          { ...axis, size: 36, space: 16 },
        ],
        series: [
          {},
          { stroke: SIMILARITY, width: 1.5, points: { show: true, size: 5 } },
          { stroke: MEMORISED, width: 1.5, points: { show: true, size: 5 } },
        ],
        // The switch: a dashed line where the memorised fraction falls through 1/2.
        hooks: {
          draw: [
            (u: uPlot) => {
              if (this.switchAt === null) return;
              const x = u.valToPos(this.switchAt, 'x', true);
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = '#ffd54f';
              ctx.setLineDash([4, 3]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      },
      [[], [], []],
      nHost,
    );
    this.versusStep = new uPlot(
      {
        width: CHART_WIDTH,
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [
          { ...axis, label: 'step', labelSize: 12, size: 28 },
          { ...axis, size: 36, space: 16 },
        ],
        series: [{}],
      },
      [[]],
      stepHost,
    );
  }

  /** Shown on image datasets once there is something to show. */
  setImages(images: boolean): void {
    this.element.hidden = !images || !this.shown;
  }

  show(r: GeneralisationResult): void {
    this.shown = true;
    this.element.hidden = false;
    const done = r.pairs.map((p) => p.n);
    const last = (n: number) => r.rows.filter((row) => row.n === n).at(-1);
    const memorised = (n: number): number | null => {
      const row = last(n);
      return row ? (row.memorised[0] + row.memorised[1]) / 2 : null;
    };
    this.switchAt = r.switchN;
    this.versusN.setData([
      done,
      done.map((n) => last(n)?.similarity ?? null),
      done.map(memorised),
    ] as uPlot.AlignedData);
    this.showSteps(r);
    this.readout.textContent =
      (r.switchN === null
        ? 'no switch in this range of N'
        : `switch at N ≈ ${Math.round(r.switchN).toLocaleString('en')} (memorised falls through 1/2)`) +
      ' · ' +
      done
        .map((n) => {
          const pct = (v: number | null | undefined) =>
            v === null || v === undefined ? '–' : `${Math.round(100 * v)}%`;
          return `N ${n}: sim ${last(n)?.similarity.toFixed(2) ?? '–'}, mem ${pct(memorised(n))}`;
        })
        .join(' · ');
    this.drawSamples(r);
  }

  /** Memorised against step: one curve per N (its rows so far, the running N's too). */
  private showSteps(r: GeneralisationResult): void {
    const ns = [...new Set(r.rows.map((row) => row.n))].sort((a, b) => a - b);
    const steps = [...new Set(r.rows.map((row) => row.step))].sort((a, b) => a - b);
    while (this.versusStep.series.length > 1) this.versusStep.delSeries(1);
    ns.forEach((n, i) =>
      this.versusStep.addSeries(
        {
          label: `N ${n}`,
          stroke: `hsl(${(i * 300) / Math.max(1, ns.length - 1)}, 80%, 65%)`,
          width: 1.5,
          points: { show: true, size: 4 },
        },
        i + 1,
      ),
    );
    const series = ns.map((n) =>
      steps.map((step) => {
        const row = r.rows.find((x) => x.n === n && x.step === step);
        return row ? (row.memorised[0] + row.memorised[1]) / 2 : null;
      }),
    );
    this.versusStep.setData([steps, ...series] as uPlot.AlignedData);
  }

  /** Each N: a row of A's samples, B's under them, then each one's nearest training image. */
  private drawSamples(r: GeneralisationResult): void {
    const { width, height, channels } = r.image;
    const d = width * height * channels;
    const label = LABEL;
    const rows = r.pairs.length * 4;
    const canvas = this.samples;
    canvas.width = label + PAIRS * CELL;
    canvas.height = rows * CELL + r.pairs.length * 4;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#0d1117';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const tile = document.createElement('canvas');
    tile.width = width;
    tile.height = height;
    const tileCtx = tile.getContext('2d')!;
    const pixels = tileCtx.createImageData(width, height);
    const draw = (values: number[], i: number, x: number, y: number): void => {
      for (let p = 0; p < width * height; p++) {
        for (let c = 0; c < 3; c++) {
          const v = values[i * d + p * channels + (channels === 3 ? c : 0)] ?? -1;
          pixels.data[4 * p + c] = Math.round(255 * Math.min(1, Math.max(0, (v + 1) / 2)));
        }
        pixels.data[4 * p + 3] = 255;
      }
      tileCtx.putImageData(pixels, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tile, x, y, CELL - 2, CELL - 2);
    };
    ctx.font = '11px system-ui, sans-serif';
    r.pairs.forEach((p, k) => {
      const top = k * (4 * CELL + 4);
      ctx.fillStyle = GRID;
      ctx.fillText(`N ${p.n}`, 2, top + 12);
      ctx.fillText('A · B', 2, top + 26);
      ctx.fillText('nearest', 2, top + 2 * CELL + 12);
      const count = Math.min(PAIRS, p.a.length / d);
      for (let i = 0; i < count; i++) {
        const x = label + i * CELL;
        draw(p.a, i, x, top);
        draw(p.b, i, x, top + CELL);
        draw(p.nearestA, i, x, top + 2 * CELL);
        draw(p.nearestB, i, x, top + 3 * CELL);
      }
    });
  }
}
