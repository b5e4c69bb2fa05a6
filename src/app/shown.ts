/** What the page shows for the settings: which panels, the compare layout, and the run captions. */
import type { Distance } from '../sim/distance/distanceMeter';
import type { PhysicsSample } from '../sandbox/types';
import { imageDim, imageShapeOf, isImageDataset } from '../maths/imageDatasets';
import { imageChartNote } from '../ui/physicsCharts';
import { compareSettings } from '../settings/validate';
import { describeRun, offScreenNote, runLevels } from '../settings/runSpec';
import { VIEW_HEIGHT } from '../render/viewport';
import { PANELS, splitList, type Settings } from '../settings/settings';
import type { App } from './context';
import { tieMeasurements } from './scheduler';

export function showSettings(app: App, settings: Settings): void {
  const { root, panels: p } = app;
  const hidden = new Set(splitList(settings.hide));
  for (const panel of PANELS) document.body.classList.toggle(`hide-${panel}`, hidden.has(panel));
  root.classList.toggle('compare', settings.compare);
  const dataset = settings.dataset;
  const images = isImageDataset(dataset);
  if (p) {
    p.chart.update(settings, runLevels(settings));
    p.physicsCharts.setMode(settings.mode);
    // Images: the observables in R^d (what they can mean, in the note); marginals are of the plane.
    p.physicsCharts.element.toggleAttribute('hidden', !settings.observables);
    p.physicsCharts.setNote(images ? imageChartNote(imageDim(imageShapeOf(dataset))) : null);
    p.marginals.element.toggleAttribute('hidden', images || !settings.marginals);
    p.memorisation.element.toggleAttribute('hidden', !images);
    const learned = settings.denoiser === 'learned' || settings.training;
    p.model.element.toggleAttribute('hidden', !learned);
    p.generalisation.setImages(images);
    // Images: the clones' classes are their nearest training image's label (mnist, shapes).
    const labelled = !images || dataset === 'mnist' || dataset === 'shapes';
    if (settings.mode !== 'reverse' || !labelled) p.speciation.element.setAttribute('hidden', '');
  }
  tieMeasurements(app, settings);
  root.classList.toggle('images', images);
  root.classList.toggle(
    'physics-on',
    images ||
      settings.observables ||
      settings.marginals ||
      settings.denoiser === 'learned' ||
      settings.training,
  );
  updateLabels(app);
}

/**
 * Each lane's caption: its run, its last distance to the data and its paths' straightness (the
 * mean L / D - 1, src/maths/straightness.ts), each with the t it was measured at.
 */
export function updateLabels(app: App): void {
  const { sandbox, labels } = app;
  const s = sandbox.settings();
  const status = sandbox.status();
  const [da, db] = sandbox.measurement.lastDistances();
  const [sa, sb] = sandbox.measurement.lastSamples();
  const w2 = (d: Distance | null | undefined): string =>
    d ? ` · W2 to data ${d.distance.toFixed(4)} at t ${d.t.toFixed(3)}` : '';
  // NaN before the first step (no path yet) and on images' runs: nothing to say.
  const straight = (p: PhysicsSample | null | undefined): string =>
    p && Number.isFinite(p.straightness)
      ? ` · straightness ${p.straightness.toFixed(4)} at t ${p.t.toFixed(3)}`
      : '';
  // A variance-exploding run starts mostly off screen: said, so an empty lane reads as noise.
  const note = (run: Settings, t: number): string => {
    const text = offScreenNote(run, t, VIEW_HEIGHT / 2);
    return text && ` · ${text}`;
  };
  const b = compareSettings(s);
  const texts = [
    `A · ${describeRun(s)}${w2(da)}${straight(sa)}${note(s, status.t)}`,
    b.ok && status.compare
      ? `B · ${describeRun(b.settings)}${w2(db)}${straight(sb)}${note(b.settings, status.compare.t)}`
      : '',
  ];
  // Called every few frames: the DOM is touched only when a caption changed.
  labels.forEach((label, i) => {
    if (label.textContent !== texts[i]) label.textContent = texts[i]!;
  });
}
