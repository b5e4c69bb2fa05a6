/**
 * The guidance curve (issue 15): what guidance w does to one class's samples. Two uPlot charts
 * against w: the diversity (the samples' k-NN entropy, with the class data's own as a dashed
 * line), and the distance to the class's data (sliced W2, with the floor a faithful sampler
 * shows dashed) with the share of samples off the data on the right axis. A readout line, a
 * cancel button and the CSV of the rows. The app wires it to src/sim/experiments/guidanceSweep.ts.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import type { GuidanceRow, GuidanceSweepResult } from '../sim/experiments/guidanceSweep';

const HEIGHT = 110;
const GRID = '#8a93a3';
const COLORS = { entropy: '#6bc6ff', data: '#b5e36b', distance: '#ff5a36', off: '#ffd84a' };
const AXIS = { stroke: GRID, grid: { stroke: '#ffffff14' }, ticks: { stroke: '#ffffff22' } };

type Series = (number | null)[];

export class GuidancePanel {
  readonly element: HTMLElement;
  /** "cancel" pressed. */
  onCancel: () => void = () => undefined;
  private readonly readout: HTMLElement;
  private readonly cancel: HTMLButtonElement;
  private readonly entropyPlot: uPlot;
  private readonly distancePlot: uPlot;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('section');
    this.element.className = 'guidance-panel speciation-panel';
    this.element.innerHTML = `
      <div class="speciation-head"><b>What guidance does (against w)</b>
        <span class="speciation-buttons"><button data-act="cancel" disabled>Cancel</button></span>
      </div>
      <div class="guidance-entropy" title="k-NN entropy of the samples (nats); dashed: the class's data"></div>
      <div class="guidance-distance" title="sliced W2 to the class's data; dashed: the sample-vs-sample floor; yellow: share off the data (right axis)"></div>
      <div class="speciation-progress guidance-readout">pick a class, then run the guidance curve</div>`;
    this.cancel = this.element.querySelector<HTMLButtonElement>('button[data-act="cancel"]')!;
    this.cancel.addEventListener('click', () => this.onCancel());
    this.readout = this.element.querySelector('.guidance-readout')!;
    parent.append(this.element);
    const base = (label: string) => ({
      width: CHART_WIDTH,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [
        { ...AXIS, label: 'guidance w', labelSize: 12, size: 28 },
        { ...AXIS, label, labelSize: 12, size: 40 },
      ],
    });
    const line = (stroke: string, dash?: number[]) => ({
      stroke,
      width: dash ? 1 : 2,
      points: { show: !dash, size: 5 },
      ...(dash ? { dash } : {}),
    });
    this.entropyPlot = new uPlot(
      {
        ...base('entropy'),
        series: [{}, line(COLORS.entropy), line(COLORS.data, [4, 4])],
      },
      [[], [], []],
      this.element.querySelector<HTMLElement>('.guidance-entropy')!,
    );
    const distance = base('sliced W2');
    this.distancePlot = new uPlot(
      {
        ...distance,
        scales: { ...distance.scales, off: { range: [0, 1] } },
        axes: [
          ...distance.axes,
          { ...AXIS, scale: 'off', side: 1, size: 30, grid: { show: false } },
        ],
        series: [
          {},
          line(COLORS.distance),
          line(COLORS.distance, [4, 4]),
          { ...line(COLORS.off), scale: 'off' },
        ],
      },
      [[], [], [], []],
      this.element.querySelector<HTMLElement>('.guidance-distance')!,
    );
  }

  setRunning(running: boolean): void {
    this.cancel.disabled = !running;
  }

  setProgress(text: string): void {
    this.readout.textContent = text;
  }

  /** The rows so far (in w order), and the result's reference lines once known. */
  show(rows: readonly GuidanceRow[], result?: Omit<GuidanceSweepResult, 'rows'>): void {
    const sorted = [...rows].sort((a, b) => a.w - b.w);
    const ws = sorted.map((r) => r.w);
    const flat = (v: number | null | undefined): Series => ws.map(() => v ?? null);
    const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
    this.entropyPlot.setData([ws, sorted.map((r) => finite(r.entropy)), flat(result?.dataEntropy)]);
    this.distancePlot.setData([
      ws,
      sorted.map((r) => finite(r.distance)),
      flat(result?.floor),
      sorted.map((r) => r.offData),
    ]);
  }

  /** The latest readout line, for tests and captions. */
  get text(): string {
    return this.readout.textContent ?? '';
  }
}

/** One row as the readout says it. */
export function describeRow(r: GuidanceRow): string {
  const over = Number.isFinite(r.overshoot) ? ` · past the mean ${r.overshoot.toFixed(3)}` : '';
  return (
    `w ${r.w}: entropy ${r.entropy.toFixed(2)} · W2 ${r.distance.toFixed(3)} · ` +
    `nearest ${r.nearest.toFixed(3)} · off the data ${(100 * r.offData).toFixed(1)}%${over}`
  );
}
