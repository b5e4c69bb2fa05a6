/**
 * The guidance curve (issue 15): what guidance w does to one class's samples. Two uPlot charts
 * against w, a list of the rows (one line per w), a readout line, a cancel button. On points: the
 * diversity (the samples' k-NN entropy, with the class data's own as a dashed line), and the
 * distance to the class's data (sliced W2, with the floor a faithful sampler shows dashed) with
 * the share of samples off the data on the right axis. On images: the diversity as the distinct
 * nearest class images (dashed: what n draws from the class's images reach), and the RMS distance
 * to the nearest class image with the share on the class and the saturated pixels on the right
 * axis (src/maths/imageGuidanceMeasures.ts). The app wires it to src/sim/experiments/guidanceSweep.ts.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import type {
  AnyGuidanceRow,
  GuidanceCurveResult,
  GuidanceRow,
} from '../sim/experiments/guidanceSweep';
import type { ImageGuidanceRow } from '../sim/experiments/imageGuidanceSweep';
import { describeAnyRow } from './guidanceRows';

export { describeRow, describeImageRow, describeAnyRow } from './guidanceRows';

const HEIGHT = 110;
const GRID = '#8a93a3';
const COLORS = {
  entropy: '#6bc6ff',
  data: '#b5e36b',
  distance: '#ff5a36',
  off: '#ffd84a',
  saturated: '#c58bff',
};
const AXIS = { stroke: GRID, grid: { stroke: '#ffffff14' }, ticks: { stroke: '#ffffff22' } };

type Series = (number | null)[];
export type GuidanceKind = GuidanceCurveResult['kind'];

const TITLES: Record<GuidanceKind, [string, string]> = {
  points: [
    "k-NN entropy of the samples (nats); dashed: the class's data",
    "sliced W2 to the class's data; dashed: the sample-vs-sample floor; yellow: share off the data (right axis)",
  ],
  images: [
    "distinct nearest class images among the samples; dashed: what as many draws from the class's images reach",
    'RMS per pixel to the nearest class image; yellow: share whose nearest training image is of the class; purple: share of pixels saturated (right axis)',
  ],
};

const line = (stroke: string, dash?: number[]) => ({
  stroke,
  width: dash ? 1 : 2,
  points: { show: !dash, size: 5 },
  ...(dash ? { dash } : {}),
});

export class GuidancePanel {
  readonly element: HTMLElement;
  /** "cancel" pressed. */
  onCancel: () => void = () => undefined;
  private readonly readout: HTMLElement;
  private readonly cancel: HTMLButtonElement;
  private readonly list: HTMLElement;
  private readonly top: HTMLElement;
  private readonly bottom: HTMLElement;
  private kind: GuidanceKind | null = null;
  private plots: [uPlot, uPlot] | null = null;

  constructor(parent: HTMLElement) {
    this.element = document.createElement('section');
    this.element.className = 'guidance-panel speciation-panel';
    this.element.innerHTML = `
      <div class="speciation-head"><b>What guidance does (against w)</b>
        <span class="speciation-buttons"><button data-act="cancel" disabled>Cancel</button></span>
      </div>
      <div class="guidance-diversity"></div>
      <div class="guidance-distance"></div>
      <ol class="speciation-progress guidance-rows"></ol>
      <div class="speciation-progress guidance-readout">pick a class, then run the guidance curve</div>`;
    this.cancel = this.element.querySelector<HTMLButtonElement>('button[data-act="cancel"]')!;
    this.cancel.addEventListener('click', () => this.onCancel());
    this.readout = this.element.querySelector('.guidance-readout')!;
    this.list = this.element.querySelector('.guidance-rows')!;
    this.top = this.element.querySelector('.guidance-diversity')!;
    this.bottom = this.element.querySelector('.guidance-distance')!;
    parent.append(this.element);
    this.setKind('points');
  }

  /** The charts of a curve of points or of images (made anew when the kind changes). */
  setKind(kind: GuidanceKind): void {
    if (kind === this.kind) return;
    this.kind = kind;
    for (const p of this.plots ?? []) p.destroy();
    this.element.dataset.kind = kind;
    [this.top.title, this.bottom.title] = TITLES[kind];
    const base = (label: string) => ({
      width: CHART_WIDTH,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, share: { range: [0, 1] as [number, number] } },
      axes: [
        { ...AXIS, label: 'guidance w', labelSize: 12, size: 28 },
        { ...AXIS, label, labelSize: 12, size: 40 },
      ],
    });
    const images = kind === 'images';
    const upper = base(images ? 'distinct' : 'entropy');
    const lower = base(images ? 'RMS / pixel' : 'sliced W2');
    const share = { ...AXIS, scale: 'share', side: 1, size: 30, grid: { show: false } };
    const shares = images
      ? [
          { ...line(COLORS.off), scale: 'share' },
          { ...line(COLORS.saturated), scale: 'share' },
        ]
      : [line(COLORS.distance, [4, 4]), { ...line(COLORS.off), scale: 'share' }];
    this.plots = [
      new uPlot(
        { ...upper, series: [{}, line(COLORS.entropy), line(COLORS.data, [4, 4])] },
        [[], [], []],
        this.top,
      ),
      new uPlot(
        {
          ...lower,
          axes: [...lower.axes, share],
          series: [{}, line(COLORS.distance), ...shares],
        },
        [[], [], [], []],
        this.bottom,
      ),
    ];
  }

  setRunning(running: boolean): void {
    this.cancel.disabled = !running;
  }

  setProgress(text: string): void {
    this.readout.textContent = text;
  }

  /** The rows so far (in w order), and once done the result (its reference lines). */
  show(rows: readonly AnyGuidanceRow[], result?: GuidanceCurveResult): void {
    if (result) this.setKind(result.kind);
    else if (rows[0]) this.setKind('onClass' in rows[0] ? 'images' : 'points');
    const sorted = [...rows].sort((a, b) => a.w - b.w);
    const ws = sorted.map((r) => r.w);
    const flat = (v: number | null | undefined): Series => ws.map(() => v ?? null);
    const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
    const [top, bottom] = this.plots!;
    if (this.kind === 'images') {
      const image = sorted as ImageGuidanceRow[];
      const expected = result?.kind === 'images' ? result.expectedDistinct : null;
      top.setData([ws, image.map((r) => r.distinct), flat(expected)]);
      bottom.setData([
        ws,
        image.map((r) => finite(r.nearest)),
        image.map((r) => r.onClass),
        image.map((r) => r.saturated),
      ]);
    } else {
      const point = sorted as GuidanceRow[];
      const points = result?.kind === 'points' ? result : null;
      top.setData([ws, point.map((r) => finite(r.entropy)), flat(points?.dataEntropy)]);
      bottom.setData([
        ws,
        point.map((r) => finite(r.distance)),
        flat(points?.floor),
        point.map((r) => r.offData),
      ]);
    }
    this.list.replaceChildren(
      ...sorted.map((r) => {
        const item = document.createElement('li');
        item.dataset.w = String(r.w);
        item.textContent = describeAnyRow(r);
        return item;
      }),
    );
  }

  /** The latest readout line, for tests and captions. */
  get text(): string {
    return this.readout.textContent ?? '';
  }
}
