/**
 * The lil-gui panel. Its controllers edit a draft copy of the settings; every edit goes through
 * `configure`, and the draft is refreshed from the sandbox's settings after each change, so a
 * rejected value springs back and the GUI never holds state of its own.
 */
import GUI, { type Controller } from 'lil-gui';
import {
  DATASET_IDS,
  DENOISERS,
  LANDSCAPES,
  ARROW_FIELDS,
  LANGEVIN,
  LIMITS,
  MODES,
  REC_FORMATS,
  REC_QUALITIES,
  REC_RESOLUTIONS,
  SAMPLERS,
  VIEWS,
  type Settings,
} from '../settings/settings';
import { compareSettings, describeSetting } from '../settings/validate';
import { withCompareKey } from '../settings/compare';
import { isImageDataset } from '../maths/imageDatasets';
import { GRIDS, isVariancePreserving, SCHEDULES } from '../maths/schedules';
import { folderNote } from './folderNote';
import { buildGuidanceFolder } from './guidanceFolder';
import { buildModelFolder, EXACT_BESIDE } from './modelFolder';
import { onNumberEdit } from './numberEntry';
import { nChoices, PLANE_NOTE, PLANE_ONLY, SCHEDULE_KEYS } from './panelChoices';
import { buildPresetsFolder } from './presetsFolder';

export interface PanelActions {
  settings(): Settings;
  /** A patch of the keys edited, or one made from the settings when its turn comes. */
  configure(
    patch: Partial<Settings> | ((current: Readonly<Settings>) => Partial<Settings>),
  ): Promise<void>;
  maxParticles: number;
  isPlaying(): boolean;
  togglePlay(): void;
  step(): void;
  reset(): void;
  scrub(t: number): void;
  currentT(): number;
  resetView(): void;
  loadFile(): void;
  setDrawing(on: boolean): void;
  clearDrawing(): void;
  /** Turns the current schedule into an editable custom lambda curve. */
  editCurve(): void;
  runSweep(): void;
  record(): void;
  snapshot(): void;
  /** Clones particles at the current t and runs both to the end (speciation, one point). */
  clone(): void;
  /** The speciation curve: clones at a range of t. */
  speciation(): void;
  report(error: unknown): void;
  message(text: string): void;
  /** The learned denoiser: fresh weights, save and load as safetensors. */
  resetModel(): void;
  saveModel(): void;
  loadModel(): void;
  /** Memorisation against M: fresh networks on 8 to 10,000 points. */
  memorisationVsM(): void;
  /** Generalisation against N (images): two U-Nets on disjoint halves of 2N images. */
  generalisationVsN(): void;
}

/** The compare run's own choices, shown in the panel: read from and written to compareWith. */
interface CompareDraft {
  sampler: string;
  schedule: string;
  steps: number;
  eta: number;
}

export class ControlPanel {
  readonly gui: GUI;
  private readonly draft: Settings;
  private readonly controllers = new Map<keyof Settings, Controller>();
  private readonly playback = { play: (): void => undefined, t: 0, drawing: false };
  private readonly compareDraft: CompareDraft = {
    sampler: 'ddim',
    schedule: 'cosine',
    steps: 100,
    eta: 0,
  };
  private readonly compareControllers: Controller[] = [];
  private playButton!: Controller;
  private readonly formatNote = { text: '…' };
  private formats: Controller | null = null;
  private tSlider!: Controller;
  private langevinFolder!: GUI;
  private imagesFolder!: GUI;
  /** On images: why the plane's views are off (one line in the physics folder). */
  private planeNote!: HTMLElement;
  private nController!: Controller;
  /** Shows the Model folder's controls of images (the U-Net) or of points (the 2D network). */
  private modelImages!: (images: boolean) => void;
  private readonly exact = { on: false };
  private exactController!: Controller;
  private showGuidance!: (s: Readonly<Settings>) => void;

  constructor(
    private readonly actions: PanelActions,
    container?: HTMLElement,
  ) {
    this.draft = actions.settings();
    this.gui = new GUI({ title: 'Diffusion sandbox', container, width: 290 });
    this.gui.domElement.classList.add('panel');
    buildPresetsFolder(this.gui, actions);
    this.buildPlayback();
    this.buildProcess();
    this.showGuidance = buildGuidanceFolder(this.gui, this.bind);
    this.buildLangevin();
    this.buildSchedule();
    this.buildCompare();
    this.buildData();
    this.buildSweep();
    this.buildRecord();
    this.buildView();
    this.buildImages();
    this.buildPhysics();
    const model = { actions, exact: this.exact, refresh: () => this.refresh() };
    const built = buildModelFolder(this.gui, this.bind, model);
    [this.exactController, this.modelImages] = [built.exact, built.setImages];
    const closed = ['Compare', 'Sweep (quality vs NFE)', 'Model error', 'Presets', 'Record'];
    for (const f of this.gui.foldersRecursive()) if (closed.includes(f._title)) f.close();
    this.refresh();
  }

  /** Re-reads the settings (after any change, from any source) into the controllers. */
  refresh(): void {
    Object.assign(this.draft, this.actions.settings());
    const images = isImageDataset(this.draft.dataset);
    this.nController.options(nChoices(images, this.actions.maxParticles, this.draft.n));
    this.nController.name(images ? 'batch (images)' : 'particles');
    this.imagesFolder.show(images);
    for (const key of PLANE_ONLY) this.controllers.get(key)?.enable(!images);
    this.planeNote.hidden = !images;
    this.controllers.get('smoothing')?.show(this.draft.denoiser === 'smoothed');
    for (const c of this.controllers.values()) c.updateDisplay();
    const visible = new Set(SCHEDULE_KEYS[this.draft.schedule]);
    for (const keys of Object.values(SCHEDULE_KEYS)) {
      for (const key of keys) this.controllers.get(key)?.show(visible.has(key));
    }
    this.controllers.get('eta')?.show(this.draft.sampler === 'ddim');
    const vp = isVariancePreserving(this.draft.schedule);
    for (const key of ['grid', 'ztsnr'] as const) this.controllers.get(key)?.show(vp);
    const b = compareSettings({ ...this.draft, compare: false });
    if (b.ok) {
      Object.assign(this.compareDraft, {
        sampler: b.settings.sampler,
        schedule: b.settings.schedule,
        steps: b.settings.steps,
        eta: b.settings.eta,
      });
    }
    for (const c of this.compareControllers) c.updateDisplay();
    const reverse = this.draft.mode === 'reverse';
    const predictor = reverse || (this.draft.mode === 'langevin' && this.draft.langevin === 'pc');
    for (const key of ['sampler', 'eta'] as const) this.controllers.get(key)?.enable(predictor);
    this.controllers.get('denoiser')?.enable(this.draft.mode !== 'forward');
    const forward = this.draft.mode === 'forward';
    this.tSlider.enable(forward).name(forward ? 't (scrub)' : 't (forward only)');
    const langevin = this.draft.mode === 'langevin';
    this.langevinFolder.show(langevin);
    const arrowsOf = this.controllers.get('arrowField')?.enable(!langevin && !images);
    arrowsOf?.name(langevin ? 'arrows of (Langevin: score)' : 'arrows of');
    if (langevin) {
      const kind = this.draft.langevin;
      this.controllers.get('gamma')?.show(kind === 'underdamped');
      this.controllers.get('noiseLevel')?.show(kind !== 'annealed' && kind !== 'pc');
      this.controllers.get('correctorSteps')?.show(kind === 'annealed' || kind === 'pc');
      this.controllers.get('snr')?.show(kind === 'pc');
    }
    this.controllers.get('trailParticles')?.show(this.draft.trails > 0);
    this.modelImages(images);
    this.showGuidance(this.draft);
    this.exact.on = this.draft.compare && this.draft.compareWith === EXACT_BESIDE;
    this.exactController.updateDisplay();
  }

  /** Called every few frames: the play button and the t slider follow the run. */
  tick(): void {
    this.playButton.name(this.actions.isPlaying() ? '❚❚ Pause (space)' : '▶ Play (space)');
    if (!this.tSlider.domElement.contains(document.activeElement)) {
      this.playback.t = this.actions.currentT();
      this.tSlider.updateDisplay();
    }
  }

  destroy(): void {
    this.gui.destroy();
  }

  private readonly bind = (folder: GUI, key: keyof Settings, ...args: unknown[]): Controller => {
    const c = (folder.add as (o: object, p: string, ...a: unknown[]) => Controller)(
      this.draft,
      key,
      ...args,
    );
    c.domElement.title = describeSetting(key);
    // A number typed out of range (or not whole) goes to configure as typed, to be refused
    // with the API's message; lil-gui would clamp it.
    onNumberEdit(c, (value: unknown) => {
      this.actions.configure({ [key]: value }).catch((e: unknown) => {
        this.actions.report(e);
        this.refresh();
      });
    });
    this.controllers.set(key, c);
    return c;
  };

  private buildPlayback(): void {
    const f = this.gui.addFolder('Playback');
    this.playback.play = () => this.actions.togglePlay();
    this.playButton = f.add(this.playback, 'play').name('▶ Play (space)');
    f.add({ step: () => this.actions.step() }, 'step').name('Step (→)');
    f.add({ reset: () => this.actions.reset() }, 'reset').name('Reset (R)');
    this.tSlider = f
      .add(this.playback, 't', 0, 1, 0.001)
      .decimals(3)
      .name('t (scrub)')
      .onChange((t: number) => this.actions.scrub(t));
    this.bind(f, 'speed', LIMITS.speed.min, 20, 0.01).name('speed (steps/frame)');
    this.bind(f, 'loop');
  }

  private buildProcess(): void {
    const f = this.gui.addFolder('Process');
    this.bind(f, 'mode', MODES);
    this.bind(f, 'sampler', SAMPLERS);
    this.bind(f, 'denoiser', DENOISERS);
    this.bind(f, 'smoothing', LIMITS.smoothing.min, LIMITS.smoothing.max, 0.01).name(
      'smoothing (σ of input noise)',
    );
    this.bind(f, 'steps', 1, 1000, 1);
    this.bind(f, 'eta', 0, 1, 0.01);
    this.bind(f, 'seed', 0, 9999, 1);
    const error = f.addFolder('Model error');
    this.bind(error, 'errorScale', LIMITS.errorScale.min, LIMITS.errorScale.max, 0.01).name(
      'scale error',
    );
    this.bind(error, 'errorBias', LIMITS.errorBias.min, LIMITS.errorBias.max, 0.01).name('bias');
    this.bind(error, 'errorNoise', LIMITS.errorNoise.min, LIMITS.errorNoise.max, 0.01).name(
      'noise',
    );
  }

  private buildLangevin(): void {
    const f = this.gui.addFolder('Langevin');
    this.langevinFolder = f;
    this.bind(f, 'langevin', LANGEVIN).name('Langevin sampler');
    this.bind(f, 'temperature', LIMITS.temperature.min, 5, 0.01).name('temperature T');
    this.bind(f, 'stepSize', LIMITS.stepSize.min, 0.1, 0.0001).name('step size h');
    this.bind(f, 'gamma', LIMITS.gamma.min, 20, 0.01).name('friction γ');
    this.bind(f, 'noiseLevel', LIMITS.noiseLevel.min, 1, 0.001).name('noise level t of U');
    this.bind(f, 'correctorSteps', 1, 20, 1).name('corrector steps');
    this.bind(f, 'snr', LIMITS.snr.min, 1, 0.001).name('corrector SNR');
  }

  private buildPhysics(): void {
    const f = this.gui.addFolder('Physics view');
    this.planeNote = folderNote(f, PLANE_NOTE);
    this.bind(f, 'view', VIEWS);
    this.bind(f, 'landscape', LANDSCAPES);
    this.bind(f, 'arrows').name('arrows');
    this.bind(f, 'arrowField', ARROW_FIELDS).name('arrows of');
    this.bind(f, 'trails', 0, 128, 1).name('trail length');
    this.bind(f, 'trailParticles', 16, 2048, 16).name('trail particles');
    this.bind(f, 'observables').name('observables charts');
    this.bind(f, 'marginals').name('marginals vs truth');
    f.add({ clone: () => this.actions.clone() }, 'clone').name('Clone at current t');
    f.add({ curve: () => this.actions.speciation() }, 'curve').name('Speciation curve');
  }

  private buildSchedule(): void {
    const f = this.gui.addFolder('Schedule');
    this.bind(f, 'schedule', SCHEDULES);
    this.bind(f, 'betaMin', 0, 5, 0.01).name('beta min');
    this.bind(f, 'betaMax', 0.1, 50, 0.1).name('beta max');
    this.bind(f, 'cosineS', 0, 0.2, 0.001).name('offset s');
    this.bind(f, 'sigmoidStart', -10, 0, 0.1).name('start');
    this.bind(f, 'sigmoidEnd', 0, 10, 0.1).name('end');
    this.bind(f, 'sigmoidTau', 0.05, 3, 0.01).name('tau');
    this.bind(f, 'sigmaMin', 0.0001, 1, 0.0001).name('sigma min');
    this.bind(f, 'sigmaMax', 0.5, 100, 0.1).name('sigma max');
    this.bind(f, 'rho', 0.5, 15, 0.1);
    this.bind(f, 'grid', GRIDS).name('step grid');
    this.bind(f, 'ztsnr').name('zero terminal SNR');
    f.add({ edit: () => this.actions.editCurve() }, 'edit').name('Edit λ curve on the chart');
  }

  private buildCompare(): void {
    const f = this.gui.addFolder('Compare');
    this.bind(f, 'compare').name('side by side');
    // One key of compareWith, edited over its latest value (not the one shown when edited: an
    // earlier edit may still be queued).
    const write = (key: keyof CompareDraft, value: unknown): void => {
      const edit = (current: Readonly<Settings>): Partial<Settings> => {
        return { compareWith: withCompareKey(current, key, value as Settings[typeof key]) };
      };
      this.actions.configure(edit).catch((e: unknown) => {
        this.actions.report(e);
        this.refresh();
      });
    };
    const add = (key: keyof CompareDraft, ...args: unknown[]): Controller => {
      const c = (f.add as (o: object, p: string, ...a: unknown[]) => Controller)(
        this.compareDraft,
        key,
        ...args,
      ).name(`B ${key}`);
      onNumberEdit(c, (v: unknown) => write(key, v));
      this.compareControllers.push(c);
      return c;
    };
    add('sampler', SAMPLERS);
    add('schedule', SCHEDULES);
    add('steps', 1, 1000, 1);
    add('eta', 0, 1, 0.01);
  }

  private buildRecord(): void {
    const f = this.gui.addFolder('Record');
    f.add({ record: () => this.actions.record() }, 'record').name('● Record clip');
    f.add({ snap: () => this.actions.snapshot() }, 'snap').name('Snapshot PNG (S)');
    this.bind(f, 'recFormat', REC_FORMATS).name('format');
    this.formats = f.add(this.formatNote, 'text').name('can encode').disable();
    this.bind(f, 'recResolution', REC_RESOLUTIONS).name('resolution');
    this.bind(f, 'recFps', [24, 25, 30, 50, 60]).name('frame rate');
    this.bind(f, 'recQuality', REC_QUALITIES).name('quality');
    this.bind(f, 'recStepsPerFrame', 1, 50, 1).name('steps per frame');
    this.bind(f, 'recWholeRun').name('whole run');
    this.bind(f, 'recHoldFirst', 0, 240, 1).name('hold first (frames)');
    this.bind(f, 'recHoldLast', 0, 240, 1).name('hold last (frames)');
    this.bind(f, 'recCaption').name('caption');
    this.bind(f, 'recChart').name('chart inset');
  }

  /** Says which formats the browser can encode (found asynchronously). */
  setFormats(text: string): void {
    this.formatNote.text = text;
    this.formats?.updateDisplay();
  }

  /** Locks the panel while a clip is recorded. */
  lock(locked: boolean): void {
    this.gui.domElement.classList.toggle('locked', locked);
  }

  private buildSweep(): void {
    const f = this.gui.addFolder('Sweep (quality vs NFE)');
    this.bind(f, 'sweepSamplers').name('samplers');
    this.bind(f, 'sweepSchedules').name('schedules');
    this.bind(f, 'sweepNfe').name('NFE');
    this.bind(f, 'sweepN', [256, 512, 1024, 2048, 4096]).name('particles');
    f.add({ run: () => this.actions.runSweep() }, 'run').name('Run sweep');
  }

  private buildData(): void {
    const f = this.gui.addFolder('Data');
    this.bind(f, 'dataset', DATASET_IDS);
    // What is sampled: how many particles (images: the batch), beside what they are drawn from.
    const choices = nChoices(false, this.actions.maxParticles, this.draft.n);
    this.nController = this.bind(f, 'n', choices).name('particles');
    this.bind(f, 'm', 100, LIMITS.m.max, 100).name('stored points M');
    f.add({ load: () => this.actions.loadFile() }, 'load').name('Load CSV / JSON…');
    f.add(this.playback, 'drawing')
      .name('Draw points')
      .onChange((on: boolean) => this.actions.setDrawing(on));
    f.add({ clear: () => this.actions.clearDrawing() }, 'clear').name('Clear drawing');
  }

  private buildImages(): void {
    const f = this.gui.addFolder('Images');
    this.imagesFolder = f;
    this.bind(f, 'showX0hat').name('x0_hat panel');
    this.bind(f, 'showNearest').name('nearest training image');
    this.bind(f, 'follow', -1, 1023, 1).name('follow image (-1: grid)');
    f.add({ load: () => this.actions.loadFile() }, 'load').name('Add your images…');
  }

  private buildView(): void {
    const f = this.gui.addFolder('View');
    this.bind(f, 'pointSize', LIMITS.pointSize.min, 12, 0.1).name('point size');
    this.bind(f, 'brightness', 0.05, 5, 0.01);
    this.bind(f, 'showData').name('show data');
    f.add({ fit: () => this.actions.resetView() }, 'fit').name('Reset view');
  }
}
