/**
 * The clone panel: "when do samples commit?" Buttons for a clone at the current t and for a whole
 * curve, progress and cancel, and P(same mode | t_c) over t (reversed, as the reverse run goes)
 * with the chance level, the theory's speciation time (Biroli & Mezard 2024; see
 * src/maths/speciation.ts) and the measured commitment point. The sandbox wires the callbacks
 * to src/sim/experiments/speciation.ts.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import { commitmentTime, type SpeciationPoint } from '../maths/speciation';

const WIDTH = CHART_WIDTH;
const HEIGHT = 160;
const COLORS = { curve: '#f06bd0', theory: '#b5e36b', commit: '#ffd84a', chance: '#8a93a3' };

type Point = Pick<SpeciationPoint, 't' | 'sameMode'> & Partial<SpeciationPoint>;

export class SpeciationPanel {
  readonly element: HTMLElement;
  /** "clone at current t" pressed. */
  onClone: () => void = () => undefined;
  /** "curve" pressed. */
  onCurve: () => void = () => undefined;
  /** "cancel" pressed. */
  onCancel: () => void = () => undefined;

  private points: Point[] = [];
  private chance: number | null = null;
  private theory: number | null = null;
  private commitment: number | null = null;
  private readonly plot: uPlot;
  private readonly progress: HTMLElement;
  private readonly buttons: Record<'clone' | 'curve' | 'cancel', HTMLButtonElement>;
  private readonly data: [number[], (number | null)[]] = [[], []];

  constructor(container: HTMLElement) {
    this.element = document.createElement('div');
    this.element.className = 'speciation-panel';
    this.element.innerHTML = `
      <div class="speciation-head"><b>When do samples commit?</b></div>
      <div class="speciation-buttons">
        <button data-act="clone" title="Copy particles at the current t and run both copies on with fresh noise">Clone at current t</button>
        <button data-act="curve" title="P(same mode) at 12 clone times over the run">Curve</button>
        <button data-act="cancel" disabled>Cancel</button>
      </div>
      <div class="speciation-chart"></div>
      <div class="speciation-progress"></div>`;
    const button = (act: string): HTMLButtonElement =>
      this.element.querySelector<HTMLButtonElement>(`button[data-act="${act}"]`)!;
    this.buttons = { clone: button('clone'), curve: button('curve'), cancel: button('cancel') };
    this.buttons.clone.addEventListener('click', () => this.onClone());
    this.buttons.curve.addEventListener('click', () => this.onCurve());
    this.buttons.cancel.addEventListener('click', () => this.onCancel());
    this.progress = this.element.querySelector('.speciation-progress')!;
    container.appendChild(this.element);
    this.plot = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        legend: { show: false },
        scales: { x: { time: false, range: [0, 1], dir: -1 }, y: { range: [0, 1] } },
        axes: [
          {
            stroke: COLORS.chance,
            label: 'clone time t_c',
            labelSize: 14,
            size: 30,
            grid: { stroke: 'rgba(255,255,255,0.07)' },
          },
          {
            stroke: COLORS.chance,
            label: 'P(same mode)',
            labelSize: 14,
            size: 36,
            grid: { stroke: 'rgba(255,255,255,0.07)' },
          },
        ],
        series: [
          {},
          { label: 'P(same mode)', stroke: COLORS.curve, width: 1.5, points: { size: 6 } },
        ],
        hooks: { draw: [(u) => this.drawMarks(u)] },
      },
      this.data,
      this.element.querySelector<HTMLElement>('.speciation-chart')!,
    );
  }

  /**
   * The measured points (any order), and the chance level sum_k p_k^2 when known: the
   * commitment point is where the curve is halfway from chance to 1.
   */
  setPoints(points: readonly Point[], chance: number | null = this.chance): void {
    this.points = [...points].sort((a, b) => a.t - b.t);
    this.chance = chance;
    this.commitment = chance === null ? null : commitmentTime(this.points, chance);
    const [ts, ps] = this.data;
    ts.length = ps.length = 0;
    for (const p of this.points) {
      ts.push(p.t);
      ps.push(p.sameMode);
    }
    this.plot.setData(this.data);
  }

  /** Adds one point (a clone at the current t), replacing any at the same t. */
  addPoint(point: Point, chance: number | null = this.chance): void {
    this.setPoints([...this.points.filter((p) => p.t !== point.t), point], chance);
  }

  /** The theory's speciation time in our t, or null for none. */
  setTheory(t: number | null): void {
    this.theory = t;
    this.plot.redraw(false, false);
  }

  /** A line of progress or a note ("ddim η 0 is deterministic: ..."). */
  setProgress(text: string): void {
    this.progress.textContent = text;
  }

  /** While an experiment runs: cancel enabled, the others not. */
  setRunning(running: boolean): void {
    this.buttons.clone.disabled = running;
    this.buttons.curve.disabled = running;
    this.buttons.cancel.disabled = !running;
  }

  /** The measured commitment t (halfway from chance to 1), null when not crossed. */
  commitmentT(): number | null {
    return this.commitment;
  }

  canvas(): HTMLCanvasElement {
    return this.plot.ctx.canvas;
  }

  destroy(): void {
    this.plot.destroy();
    this.element.remove();
  }

  private drawMarks(u: uPlot): void {
    const ctx = u.ctx;
    const px = devicePixelRatio;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = px;
    ctx.font = `${10 * px}px system-ui, sans-serif`;
    // uPlot leaves the alignment of its last axis label.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    if (this.chance !== null) {
      const y = u.valToPos(this.chance, 'y', true);
      ctx.strokeStyle = COLORS.chance;
      ctx.setLineDash([2 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillStyle = COLORS.chance;
      ctx.fillText('chance', left + 4 * px, y - 3 * px);
    }
    const mark = (t: number | null, color: string, label: string, row: number): void => {
      if (t === null) return;
      const x = u.valToPos(t, 'x', true);
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.setLineDash([5 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      const text = `${label} ≈ ${t.toFixed(2)}`;
      const w = ctx.measureText(text).width;
      ctx.fillText(
        text,
        Math.min(Math.max(x + 4 * px, left), left + width - w),
        top + row * 12 * px,
      );
    };
    mark(this.theory, COLORS.theory, 'theory t_S', 1);
    mark(this.commitment, COLORS.commit, 'commitment', 2);
    ctx.restore();
  }
}
