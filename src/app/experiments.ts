/** The experiments from the panel: the quality-vs-NFE sweep and cloning, into their panels. */
import { isImageDataset } from '../maths/imageDatasets';
import type { ScheduleId } from '../maths/schedules';
import { splitList, type SamplerId } from '../settings/settings';
import type { App } from './context';

/** Runs the sweep the settings describe, into the sweep panel. */
export function runSweepFromSettings(app: App): void {
  const s = app.sandbox.settings();
  const spec = {
    samplers: splitList(s.sweepSamplers) as SamplerId[],
    schedules: splitList(s.sweepSchedules) as ScheduleId[],
    nfe: splitList(s.sweepNfe).map(Number),
    // Images: their own batch (at most IMAGE_BATCH_MAX), not the points' sweep size.
    ...(isImageDataset(s.dataset) ? {} : { n: s.sweepN }),
  };
  const run = app.sweepPanel.run(
    spec.samplers.length * spec.schedules.length * spec.nfe.length,
    (options) => app.sandbox.sweep(spec, options),
    s.dataset,
  );
  app.layout.reveal(app.sweepPanel.element);
  run.catch((e: unknown) => app.report(e));
}

/** Clone at the current t (one point) or over the whole run (the curve), into its panel. */
export function speciate(app: App, curve: boolean): void {
  const { sandbox } = app;
  const panel = app.panels?.speciation;
  if (!panel) return;
  if (sandbox.settings().mode !== 'reverse') {
    app.messages.show("Cloning needs the reverse process: set mode to 'reverse'.", 'warning');
    return;
  }
  panel.element.removeAttribute('hidden');
  app.layout.reveal(panel.element);
  const controller = new AbortController();
  panel.onCancel = () => controller.abort();
  panel.setRunning(true);
  panel.setProgress(
    curve ? 'cloning at 12 times…' : `cloning at t = ${sandbox.status().t.toFixed(3)}…`,
  );
  sandbox
    .speciation({
      curve,
      signal: controller.signal,
      onProgress: (done, total) => panel.setProgress(`cloned at ${done} of ${total} times…`),
    })
    .then((result) => {
      panel.setTheory(result.theory);
      if (curve) panel.setPoints(result.points, result.chance);
      else for (const point of result.points) panel.addPoint(point, result.chance);
      const p = result.points[result.points.length - 1]!;
      const done = curve
        ? 'curve done'
        : `t ${p.t.toFixed(3)}: P(same mode) ${p.sameMode.toFixed(2)}`;
      panel.setProgress(`${done}${result.note ? ` · ${result.note}` : ''}`);
    })
    .catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'AbortError') panel.setProgress('cancelled');
      else app.report(e);
    })
    .finally(() => panel.setRunning(false));
}
