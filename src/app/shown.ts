/** What the page shows for the settings: which panels, the compare layout, and the run captions. */
import type { Distance } from '../sim/distance/distanceMeter';
import { isImageDataset } from '../maths/imageDatasets';
import { compareSettings } from '../settings/validate';
import { describeRun, runLevels } from '../settings/runSpec';
import { PANELS, splitList, type Settings } from '../settings/settings';
import type { App } from './context';
import { tieMeasurements } from './scheduler';

export function showSettings(app: App, settings: Settings): void {
  const { root, panels: p } = app;
  const hidden = new Set(splitList(settings.hide));
  for (const panel of PANELS) document.body.classList.toggle(`hide-${panel}`, hidden.has(panel));
  root.classList.toggle('compare', settings.compare);
  const images = isImageDataset(settings.dataset);
  if (p) {
    p.chart.update(settings, runLevels(settings));
    p.physicsCharts.setMode(settings.mode);
    // Images have their own live measurement (memorisation); the point-cloud physics is for points.
    p.physicsCharts.element.toggleAttribute('hidden', images || !settings.observables);
    p.marginals.element.toggleAttribute('hidden', images || !settings.marginals);
    p.memorisation.element.toggleAttribute('hidden', !images);
    if (settings.mode !== 'reverse' || images) p.speciation.element.setAttribute('hidden', '');
  }
  tieMeasurements(app, settings);
  root.classList.toggle('images', images);
  root.classList.toggle('physics-on', images || settings.observables || settings.marginals);
  updateLabels(app);
}

/** Each lane's caption: its run, and its last distance to the data with the t it was taken at. */
export function updateLabels(app: App): void {
  const { sandbox, labels } = app;
  const s = sandbox.settings();
  const status = sandbox.status();
  const [da, db] = sandbox.measurement.lastDistances();
  const w2 = (d: Distance | null | undefined): string =>
    d ? ` · W2 to data ${d.distance.toFixed(4)} at t ${d.t.toFixed(3)}` : '';
  labels[0].textContent = `A · ${describeRun(s)}${w2(da)}`;
  const b = compareSettings(s);
  labels[1].textContent = b.ok && status.compare ? `B · ${describeRun(b.settings)}${w2(db)}` : '';
}
