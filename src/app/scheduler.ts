/**
 * The frame loop and the measurement scheduler. Frames step and draw the runs and never read
 * the GPU back. Measurements run off the frame path: each run's distance to the data and its
 * observables (or, on images, its memorisation) a few times a second, never more than a fifth
 * of the GPU's time, and at once whenever playback waits at a checkpoint for its measurement,
 * so that the charts follow the steps rather than the clock. The watch for divergence runs
 * whether or not anything is shown: an embedded run with every panel hidden still pauses.
 */
import { isImageDataset } from '../maths/imageDatasets';
import { splitList, type Settings } from '../settings/settings';
import type { App } from './context';
import { updateLabels } from './shown';

/**
 * The fewest points a run's charts get, however slow the GPU: playback waits at every
 * steps / CHART_POINTS-th step until it is measured (Playback.measureEvery).
 */
const CHART_POINTS = 40;
/** Frames between two updates of the HUD, the chart's t and the panel. */
const HUD_EVERY = 6;

/** Whether the live readings are on screen (the tab is visible and the HUD not hidden). */
function readingsShown(s: Settings): boolean {
  return !document.hidden && !splitList(s.hide).includes('hud');
}

/** Playback waits for measurements while their charts are on screen (see CHART_POINTS). */
export function tieMeasurements(app: App, s: Settings): void {
  const charted = readingsShown(s) && (isImageDataset(s.dataset) || s.observables);
  app.sandbox.playback.measureEvery(
    charted ? Math.max(1, Math.ceil(s.steps / CHART_POINTS)) : null,
  );
}

/** After each frame the sandbox drew: the run's readings into the panels (every HUD_EVERY). */
export function frameHandler(app: App): () => void {
  let frames = 0;
  return (): void => {
    const { sandbox } = app;
    // A new run or a reset clears the charts at once: their points are of particles gone.
    const p = app.panels;
    if (sandbox.runId !== app.chartedRun) {
      p?.physicsCharts.reset();
      p?.memorisation.reset();
      app.chartedRun = sandbox.runId;
    }
    if (++frames % HUD_EVERY !== 0 || !p) return;
    const s = sandbox.status();
    const settings = sandbox.settings();
    p.hud.update({
      ...s,
      n: settings.n,
      fps: sandbox.playback.fpsEstimate,
      mode: settings.mode,
      unit: sandbox.imageMode ? 'images' : 'particles',
    });
    p.chart.setT(s.t);
    p.panel.tick();
    p.labels.update(sandbox.views.imagePanels());
    // The lane captions' noise note follows t (the distances update them as they are measured).
    updateLabels(app);
  };
}

/** The animation frame loop. */
export function startFrames(app: App): void {
  const loop = (now: number): void => {
    app.sandbox.playback.frame(now);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}

/** Measures, then again after a pause four times as long as the measurement took (>= 0.5 s). */
export function startMeasurements(app: App): void {
  const { sandbox } = app;
  let measurements = 0;
  const tick = (): void => {
    const started = performance.now();
    const s = sandbox.settings();
    tieMeasurements(app, s);
    const shown = readingsShown(s);
    // The observables are measured whether charted or not, so a diverging run is caught; on
    // images each measurement costs a denoiser evaluation, kept to a fifth of the GPU's time.
    // What the charts measure compiles at once, beside the first reading (once per device).
    const entropy = s.observables && measurements % 4 === 0;
    const first = (): Promise<unknown> =>
      Promise.all([
        sandbox.measurement.prepare({ marginals: s.marginals, entropy }),
        sandbox.imageMode
          ? measureImages(app)
          : sandbox.measurement.distances().then(() => updateLabels(app)),
      ]);
    const work = (
      shown
        ? first().then(() => measurePhysics(app, s, measurements++ % 4 === 0))
        : // Nothing shown: still watch for divergence, cheaply.
          sandbox.measurement.metrics({})
    ).then(() => updateLabels(app)); // the captions' straightness
    void work
      .catch(() => undefined)
      .finally(() => {
        const due = performance.now() + Math.max(500, 4 * (performance.now() - started));
        const poll = (): void => {
          if (sandbox.playback.awaitingMeasurement() || performance.now() >= due) tick();
          else setTimeout(poll, 16);
        };
        poll();
      });
  };
  tick();
}

/** The observables into the charts, the marginals into their panel. */
async function measurePhysics(app: App, s: Settings, entropy: boolean): Promise<void> {
  const { sandbox } = app;
  // Always measured, cheaply, so a diverging run is caught; the entropy (O(P^2)) only for charts.
  const [sample] = await sandbox.measurement.metrics({
    marginals: s.marginals,
    entropy: s.observables && entropy,
  });
  // A sample of a run since reset or replaced is of particles no longer shown.
  if (!sample || sample.run !== sandbox.runId || sample.run !== app.chartedRun) return;
  if (s.observables) {
    app.panels?.physicsCharts.push({ ...sample });
    // Charted: playback may pass this step.
    sandbox.playback.measured(sample.run, sample.step);
  }
  if (s.marginals) {
    const view = await sandbox.measurement.marginals();
    const x = view?.particles.xEdges;
    const y = view?.particles.yEdges;
    if (view && x && y)
      app.panels?.marginals.update(view.particles, view.target, {
        x: [x[0]!, x[x.length - 1]!],
        y: [y[0]!, y[y.length - 1]!],
      });
  }
}

/** The batch's memorisation into its panel; the nearest-image panel updates on the GPU meanwhile. */
async function measureImages(app: App): Promise<void> {
  const { sandbox } = app;
  const [sample] = await sandbox.measurement.images();
  if (!sample || sample.run !== sandbox.runId || sample.run !== app.chartedRun) return;
  app.panels?.memorisation.push(sample);
  sandbox.playback.measured(sample.run, sample.step);
}
