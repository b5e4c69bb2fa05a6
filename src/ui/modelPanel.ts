/**
 * The learned denoiser's training, live: the loss against the optimiser step (log scale), the EMA
 * network's loss in bins of t (where in the noise range it is still wrong), and a readout of step,
 * loss, steps per second and parameters. Two uPlot charts in the dock, fed by the sandbox's
 * `training` events a few times a second.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './physics.css';
import { CHART_WIDTH } from './layout';
import type { MemorisationRow } from '../sandbox/memorisationExperiment';
import { describeArch } from '../sandbox/learnedWeights';
import type { TrainingSnapshot } from '../sandbox/types';

const HEIGHT = 110;
const BINS_HEIGHT = 80;
const GRID = '#8a93a3';
const axis = { stroke: GRID, grid: { stroke: '#ffffff14' }, ticks: { stroke: '#ffffff22' } };

export class ModelPanel {
  readonly element: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly loss: uPlot;
  private readonly bins: uPlot;
  private readonly memorised: uPlot;
  private readonly experimentNote: HTMLElement;
  /** The experiment's end point for each M, the network's and the empirical denoiser's. */
  private readonly versusM: uPlot;
  private readonly versusMHost: HTMLElement;
  /** The 2D network's memorised-vs-step chart and its title (images: the grid's panel instead). */
  private readonly memorisedParts: HTMLElement[];

  constructor(parent: HTMLElement) {
    this.element = document.createElement('section');
    this.element.className = 'model-panel physics-chart';
    const title = document.createElement('h3');
    title.textContent = 'learned denoiser: training loss';
    this.readout = document.createElement('p');
    this.readout.className = 'model-readout';
    this.readout.textContent = 'not trained yet: tick "train" in the Model folder';
    const lossHost = document.createElement('div');
    const binsTitle = document.createElement('h3');
    binsTitle.textContent = 'loss by t (EMA weights)';
    const binsHost = document.createElement('div');
    const memorisedTitle = document.createElement('h3');
    memorisedTitle.textContent = 'memorised samples (d₁/d₂ < 1/3) vs step';
    const memorisedHost = document.createElement('div');
    this.memorisedParts = [memorisedTitle, memorisedHost];
    this.experimentNote = document.createElement('p');
    this.experimentNote.className = 'model-readout';
    this.experimentNote.hidden = true;
    this.versusMHost = document.createElement('div');
    this.versusMHost.hidden = true;
    this.element.append(
      title,
      lossHost,
      this.readout,
      binsTitle,
      binsHost,
      memorisedTitle,
      memorisedHost,
      this.versusMHost,
      this.experimentNote,
    );
    // Heads the column: when a network trains, it is what the user is watching.
    parent.prepend(this.element);
    this.loss = new uPlot(
      {
        width: CHART_WIDTH,
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        // Log y, fitted to the curve (uPlot would round the range out to whole decades).
        scales: {
          x: { time: false },
          y: { distr: 3, range: (_u, min, max) => [0.9 * min, 1.1 * max] },
        },
        axes: [
          { ...axis, label: 'step', labelSize: 12, size: 28 },
          // Two significant digits: a log axis over a narrow range labels 1.503, cut at 44 px.
          {
            ...axis,
            size: 44,
            space: 20,
            values: (_u: uPlot, ticks: (number | null)[]) =>
              ticks.map((v) => (v == null ? '' : String(Number(v.toPrecision(2))))),
          },
        ],
        series: [{}, { stroke: '#4fc3f7', width: 1.5, points: { show: false } }],
      },
      [[], []],
      lossHost,
    );
    this.bins = new uPlot(
      {
        width: CHART_WIDTH,
        height: BINS_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [0, 1] }, y: { distr: 3 } },
        axes: [
          { ...axis, label: 't', labelSize: 12, size: 28 },
          { ...axis, size: 44, space: 24 },
        ],
        series: [
          {},
          {
            stroke: '#ffb74d',
            fill: '#ffb74d33',
            width: 1.5,
            paths: uPlot.paths.stepped!({ align: 1 }),
            points: { show: false },
          },
        ],
      },
      [[], []],
      binsHost,
    );
    this.memorised = new uPlot(
      {
        width: CHART_WIDTH,
        height: BINS_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [
          { ...axis, label: 'step', labelSize: 12, size: 28 },
          { ...axis, size: 44, space: 16 },
        ],
        series: [{}, { stroke: '#ff5a36', width: 1.5, points: { show: true, size: 4 } }],
      },
      [[], []],
      memorisedHost,
    );
    this.versusM = new uPlot(
      {
        width: CHART_WIDTH,
        height: BINS_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
        axes: [
          { ...axis, label: 'M (stored points): network ● empirical ○', labelSize: 12, size: 28 },
          { ...axis, size: 44, space: 16 },
        ],
        series: [
          {},
          { stroke: '#ff5a36', width: 1.5, points: { show: true, size: 5 } },
          {
            stroke: '#8a93a3',
            width: 1,
            dash: [4, 3],
            points: { show: true, size: 5, fill: '#0000' },
          },
        ],
      },
      [[], [], []],
      this.versusMHost,
    );
  }

  /** The memorisation experiment's rows so far: one curve per M, the empirical's in the note. */
  showExperiment(rows: readonly MemorisationRow[]): void {
    const ms = [...new Set(rows.map((r) => r.m))];
    const steps = [...new Set(rows.filter((r) => r.denoiser === 'learned').map((r) => r.step))];
    steps.sort((a, b) => a - b);
    const series = ms.map((m) =>
      steps.map(
        (step) =>
          rows.find((r) => r.m === m && r.step === step && r.denoiser === 'learned')?.memorised ??
          null,
      ),
    );
    while (this.memorised.series.length > 2) this.memorised.delSeries(2);
    this.memorised.delSeries(1);
    ms.forEach((m, i) =>
      this.memorised.addSeries(
        {
          label: `M ${m}`,
          stroke: `hsl(${(i * 360) / ms.length}, 80%, 65%)`,
          width: 1.5,
          points: { show: true, size: 4 },
        },
        i + 1,
      ),
    );
    this.memorised.setData([steps, ...series] as uPlot.AlignedData);
    const done = ms.filter((_, i) => series[i]!.some((v) => v !== null));
    this.versusM.setData([
      done,
      done.map((m) => series[ms.indexOf(m)]!.filter((v) => v !== null).at(-1) ?? null),
      done.map((m) => rows.find((r) => r.m === m && r.denoiser === 'empirical')?.memorised ?? null),
    ] as uPlot.AlignedData);
    this.versusMHost.hidden = false;
    this.experimentMode = true;
    this.experimentNote.hidden = false;
    this.experimentNote.textContent = ms
      .map((m, i) => {
        const empirical = rows.find((r) => r.m === m && r.denoiser === 'empirical')?.memorised;
        const last = series[i]!.filter((v) => v !== null).at(-1);
        const pct = (v: number | null | undefined): string =>
          v === null || v === undefined ? '–' : `${Math.round(100 * v)}%`;
        return `M ${m}: network ${pct(last)} · empirical ${pct(empirical)}`;
      })
      .join(' | ');
  }

  /** Set while the panel shows the experiment's curves instead of the live one. */
  private experimentMode = false;

  update(s: TrainingSnapshot): void {
    const unet = 'channels' in s.arch;
    for (const e of this.memorisedParts) e.hidden = unet && !this.experimentMode;
    const { steps, losses } = s.history;
    const keep = losses.map((l) => l > 0 && Number.isFinite(l));
    this.loss.setData([steps.filter((_, i) => keep[i]), losses.filter((_, i) => keep[i])]);
    if (s.lossByT) {
      const n = s.lossByT.length;
      // Stepped from each bin's left edge, with the last bin closed at t = 1.
      const t = [...s.lossByT.map((_, i) => i / n), 1];
      this.bins.setData([t, [...s.lossByT, s.lossByT[n - 1]!]]);
    }
    if (!this.experimentMode)
      this.memorised.setData([s.memorisation.steps, s.memorisation.fractions]);
    const loss = s.loss === null ? '–' : s.loss.toPrecision(3);
    this.readout.textContent =
      `step ${s.step.toLocaleString('en')} · loss ${loss} · ` +
      (s.stepsPerSecond > 0
        ? `${Math.round(s.stepsPerSecond).toLocaleString('en')} steps/s · `
        : 'paused · ') +
      `${s.parameters.toLocaleString('en')} parameters (${describeArch(s.arch).text})`;
  }
}
