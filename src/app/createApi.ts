/** The scripting API (window.sandbox) over the app: every call goes to the sandbox's own queue. */
import { labelsOf } from '../io/pointLabels';
import { toPointArray } from '../io/pointsInput';
import { checkedApi, type SandboxApi } from './api';
import type { App } from './context';
import { loadImageFiles, useCustomPoints } from './files';
import { runGuidanceCurve } from './guidanceCurve';
import { chartCanvas, recordClip } from './recording';

export function createApi(app: App, ready: Promise<void>): SandboxApi {
  const { sandbox } = app;
  return checkedApi({
    ready,
    settings: () => sandbox.settings(),
    configure: (patch) => sandbox.configure(patch),
    reset: () => sandbox.reset(),
    step: (k) => sandbox.step(k),
    run: () => sandbox.run(),
    play: () => sandbox.play(),
    pause: () => sandbox.pause(),
    scrub: (t) => sandbox.scrub(t),
    positions: (lane) => sandbox.read.positions(lane === 'b' ? 1 : 0),
    data: () => sandbox.read.dataPoints(),
    status: () => sandbox.status(),
    distances: () => sandbox.read.distances(),
    sweep: async (spec) => (await sandbox.sweep(spec)).rows,
    loadPoints: async (points, options) => {
      const xy = toPointArray(points);
      const labels = options?.labels ? labelsOf(options.labels, xy.length / 2) : null;
      await useCustomPoints(app, xy, options?.normalise ?? true, 'a script', labels);
    },
    loseDevice: () => sandbox.loseDevice(),
    record: (options) => recordClip(app, options),
    snapshot: (options) => sandbox.clips.snapshot(options, () => chartCanvas(app)),
    metrics: () => sandbox.read.metrics(),
    velocities: () => sandbox.read.velocities(),
    speciation: (options) => sandbox.speciation(options),
    images: () => sandbox.read.images(),
    memorisation: () => sandbox.read.memorisation(),
    loadImages: (files) => loadImageFiles(app, files),
    imagePanels: () => sandbox.views.imagePanels(),
    train: (options) => sandbox.train(options),
    model: () => {
      const { arch, parameters, step, loss, history } = sandbox.learning.snapshot();
      return { arch, parameters, step, loss, history };
    },
    saveModel: () => sandbox.saveModel(),
    loadModel: (bytes) => sandbox.loadModel(bytes),
    memorisationVsM: (options) => sandbox.memorisationVsM(options),
    generalisationVsN: (options) => sandbox.generalisationVsN(options),
    guidanceSweep: (options) => runGuidanceCurve(app, options),
  });
}
