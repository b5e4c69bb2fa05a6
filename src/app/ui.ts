/** The panels, built once the sandbox runs, and the page's inputs wired to the sandbox. */
import { availableFormats, webCodecsAvailable } from '../record/recorder';
import { DEFAULTS } from '../settings/settings';
import { ControlPanel } from '../ui/controlPanel';
import { Drawing } from '../ui/drawing';
import { acceptDrops, chooseFile } from '../ui/files';
import { GeneralisationPanel } from '../ui/generalisationPanel';
import { folderTitled, guidanceCurveButton } from '../ui/guidanceButton';
import { Hud } from '../ui/hud';
import { bindKeys } from '../ui/keyboard';
import { MarginalsPanel } from '../ui/marginalsPanel';
import { MemorisationPanel } from '../ui/memorisationPanel';
import { ModelPanel } from '../ui/modelPanel';
import { PanelLabels } from '../ui/panelLabels';
import { PhysicsCharts } from '../ui/physicsCharts';
import { curveFromSchedule, ScheduleChart } from '../ui/scheduleChart';
import { SpeciationPanel } from '../ui/speciationPanel';
import type { App, Panels } from './context';
import { runSweepFromSettings, speciate } from './experiments';
import { loadDropped, loadFile, POINT_FILES, useCustomPoints } from './files';
import { guidanceCurveFromPanel } from './guidanceCurve';
import { loadModelFile, runGeneralisationVsN, runMemorisationVsM, saveModelFile } from './model';
import { recordAndDownload, snapshotAndDownload } from './recording';
import { showSettings } from './shown';

export function startUi(app: App): void {
  const { sandbox, root, physicsColumn } = app;
  const [canvas, canvasB] = app.canvases;
  const report = (e: unknown): void => app.report(e);
  const togglePlay = (): void => (sandbox.isPlaying ? sandbox.pause() : sandbox.play());
  const step = (): void => void sandbox.step().catch(report);
  const reset = (): void => void sandbox.reset().catch(report);
  // Built in the order they stand on the page.
  const physicsCharts = new PhysicsCharts(physicsColumn);
  const marginals = new MarginalsPanel(physicsColumn);
  const speciation = new SpeciationPanel(physicsColumn);
  speciation.element.setAttribute('hidden', '');
  speciation.onClone = () => speciate(app, false);
  speciation.onCurve = () => speciate(app, true);
  const memorisation = new MemorisationPanel(physicsColumn);
  const model = new ModelPanel(physicsColumn);
  const generalisation = new GeneralisationPanel(physicsColumn);
  const labels = new PanelLabels(canvas.parentElement!);
  // Image datasets: a click on an image follows it large with its filmstrip; elsewhere, back.
  canvas.addEventListener('click', (e) => {
    if (!sandbox.imageMode) return;
    const follow = sandbox.views.pickImage(e.clientX, e.clientY) ?? -1;
    if (follow !== sandbox.settings().follow) sandbox.configure({ follow }).catch(report);
  });
  const hud = new Hud(canvas.parentElement!);
  const chart = new ScheduleChart(document.getElementById('charts')!, (customCurve) => {
    sandbox.configure({ schedule: 'custom', customCurve }).catch((e: unknown) => {
      report(e);
      showSettings(app, sandbox.settings());
    });
  });
  let drawn: Float32Array | null = null;
  const drawing = new Drawing(canvas, {
    toWorld: (x, y) => sandbox.views.toWorld(x, y),
    commit: (stroke) => {
      const base =
        sandbox.settings().dataset === 'custom' ? (drawn ?? sandbox.customPoints()) : null;
      const points = new Float32Array((base?.length ?? 0) + stroke.length);
      if (base) points.set(base);
      points.set(stroke, base?.length ?? 0);
      drawn = points;
      useCustomPoints(app, points, false, 'your drawing').catch(report);
    },
  });
  const panel = new ControlPanel(
    {
      settings: () => sandbox.settings(),
      configure: (patch) => sandbox.configure(patch),
      maxParticles: sandbox.maxParticles,
      isPlaying: () => sandbox.isPlaying,
      togglePlay,
      step,
      reset,
      scrub: (t) => void sandbox.scrub(t).catch(report),
      currentT: () => sandbox.status().t,
      resetView: () => sandbox.views.resetView(),
      loadFile: () => chooseFile(POINT_FILES, (file) => void loadFile(app, file)),
      setDrawing: (on) => {
        drawing.setEnabled(on);
        sandbox.views.setPanZoom(!on);
        if (on)
          app.messages.show(
            'Drag on the canvas to draw points; turn drawing off to pan and zoom again.',
          );
      },
      clearDrawing: () => {
        drawn = null;
        if (sandbox.settings().dataset === 'custom')
          sandbox.configure({ dataset: DEFAULTS.dataset }).catch(report);
      },
      editCurve: () => {
        const s = sandbox.settings();
        const patch =
          s.schedule === 'custom'
            ? {}
            : { schedule: 'custom' as const, customCurve: curveFromSchedule(s) };
        app.layout.reveal(chart.element);
        const started = sandbox.configure(patch);
        chart.waitFor(started, patch.customCurve ?? s.customCurve);
        started
          .then(() =>
            app.messages.show(
              'Drag the green points on the chart to reshape log-SNR; the run follows on release.',
            ),
          )
          .catch(report);
      },
      runSweep: () => runSweepFromSettings(app),
      record: () => recordAndDownload(app),
      snapshot: () => snapshotAndDownload(app),
      clone: () => speciate(app, false),
      speciation: () => speciate(app, true),
      report,
      message: (text) => app.messages.show(text),
      resetModel: () => void sandbox.resetModel().catch(report),
      saveModel: () => saveModelFile(app),
      loadModel: () => chooseFile('.safetensors', (file) => void loadModelFile(app, file)),
      memorisationVsM: () => runMemorisationVsM(app),
      generalisationVsN: () => runGeneralisationVsN(app),
    },
    document.getElementById('controls')!,
  );
  // In the Guidance folder, shown with it wherever a class can be chosen.
  const guidanceFolder = folderTitled(panel.gui, 'Guidance');
  if (guidanceFolder) guidanceCurveButton(guidanceFolder, () => guidanceCurveFromPanel(app));
  const panels: Panels = {
    panel,
    hud,
    chart,
    physicsCharts,
    marginals,
    speciation,
    memorisation,
    model,
    generalisation,
    labels,
  };
  app.panels = panels;
  showSettings(app, sandbox.settings());
  const formats = (list: string[]): string =>
    list.length
      ? list.join(', ')
      : webCodecsAvailable()
        ? 'none'
        : 'WebM, real time (no WebCodecs)';
  void availableFormats(1920, 1080).then((list) => panel.setFormats(formats(list)));
  bindKeys(window, { snapshot: () => snapshotAndDownload(app), togglePlay, step, reset });
  acceptDrops(root, (files) => loadDropped(app, files));
  const resize = new ResizeObserver(() => sandbox.views.resize());
  resize.observe(canvas);
  resize.observe(canvasB);
}
