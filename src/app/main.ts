/** Wiring only: the sandbox, its panel, charts, HUD, keys, drawing, files, URL hash and window.sandbox. */
import '../style.css';
import { checkedApi, type SandboxApi } from './api';
import { WebGpuUnavailableError } from '../gpu/device';
import { shaderSources } from '../gpu/shaderSources';
import { loadCustomPoints, saveCustomPoints } from '../io/customStore';
import { readPointFile } from '../io/pointFile';
import { toPointArray } from '../io/pointsInput';
import { describeRun, runLevels } from '../settings/runSpec';
import { normalisePoints } from '../maths/datasets';
import type { ScheduleId } from '../maths/schedules';
import { Sandbox } from '../sandbox/sandbox';
import { DEFAULTS, splitList, type SamplerId, type Settings } from '../settings/settings';
import { compareSettings } from '../settings/validate';
import { encodeHash } from '../settings/hash';
import { settingsFromHash } from '../settings/link';
import { ControlPanel } from '../ui/controlPanel';
import { Drawing } from '../ui/drawing';
import { acceptDrops, chooseFile } from '../ui/files';
import { download } from '../ui/presetsFolder';
import { RecordBar } from '../ui/recordBar';
import { clipName } from '../record/clip';
import { availableFormats, webCodecsAvailable } from '../record/recorder';
import { Hud } from '../ui/hud';
import { bindKeys } from '../ui/keyboard';
import { Messages } from '../ui/messages';
import { showNoWebGpu } from '../ui/noWebGpu';
import { curveFromSchedule, ScheduleChart } from '../ui/scheduleChart';
import { SweepPanel } from '../ui/sweepPanel';
import { MarginalsPanel } from '../ui/marginalsPanel';
import { PhysicsCharts } from '../ui/physicsCharts';
import type { Distance } from '../sim/distance/distanceMeter';
import { SpeciationPanel } from '../ui/speciationPanel';
import { MemorisationPanel } from '../ui/memorisationPanel';
import { PanelLabels } from '../ui/panelLabels';
import { decodeImageFile, imageFileToPoints } from '../io/imageFiles';
import { COLOUR_SHAPE, imageDim, isImageDataset } from '../maths/imageDatasets';

const root = document.getElementById('app')!;
const canvas = document.getElementById('view') as HTMLCanvasElement;
const canvasB = document.getElementById('view-b') as HTMLCanvasElement;
const labels = [document.getElementById('label-a')!, document.getElementById('label-b')!];
const messages = new Messages(root);
const report = (e: unknown): void =>
  messages.show(e instanceof Error ? e.message : String(e), 'error');

/** The settings a link opens (validated as a whole), with a warning for each key left out. */
function settingsFromLink(hash: string): Settings {
  const { settings, unknown, problems } = settingsFromHash(hash);
  for (const key of unknown)
    messages.show(`The link has an unknown setting '${key}': ignored.`, 'warning');
  for (const { key, error } of problems)
    messages.show(
      `The link's ${key} is not valid (${error}): using ${String(settings[key])}.`,
      'warning',
    );
  return settings;
}

let panel: ControlPanel | null = null;
let hud: Hud | null = null;
let chart: ScheduleChart | null = null;
let frameCount = 0;
const physicsColumn = document.getElementById('physics')!;
let physicsCharts: PhysicsCharts | null = null;
let marginalsPanel: MarginalsPanel | null = null;
let speciationPanel: SpeciationPanel | null = null;
let memorisationPanel: MemorisationPanel | null = null;
let panelLabels: PanelLabels | null = null;
/**
 * The fewest points a run's charts get, however slow the GPU: playback waits at every
 * steps / CHART_POINTS-th step until it is measured (Sandbox.measureEvery).
 */
const CHART_POINTS = 40;

/** The run the charts show (Sandbox.run): they restart with it. */
let chartedRun = -1;

function showSettings(settings: Settings): void {
  const hidden = new Set(splitList(settings.hide));
  for (const p of ['gui', 'charts', 'hud'])
    document.body.classList.toggle(`hide-${p}`, hidden.has(p));
  root.classList.toggle('compare', settings.compare);
  chart?.update(settings, runLevels(settings));
  physicsCharts?.setMode(settings.mode);
  tieMeasurements(settings);
  physicsCharts?.element.toggleAttribute('hidden', !settings.observables);
  marginalsPanel?.element.toggleAttribute('hidden', !settings.marginals);
  const images = isImageDataset(settings.dataset);
  // Images have their own live measurement (memorisation); the point-cloud physics is for points.
  physicsCharts?.element.toggleAttribute('hidden', images || !settings.observables);
  marginalsPanel?.element.toggleAttribute('hidden', images || !settings.marginals);
  memorisationPanel?.element.toggleAttribute('hidden', !images);
  root.classList.toggle('images', images);
  root.classList.toggle('physics-on', images || settings.observables || settings.marginals);
  if (settings.mode !== 'reverse' || images) speciationPanel?.element.setAttribute('hidden', '');
  updateLabels();
}

function updateLabels(): void {
  const s = sandbox.settings();
  const status = sandbox.status();
  // The last distance of this run, with the t of the particles it measured.
  const [da, db] = sandbox.lastDistances();
  const w2 = (d: Distance | null | undefined): string =>
    d ? ` · W2 to data ${d.distance.toFixed(4)} at t ${d.t.toFixed(3)}` : '';
  labels[0]!.textContent = `A · ${describeRun(s)}${w2(da)}`;
  const b = compareSettings(s);
  labels[1]!.textContent = b.ok && status.compare ? `B · ${describeRun(b.settings)}${w2(db)}` : '';
}

const sandbox: Sandbox = new Sandbox([canvas, canvasB], shaderSources, {
  message: (text, level) => messages.show(text, level),
  settings: (settings) => {
    const hash = encodeHash(settings);
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
    panel?.refresh();
    showSettings(settings);
  },
  frame: () => {
    // A new run or a reset clears the charts at once: their points are of particles gone.
    if (sandbox.runId !== chartedRun) {
      physicsCharts?.reset();
      memorisationPanel?.reset();
      chartedRun = sandbox.runId;
    }
    if (++frameCount % 6 !== 0) return;
    const s = sandbox.status();
    const settings = sandbox.settings();
    hud?.update({
      ...s,
      n: settings.n,
      fps: sandbox.fpsEstimate,
      mode: settings.mode,
      unit: sandbox.imageMode ? 'images' : 'particles',
    });
    chart?.setT(s.t);
    panel?.tick();
    panelLabels?.update(sandbox.imagePanels());
  },
});

async function useCustomPoints(
  points: Float32Array,
  normalise: boolean,
  source: string,
): Promise<void> {
  const prepared = normalise ? normalisePoints(points) : { points, scale: 1 };
  await sandbox.setCustomPoints(prepared.points);
  showCustomPoints(prepared, normalise, source);
}

function showCustomPoints(
  prepared: { points: Float32Array; scale: number },
  normalise: boolean,
  source: string,
): void {
  saveCustomPoints(
    prepared.points.length / 2 > 100_000 ? prepared.points.subarray(0, 200_000) : prepared.points,
  );
  const count = (prepared.points.length / 2).toLocaleString('en');
  const scaled = normalise ? ` (centred, scaled ×${prepared.scale.toPrecision(3)})` : '';
  messages.show(`Using ${count} points from ${source}${scaled}.`, 'info');
}

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;

/**
 * Image files: in an image dataset they join 'images' (your own 32x32 colour images); on points,
 * the first becomes the 'custom' points, its dark pixels (diffuse into your own logo).
 */
async function loadImageFiles(files: readonly Blob[]): Promise<void> {
  if (files.length === 0) throw new Error('no image files');
  const name = (f: Blob): string => (f instanceof File ? f.name : 'the image');
  // Decoded in the sandbox's queue, for the dataset as it is after every call made before.
  let images = false;
  await sandbox.useData(async (s) => {
    images = isImageDataset(s.dataset);
    if (!images) return { points: await imageFileToPoints(files[0]!, s.m, s.seed) };
    const d = imageDim(COLOUR_SHAPE);
    const out = new Float32Array(files.length * d);
    for (const [i, file] of files.entries())
      out.set(await decodeImageFile(file, COLOUR_SHAPE), i * d);
    return { images: out };
  }, 'loadImages()');
  if (images) {
    const count = files.length === 1 ? name(files[0]!) : `${files.length} images`;
    messages.show(`Added ${count} to your images (32×32 colour).`, 'info');
  } else {
    const points = sandbox.customPoints();
    if (points)
      showCustomPoints({ points, scale: 1 }, false, `the dark pixels of ${name(files[0]!)}`);
  }
}

async function loadFile(file: File): Promise<void> {
  if (IMAGE_FILE.test(file.name) || file.type.startsWith('image/')) {
    await loadImageFiles([file]).catch(report);
    return;
  }
  try {
    await useCustomPoints(await readPointFile(file), true, file.name);
  } catch (e) {
    report(e);
  }
}

const POINT_FILES =
  '.csv,.tsv,.txt,.json,text/csv,application/json,image/png,image/jpeg,image/webp';

function togglePlay(): void {
  if (sandbox.isPlaying) sandbox.pause();
  else sandbox.play();
}

const sweepPanel = new SweepPanel(root);
const recordBar = new RecordBar(root);

/**
 * The chart to inset into clips: in Langevin mode the live observables' (heat capacity) when
 * they are on, else the schedule chart's canvas at the current t.
 */
const chartCanvas = (): HTMLCanvasElement | null => {
  const s = sandbox.settings();
  const observed = s.mode === 'langevin' && s.observables ? physicsCharts?.canvas() : null;
  if (observed) return observed;
  chart?.setT(sandbox.status().t);
  return chart?.canvas() ?? null;
};

/** Records a clip as the settings (and `overrides`) say, with the progress bar; returns it. */
async function recordClip(overrides: Parameters<Sandbox['record']>[0] = {}): Promise<Blob> {
  if (!webCodecsAvailable()) {
    messages.show(
      'This browser has no WebCodecs: recording in real time with MediaRecorder (WebM), so the clip is only as smooth as the page.',
      'warning',
    );
  }
  const signal = recordBar.start();
  panel?.lock(true);
  try {
    const clip = await sandbox.record(
      overrides,
      { signal, onProgress: (f, n) => recordBar.progress(f, n) },
      chartCanvas,
    );
    if (clip.partial)
      messages.show(
        `The GPU was lost during the clip: kept its first ${clip.frames} frames.`,
        'warning',
      );
    return clip.blob;
  } finally {
    recordBar.stop();
    panel?.lock(false);
  }
}

function recordAndDownload(): void {
  const settings = sandbox.settings();
  recordClip()
    .then((blob) => {
      const extension = blob.type.includes('mp4') ? 'mp4' : 'webm';
      download(blob, clipName(settings, extension));
      messages.show(`Saved ${clipName(settings, extension)} (${(blob.size / 1e6).toFixed(1)} MB).`);
    })
    .catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'AbortError')
        messages.show('Recording cancelled: nothing saved.');
      else report(e);
    });
}

function snapshotAndDownload(): void {
  const settings = sandbox.settings();
  sandbox
    .snapshot({}, chartCanvas)
    .then((blob) => download(blob, clipName(settings, 'png')))
    .catch(report);
}

/** Runs the sweep the settings describe, into the sweep panel. */
function runSweepFromSettings(): void {
  const s = sandbox.settings();
  const spec = {
    samplers: splitList(s.sweepSamplers) as SamplerId[],
    schedules: splitList(s.sweepSchedules) as ScheduleId[],
    nfe: splitList(s.sweepNfe).map(Number),
    n: s.sweepN,
  };
  sweepPanel
    .run(spec.samplers.length * spec.schedules.length * spec.nfe.length, (options) =>
      sandbox.sweep(spec, options),
    )
    .catch(report);
}

/** Playback waits for measurements while their charts are on screen (see CHART_POINTS). */
function tieMeasurements(s: Settings): void {
  const hidden = document.hidden || new Set(splitList(s.hide)).has('hud');
  const charted = !hidden && (isImageDataset(s.dataset) || s.observables);
  sandbox.measureEvery(charted ? Math.max(1, Math.ceil(s.steps / CHART_POINTS)) : null);
}

/**
 * Off the frame path: each run's distance to the data and its observables (or, on images, its
 * memorisation), a few times a second, measuring never more than a fifth of the GPU's time;
 * and at once whenever playback waits at a checkpoint for its measurement, so that the charts
 * follow the steps rather than the clock.
 */
function measureLoop(): void {
  const tick = (): void => {
    const started = performance.now();
    const s = sandbox.settings();
    const hidden = document.hidden || new Set(splitList(s.hide)).has('hud');
    tieMeasurements(s);
    const work = hidden
      ? Promise.resolve()
      : sandbox.imageMode
        ? measureImages()
        : sandbox
            .measureDistances()
            .then(updateLabels)
            .then(() => measurePhysics(s));
    void work
      .catch(() => undefined)
      .finally(() => {
        const due = performance.now() + Math.max(500, 4 * (performance.now() - started));
        const poll = (): void => {
          if (sandbox.awaitingMeasurement() || performance.now() >= due) tick();
          else setTimeout(poll, 16);
        };
        poll();
      });
  };
  tick();
}

/** The observables into the charts, the marginals into their panel (off the frame path). */
async function measurePhysics(s: Settings): Promise<void> {
  // Always measured, cheaply, so a diverging run is caught; the entropy (O(P^2)) only for charts.
  const [sample] = await sandbox.measureMetrics({
    marginals: s.marginals,
    entropy: s.observables && measurements++ % 4 === 0,
  });
  // A sample of a run since reset or replaced is of particles no longer shown.
  if (!sample || sample.run !== sandbox.runId || sample.run !== chartedRun) return;
  if (s.observables) {
    physicsCharts?.push({ ...sample });
    // Charted: playback may pass this step.
    sandbox.measured(sample.run, sample.step);
  }
  if (s.marginals) {
    const view = await sandbox.marginals();
    if (view)
      marginalsPanel?.update(view.particles, view.target, {
        x: [view.particles.xEdges[0]!, view.particles.xEdges[view.particles.xEdges.length - 1]!],
        y: [view.particles.yEdges[0]!, view.particles.yEdges[view.particles.yEdges.length - 1]!],
      });
  }
}
let measurements = 0;

/** The batch's memorisation into its panel; the nearest-image panel updates on the GPU meanwhile. */
async function measureImages(): Promise<void> {
  const [sample] = await sandbox.measureImages();
  if (!sample || sample.run !== sandbox.runId || sample.run !== chartedRun) return;
  memorisationPanel?.push(sample);
  sandbox.measured(sample.run, sample.step);
}

/** Clone at the current t (one point) or over the whole run (the curve), into its panel. */
function speciate(curve: boolean): void {
  const panel = speciationPanel;
  if (!panel) return;
  if (sandbox.settings().mode !== 'reverse') {
    messages.show("Cloning needs the reverse process: set mode to 'reverse'.", 'warning');
    return;
  }
  panel.element.removeAttribute('hidden');
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
      panel.setProgress(
        `${curve ? 'curve done' : `t ${p.t.toFixed(3)}: P(same mode) ${p.sameMode.toFixed(2)}`}${result.note ? ` · ${result.note}` : ''}`,
      );
    })
    .catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'AbortError') panel.setProgress('cancelled');
      else report(e);
    })
    .finally(() => panel.setRunning(false));
}

function startUi(): void {
  physicsCharts = new PhysicsCharts(physicsColumn);
  marginalsPanel = new MarginalsPanel(physicsColumn);
  speciationPanel = new SpeciationPanel(physicsColumn);
  speciationPanel.element.setAttribute('hidden', '');
  speciationPanel.onClone = () => speciate(false);
  speciationPanel.onCurve = () => speciate(true);
  memorisationPanel = new MemorisationPanel(physicsColumn);
  panelLabels = new PanelLabels(canvas.parentElement!);
  // Image datasets: a click on an image follows it large with its filmstrip; elsewhere, back.
  canvas.addEventListener('click', (e) => {
    if (!sandbox.imageMode) return;
    const index = sandbox.pickImage(e.clientX, e.clientY);
    const follow = index ?? -1;
    if (follow !== sandbox.settings().follow) sandbox.configure({ follow }).catch(report);
  });
  hud = new Hud(root);
  chart = new ScheduleChart(document.getElementById('charts')!, (customCurve) => {
    sandbox.configure({ schedule: 'custom', customCurve }).catch((e: unknown) => {
      report(e);
      showSettings(sandbox.settings());
    });
  });
  let drawn: Float32Array | null = null;
  const drawing = new Drawing(canvas, {
    toWorld: (x, y) => sandbox.toWorld(x, y),
    commit: (stroke) => {
      const base =
        sandbox.settings().dataset === 'custom' ? (drawn ?? sandbox.customPoints()) : null;
      const points = new Float32Array((base?.length ?? 0) + stroke.length);
      if (base) points.set(base);
      points.set(stroke, base?.length ?? 0);
      drawn = points;
      useCustomPoints(points, false, 'your drawing').catch(report);
    },
  });
  panel = new ControlPanel({
    settings: () => sandbox.settings(),
    configure: (patch) => sandbox.configure(patch),
    maxParticles: sandbox.maxParticles,
    isPlaying: () => sandbox.isPlaying,
    togglePlay,
    step: () => void sandbox.step().catch(report),
    reset: () => void sandbox.reset().catch(report),
    scrub: (t) => void sandbox.scrub(t).catch(report),
    currentT: () => sandbox.status().t,
    resetView: () => sandbox.resetView(),
    loadFile: () => chooseFile(POINT_FILES, (file) => void loadFile(file)),
    setDrawing: (on) => {
      drawing.setEnabled(on);
      sandbox.setPanZoom(!on);
      if (on)
        messages.show('Drag on the canvas to draw points; turn drawing off to pan and zoom again.');
    },
    clearDrawing: () => {
      drawn = null;
      if (sandbox.settings().dataset === 'custom') {
        sandbox.configure({ dataset: DEFAULTS.dataset }).catch(report);
      }
    },
    editCurve: () => {
      const s = sandbox.settings();
      const patch =
        s.schedule === 'custom'
          ? {}
          : { schedule: 'custom' as const, customCurve: curveFromSchedule(s) };
      sandbox
        .configure(patch)
        .then(() =>
          messages.show(
            'Drag the green points on the chart to reshape log-SNR; the run follows on release.',
          ),
        )
        .catch(report);
    },
    runSweep: () => runSweepFromSettings(),
    record: recordAndDownload,
    snapshot: snapshotAndDownload,
    clone: () => speciate(false),
    speciation: () => speciate(true),
    report,
    message: (text) => messages.show(text),
  });
  showSettings(sandbox.settings());
  void availableFormats(1920, 1080).then((formats) =>
    panel?.setFormats(
      formats.length
        ? formats.join(', ')
        : webCodecsAvailable()
          ? 'none'
          : 'WebM, real time (no WebCodecs)',
    ),
  );
  bindKeys(window, {
    snapshot: snapshotAndDownload,
    togglePlay,
    step: () => void sandbox.step().catch(report),
    reset: () => void sandbox.reset().catch(report),
  });
  acceptDrops(root, (files) => {
    const images = files.filter((f) => IMAGE_FILE.test(f.name) || f.type.startsWith('image/'));
    if (images.length) void loadImageFiles(images).catch(report);
    else if (files[0]) void loadFile(files[0]);
  });
  const resize = new ResizeObserver(() => sandbox.resize());
  resize.observe(canvas);
  resize.observe(canvasB);
  window.addEventListener('hashchange', (e) => {
    // The keys the new link changes, over the settings as they are when its turn comes: the
    // page's own hash may lag edits still queued, and the link never reverts them.
    const before = settingsFromHash(new URL(e.oldURL).hash).settings;
    const next = settingsFromLink(new URL(e.newURL).hash);
    const patch = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => before[k as keyof Settings] !== v),
    );
    sandbox.configure(patch).catch(report);
  });
  const loop = (now: number): void => {
    sandbox.frame(now);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  measureLoop();
}

async function boot(): Promise<void> {
  const initial = settingsFromLink(location.hash);
  if (initial.dataset === 'custom') {
    const stored = loadCustomPoints();
    if (stored) sandbox.restoreCustomPoints(stored);
  }
  root.classList.toggle('compare', initial.compare);
  try {
    await sandbox.start(initial);
  } catch (e) {
    if (e instanceof WebGpuUnavailableError) showNoWebGpu(root, e.message);
    else
      showNoWebGpu(
        root,
        `The sandbox could not start: ${e instanceof Error ? e.message : String(e)}`,
      );
    root.querySelector('.views')?.remove();
    throw e;
  }
  startUi();
  sandbox.play();
}

const ready = boot();
void ready.finally(() => messages.release()).catch(() => undefined);
ready.catch((e: unknown) => console.warn(e));

const api: SandboxApi = {
  ready,
  settings: () => sandbox.settings(),
  configure: (patch) => sandbox.configure(patch),
  reset: () => sandbox.reset(),
  step: (k) => sandbox.step(k),
  run: () => sandbox.run(),
  play: () => sandbox.play(),
  pause: () => sandbox.pause(),
  scrub: (t) => sandbox.scrub(t),
  positions: (lane) => sandbox.positions(lane === 'b' ? 1 : 0),
  data: () => sandbox.data(),
  status: () => sandbox.status(),
  distances: () => sandbox.distances(),
  sweep: async (spec) => (await sandbox.sweep(spec)).rows,
  loadPoints: async (points, options) => {
    await useCustomPoints(toPointArray(points), options?.normalise ?? true, 'a script');
  },
  loseDevice: () => sandbox.loseDevice(),
  record: (options) => recordClip(options),
  snapshot: (options) => sandbox.snapshot(options, chartCanvas),
  metrics: () => sandbox.metrics(),
  velocities: () => sandbox.velocities(),
  speciation: (options) => sandbox.speciation(options),
  images: () => sandbox.images(),
  memorisation: () => sandbox.memorisation(),
  loadImages: (files) => loadImageFiles(files),
  imagePanels: () => sandbox.imagePanels(),
};
window.sandbox = checkedApi(api);
