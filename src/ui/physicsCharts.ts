/**
 * Live charts of the physics observables (../shared/docs/maths.md section 5): small uPlot charts
 * of one or two observables each, over the last RING samples, against t (diffusion; reverse runs
 * on a reversed axis so time flows left to right) or the step (Langevin). During a reverse run
 * the heat capacity over t is a specific heat: its peak marks where samples commit to a mode.
 * Samples arrive a few times a second; each push writes into preallocated rings and redraws at
 * most DRAWN points per chart.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import type { Mode } from '../settings/settings';

/** Samples kept: the charts show this many of the latest. */
const RING = 2000;
/** Points drawn per series at most (the ring is strided down to this). */
const DRAWN = 400;
const WIDTH = CHART_WIDTH;
const HEIGHT = 78;
const GRID = '#8a93a3';
const PEAK = '#ffd84a';

interface SeriesSpec {
  key: string;
  label: string;
  color: string;
  /** A second y scale on the right, for a series of another magnitude. */
  right?: boolean;
}

interface ChartSpec {
  id: string;
  series: SeriesSpec[];
}

const CHARTS: readonly ChartSpec[] = [
  { id: 'energy', series: [{ key: 'energy', label: '⟨U⟩', color: '#ff9a4a' }] },
  {
    id: 'heat-capacity',
    series: [{ key: 'heatCapacity', label: 'C = Var U / T²', color: '#f06bd0' }],
  },
  {
    id: 'entropy',
    series: [
      // Kozachenko-Leonenko, k = 4 on 1,024 particles: 0.053 nats low on gaussians8 (README).
      { key: 'entropy', label: 'entropy H (k-NN, ≈0.05 low)', color: '#4aa8ff' },
      { key: 'freeEnergy', label: 'F = ⟨U⟩ − TH', color: '#b5e36b', right: true },
    ],
  },
  { id: 'distance', series: [{ key: 'distance', label: 'SW₂ to data', color: '#6bf0e0' }] },
  {
    // Mean excess path length since the reset: 0 for straight paths (src/maths/straightness.ts).
    id: 'straightness',
    series: [{ key: 'straightness', label: 'path excess L/D − 1', color: '#9be36b' }],
  },
  {
    id: 'dynamics',
    series: [
      { key: 'acceptance', label: 'MALA acceptance', color: '#ffd84a' },
      { key: 'kineticTemperature', label: 'kinetic T', color: '#c49bff', right: true },
    ],
  },
  {
    id: 'heat',
    series: [{ key: 'heat', label: 'heat released (k_B T / particle)', color: '#ff6b6b' }],
  },
  {
    id: 'non-finite',
    series: [
      { key: 'nonFinite', label: 'non-finite', color: '#ff4a4a' },
      { key: 'escaped', label: 'escaped', color: '#e8c39e', right: true },
    ],
  },
];

const KEYS = ['t', 'step', ...CHARTS.flatMap((c) => c.series.map((s) => s.key))];

export type XAxis = 't' | 'step';
/** What each x axis is, for the toggle's tooltip. */
const AXIS_NAMES: Record<XAxis, string> = {
  t: 'the time t of the process (reverse runs: 1 on the left to 0 on the right)',
  step: 'the step of the run',
};

/**
 * The charts' note on images: what U and H are in R^d, and that the k-NN entropy of a batch is
 * only a trend there (its bias, measured: src/maths/imageObservables.ts).
 */
export function imageChartNote(d: number): string {
  return `Images in R^${d}: U = −log p_t of the training set (none at t = 0); the k-NN entropy of a batch in ${d} dimensions is biased by hundreds of nats, a trend only.`;
}

interface Chart {
  spec: ChartSpec;
  element: HTMLElement;
  plot: uPlot | null;
  /** Drawn data: x, then one array per series, reused between pushes. */
  data: (number | null)[][];
  /** The rings of its series, in order. */
  rings: Float64Array[];
  /** Whether any sample so far had a finite value of any series. */
  seen: boolean;
}

export class PhysicsCharts {
  readonly element: HTMLElement;
  private readonly rings = new Map<string, Float64Array>();
  private head = 0;
  private size = 0;
  private mode: Mode = 'reverse';
  private x: XAxis = 't';
  /** The heat capacity's peak over t in a reverse run, null when none. */
  private peakT: number | null = null;
  private readonly charts: Chart[];
  private readonly toggle: HTMLButtonElement;
  private readonly note: HTMLElement;

  constructor(container: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'physics-charts';
    const bar = document.createElement('div');
    bar.className = 'physics-bar';
    bar.innerHTML = '<b>Observables</b>';
    this.toggle = document.createElement('button');
    this.toggle.addEventListener('click', () => this.setX(this.x === 't' ? 'step' : 't'));
    bar.appendChild(this.toggle);
    this.element.appendChild(bar);
    this.note = document.createElement('div');
    this.note.className = 'physics-note';
    this.note.hidden = true;
    this.element.appendChild(this.note);
    for (const key of KEYS) this.rings.set(key, new Float64Array(RING));
    this.charts = CHARTS.map((spec) => {
      const element = document.createElement('div');
      element.className = `physics-chart physics-${spec.id}`;
      element.hidden = true;
      this.element.appendChild(element);
      return {
        spec,
        element,
        plot: null,
        data: [[], ...spec.series.map(() => [])],
        rings: spec.series.map((s) => this.rings.get(s.key)!),
        seen: false,
      };
    });
    container.appendChild(this.element);
    // For the end-to-end tests and the curious: the element holds its charts.
    Object.assign(this.element, { charts: this });
    this.setMode('reverse');
  }

  /** One sample: t and step always present; a NaN or missing key is an absent series. */
  push(sample: Record<string, number>): void {
    for (const [key, ring] of this.rings) ring[this.head] = sample[key] ?? NaN;
    this.head = (this.head + 1) % RING;
    this.size = Math.min(this.size + 1, RING);
    for (const c of this.charts) {
      if (c.seen) continue;
      for (const s of c.spec.series) if (Number.isFinite(sample[s.key])) c.seen = true;
      c.element.hidden = !c.seen;
    }
    this.findPeak();
    this.draw();
  }

  /** One line under the title on what the charts can mean here (null: none). */
  setNote(text: string | null): void {
    this.note.textContent = text ?? '';
    this.note.hidden = text === null;
  }

  /** A new run: forget every sample. */
  reset(): void {
    this.head = 0;
    this.size = 0;
    this.peakT = null;
    for (const c of this.charts) {
      c.seen = false;
      c.element.hidden = true;
    }
    this.draw();
  }

  /** Langevin plots against the step; diffusion against t (the toggle switches). */
  setMode(mode: Mode): void {
    // Called on every change of settings: the charts are rebuilt only when the mode changes.
    if (mode === this.mode && this.charts.every((c) => c.plot)) return;
    this.mode = mode;
    this.setX(mode === 'langevin' ? 'step' : 't');
  }

  setX(x: XAxis): void {
    this.x = x;
    this.toggle.textContent = `x axis: ${x}`;
    const other = x === 't' ? 'the step' : 't';
    this.toggle.title = `The charts' x axis: ${AXIS_NAMES[x]}. Click to plot against ${other}.`;
    for (const c of this.charts) this.create(c);
    this.findPeak();
    this.draw();
  }

  /** The heat-capacity chart's canvas, for insets in clips. */
  canvas(): HTMLCanvasElement | null {
    return this.charts[1]?.plot?.ctx.canvas ?? null;
  }

  destroy(): void {
    for (const c of this.charts) c.plot?.destroy();
    this.element.remove();
  }

  /** Reverse runs over t: t falls as the run goes, so the axis runs from 1 down to 0. */
  private get reversed(): boolean {
    return this.x === 't' && this.mode === 'reverse';
  }

  private create(c: Chart): void {
    // Room for the longest tick label (values such as -2,000 on images), so none is cut.
    const labelRoom = (_u: uPlot, values: string[] | null): number =>
      Math.max(36, 14 + 6.5 * Math.max(0, ...(values ?? []).map((v) => v.length)));
    c.plot?.destroy();
    const axis = {
      stroke: GRID,
      grid: { stroke: 'rgba(255,255,255,0.07)' },
      ticks: { stroke: 'rgba(255,255,255,0.15)' },
      size: 36,
    };
    const right = c.spec.series.some((s) => s.right);
    const isHeat = c.spec.id === 'heat-capacity';
    c.plot = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        legend: { show: true, live: false },
        scales: {
          x: { time: false, dir: this.reversed ? -1 : 1 },
          y: {},
          ...(right ? { y2: {} } : {}),
        },
        axes: [
          { ...axis, size: 24 },
          { ...axis, scale: 'y', size: labelRoom },
          ...(right
            ? [{ ...axis, scale: 'y2', side: 1 as const, grid: { show: false }, size: labelRoom }]
            : []),
        ],
        series: [
          { label: this.x },
          ...c.spec.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            scale: s.right ? 'y2' : 'y',
            // The entropy (and so F) is measured every few samples: a line joins them.
            spanGaps: c.spec.id === 'entropy',
          })),
        ],
        hooks: isHeat ? { draw: [(u: uPlot) => this.drawPeak(u)] } : {},
      },
      c.data as uPlot.AlignedData,
      c.element,
    );
    // For the end-to-end tests and the curious: the chart's element holds its uPlot (the data
    // drawn, its scales and canvas).
    Object.assign(c.element, { uplot: c.plot });
  }

  /**
   * The argmax of the heat capacity over the whole ring, in a reverse run against t: a peak only
   * once it is bracketed, a lower finite sample on each side of it (the samples run in t order);
   * until then none, and the chart says so.
   */
  private findPeak(): void {
    this.peakT = null;
    if (!this.reversed) return;
    const ts = this.rings.get('t')!;
    const cs = this.rings.get('heatCapacity')!;
    let best = -Infinity;
    let at = -1;
    let first = -1;
    let last = -1;
    for (let j = 0; j < this.size; j++) {
      const i = (this.head - this.size + j + RING) % RING;
      const c = cs[i]!;
      if (!Number.isFinite(c)) continue;
      if (first < 0) first = j;
      last = j;
      if (c > best) {
        best = c;
        at = i;
      }
    }
    const j = (at - (this.head - this.size) + 2 * RING) % RING;
    if (at >= 0 && j > first && j < last) this.peakT = ts[at]!;
  }

  /** The peak's t, or null while no peak is bracketed (for tests and the curious). */
  get commitmentT(): number | null {
    return this.peakT;
  }

  /** Every kept sample's value of `key` (t, step, energy, ...), oldest first. */
  history(key: string): number[] {
    const ring = this.rings.get(key);
    if (!ring) return [];
    return Array.from(
      { length: this.size },
      (_, j) => ring[(this.head - this.size + j + RING) % RING]!,
    );
  }

  private drawPeak(u: uPlot): void {
    const t = this.peakT;
    const px = devicePixelRatio;
    const { top, height, left, width } = u.bbox;
    const ctx = u.ctx;
    if (t === null || !Number.isFinite(t)) {
      if (!this.reversed || this.size === 0) return;
      ctx.save();
      ctx.fillStyle = PEAK;
      ctx.font = `${10 * px}px system-ui, sans-serif`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      ctx.fillText('commitment t: not enough points yet', left + 4 * px, top + 11 * px);
      ctx.restore();
      return;
    }
    const x = u.valToPos(t, 'x', true);
    if (x < left || x > left + width) return;
    ctx.save();
    ctx.strokeStyle = PEAK;
    ctx.fillStyle = PEAK;
    ctx.lineWidth = px;
    ctx.setLineDash([4 * px, 3 * px]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.font = `${10 * px}px system-ui, sans-serif`;
    // uPlot leaves the alignment of its last axis label.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    const label = `commitment t ≈ ${t.toFixed(2)}`;
    const w = ctx.measureText(label).width;
    const lx = Math.min(Math.max(x + 4 * px, left), left + width - w);
    ctx.fillText(label, lx, top + 11 * px);
    ctx.restore();
  }

  /** Strides the ring into each visible chart's arrays, x ascending, and redraws. */
  private draw(): void {
    const m = Math.min(this.size, DRAWN);
    const xs = this.rings.get(this.x)!;
    for (const c of this.charts) {
      if (c.element.hidden || !c.plot) continue;
      for (const a of c.data) a.length = m;
      for (let j = 0; j < m; j++) {
        // Oldest to newest, the newest always included.
        const k = m === 1 ? this.size - 1 : Math.round((j * (this.size - 1)) / (m - 1));
        const i = (this.head - this.size + k + RING) % RING;
        const at = this.reversed ? m - 1 - j : j;
        c.data[0]![at] = xs[i]!;
        for (let s = 0; s < c.rings.length; s++) {
          const v = c.rings[s]![i]!;
          c.data[s + 1]![at] = Number.isFinite(v) ? v : null;
        }
      }
      c.plot.setData(c.data as uPlot.AlignedData);
    }
  }
}
