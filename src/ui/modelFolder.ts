/**
 * The Model folder of the panel: the learned denoiser's network and its training (settings
 * through the panel's bind), its weights (reset, save, load), lane B with the exact denoiser
 * beside it, and the memorisation experiment.
 */
import type GUI from 'lil-gui';
import type { Controller } from 'lil-gui';
import { TARGETS, WEIGHTINGS } from '../maths/learn/network';
import type { Settings } from '../settings/settings';
import type { PanelActions } from './controlPanel';
import { folderNote } from './folderNote';

/** Lane B of "show exact beside": the run of lane A with the exact denoiser. */
export const EXACT_BESIDE = 'denoiser=exact';

type Bind = (folder: GUI, key: keyof Settings, ...args: unknown[]) => Controller;

export function buildModelFolder(
  gui: GUI,
  bind: Bind,
  {
    actions,
    exact,
    refresh,
  }: { actions: PanelActions; exact: { on: boolean }; refresh: () => void },
): { folder: GUI; exact: Controller; setImages: (images: boolean) => void } {
  const f = gui.addFolder('Model (learned denoiser)');
  const note = folderNote(f, '');
  bind(f, 'training').name('train');
  f.add({ reset: () => actions.resetModel() }, 'reset').name('Reset weights');
  bind(f, 'trainSpeed', 1, 64, 1).name('steps per frame');
  bind(f, 'trainLr', 0.00001, 0.01, 0.00001).name('learning rate');
  const points = [bind(f, 'trainBatch', 16, 16384, 16).name('batch')];
  const images = [bind(f, 'unetBatch', 1, 256, 1).name('batch (images)')];
  bind(f, 'emaDecay', 0.9, 0.9999, 0.0001).name('EMA decay');
  points.push(
    bind(f, 'modelWidth', 8, 256, 8).name('width'),
    bind(f, 'modelDepth', 0, 8, 1).name('depth (blocks)'),
  );
  images.push(
    bind(f, 'unetChannels', 4, 128, 4).name('U-Net channels'),
    bind(f, 'unetLevels', 1, 4, 1).name('U-Net levels'),
  );
  points.push(bind(f, 'labelDropout', 0, 1, 0.05).name('label dropout (1: no class)'));
  bind(f, 'modelTarget', TARGETS).name('predicts');
  bind(f, 'lossWeighting', WEIGHTINGS).name('loss weighting');
  const exactController = f
    .add(exact, 'on')
    .name('show exact beside (B)')
    .onChange((on: boolean) => {
      const patch: Partial<Settings> = on
        ? { compare: true, compareWith: EXACT_BESIDE }
        : { compare: false };
      actions.configure(patch).catch((e: unknown) => {
        actions.report(e);
        refresh();
      });
    });
  f.add({ save: () => actions.saveModel() }, 'save').name('Save weights (.safetensors)');
  f.add({ load: () => actions.loadModel() }, 'load').name('Load weights…');
  points.push(f.add({ run: () => actions.memorisationVsM() }, 'run').name('Memorisation vs M'));
  images.push(f.add({ run: () => actions.generalisationVsN() }, 'run').name('Generalisation vs N'));
  /** Points train the 2D network, images the U-Net: each shows its own controls. */
  const setImages = (on: boolean): void => {
    for (const c of points) c.show(!on);
    for (const c of images) c.show(on);
    note.textContent = on
      ? "A U-Net trained live on the stored images; pick denoiser 'learned' to sample with it."
      : "A 2D network trained live on the stored points; pick denoiser 'learned' to sample with it.";
  };
  return { folder: f, exact: exactController, setImages };
}
