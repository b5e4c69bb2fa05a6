/** The learned denoiser's weights from the page: save to a download, load from a file. */
import { describeArch } from '../sandbox/learnedWeights';
import { download } from '../ui/presetsFolder';
import type { App } from './context';

/** Larger than any network the settings allow (the U-Net's largest, about 56 MB): a file past it is not one of ours. */
const MAX_MODEL_BYTES = 64 * 1024 * 1024;

export function saveModelFile(app: App): void {
  app.sandbox
    .saveModel()
    .then((bytes) => {
      const { arch, step } = app.sandbox.learning.snapshot();
      const name = `denoiser-${describeArch(arch).slug}-step${step}.safetensors`;
      download(new Blob([bytes], { type: 'application/octet-stream' }), name);
    })
    .catch((e: unknown) => app.report(e));
}

export async function loadModelFile(app: App, file: File): Promise<void> {
  try {
    if (file.size > MAX_MODEL_BYTES)
      throw new Error(
        `${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB: a network of this page is at most ${MAX_MODEL_BYTES / 2 ** 20} MB`,
      );
    await app.sandbox.loadModel(await file.arrayBuffer());
    app.messages.show(`Loaded the weights of ${file.name}.`);
  } catch (e) {
    app.report(
      new Error(`${file.name} was not loaded: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
}

/** The memorisation experiment from the panel: its curves fill in the Model panel as they come. */
export function runMemorisationVsM(app: App): void {
  const panel = app.panels?.model;
  if (!panel) return;
  app.layout.reveal(panel.element);
  app.messages.show(
    'Memorisation vs M: a fresh network for each M; the curves come in as it trains.',
  );
  app.sandbox
    .memorisationVsM({ onProgress: (rows) => panel.showExperiment(rows) })
    .then((rows) => {
      panel.showExperiment(rows);
      app.messages.show('Memorisation vs M: done.');
    })
    .catch((e: unknown) => app.report(e));
}

/**
 * The generalisation experiment from the panel (images): its curves and samples fill in the
 * Generalisation panel as they come; N already done (kept in IndexedDB) come back at once.
 */
export function runGeneralisationVsN(app: App): void {
  const panel = app.panels?.generalisation;
  if (!panel) return;
  app.layout.reveal(panel.element);
  app.messages.show(
    'Generalisation vs N: two U-Nets for each N, each on its own N images; the curves come in as they train.',
  );
  // The panel follows the sandbox's generalisation events.
  app.sandbox
    .generalisationVsN()
    .then(() => app.messages.show('Generalisation vs N: done.'))
    .catch((e: unknown) => app.report(e));
}
