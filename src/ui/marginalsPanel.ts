/**
 * Marginal histograms against the truth: two small uPlot charts, the particles' density of x (and
 * of y) over evenly spaced bins as bars, the target's marginal density on the same bins as a
 * line. The densities arrive already normalised; an update redraws without new plots unless the
 * bins change.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';

export interface Marginals {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface MarginalEdges {
  x: readonly [number, number];
  y: readonly [number, number];
}

const WIDTH = CHART_WIDTH;
const HEIGHT = 100;
const AXIS = {
  stroke: '#8a93a3',
  grid: { stroke: 'rgba(255,255,255,0.07)' },
  ticks: { stroke: 'rgba(255,255,255,0.15)' },
};

interface Marginal {
  coordinate: 'x' | 'y';
  element: HTMLElement;
  plot: uPlot | null;
  /** Bins and edges the plot was made for. */
  bins: number;
  lo: number;
  hi: number;
  data: [number[], (number | null)[], (number | null)[]];
}

export class MarginalsPanel {
  readonly element: HTMLElement;
  private readonly marginals: Marginal[];

  constructor(container: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'marginals-panel';
    this.marginals = (['x', 'y'] as const).map((coordinate) => {
      const element = document.createElement('div');
      element.className = `marginal marginal-${coordinate}`;
      this.element.appendChild(element);
      return { coordinate, element, plot: null, bins: 0, lo: 0, hi: 0, data: [[], [], []] };
    });
    container.appendChild(this.element);
  }

  /** Redraws both histograms: particles and target densities over bins between the edges. */
  update(particles: Marginals, target: Marginals, edges: MarginalEdges): void {
    for (const m of this.marginals) {
      const p = particles[m.coordinate];
      const q = target[m.coordinate];
      const [lo, hi] = edges[m.coordinate];
      if (p.length !== q.length)
        throw new Error(`${m.coordinate}: ${p.length} particle bins, ${q.length} target bins`);
      const bins = p.length;
      const [xs, ps, qs] = m.data;
      xs.length = ps.length = qs.length = bins;
      const width = (hi - lo) / bins;
      for (let i = 0; i < bins; i++) {
        xs[i] = lo + (i + 0.5) * width;
        ps[i] = Number.isFinite(p[i]) ? p[i]! : null;
        qs[i] = Number.isFinite(q[i]) ? q[i]! : null;
      }
      if (!m.plot || m.bins !== bins || m.lo !== lo || m.hi !== hi) this.create(m, bins, lo, hi);
      else m.plot.setData(m.data);
    }
  }

  destroy(): void {
    for (const m of this.marginals) m.plot?.destroy();
    this.element.remove();
  }

  private create(m: Marginal, bins: number, lo: number, hi: number): void {
    m.plot?.destroy();
    m.bins = bins;
    m.lo = lo;
    m.hi = hi;
    const bars = uPlot.paths.bars?.({ size: [1, Infinity], gap: 0 });
    m.plot = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        legend: { show: true, live: false },
        scales: { x: { time: false, range: [lo, hi] }, y: { range: (_u, _min, max) => [0, max] } },
        axes: [
          { ...AXIS, size: 24 },
          { ...AXIS, size: 36 },
        ],
        series: [
          { label: m.coordinate },
          {
            label: `particles ${m.coordinate}`,
            stroke: '#4aa8ff',
            fill: 'rgba(74,168,255,0.35)',
            width: 1,
            ...(bars ? { paths: bars } : {}),
          },
          { label: 'target', stroke: '#ff9a4a', width: 1.5 },
        ],
      },
      m.data,
      m.element,
    );
  }
}
