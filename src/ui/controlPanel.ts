/**
 * The lil-gui panel. Its controllers edit a draft copy of the settings; every edit goes through
 * `configure`, and the draft is refreshed from the sandbox's settings after each change, so a
 * rejected value springs back and the GUI never holds state of its own.
 */
import GUI, { type Controller } from 'lil-gui';
import { DATASET_IDS, DENOISERS, LIMITS, MODES, SAMPLERS, type Settings } from '../settings';
import { SCHEDULES, type ScheduleId } from '../maths/schedules';

export interface PanelActions {
  settings(): Settings;
  configure(patch: Partial<Settings>): Promise<void>;
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
  report(error: unknown): void;
}

/** Schedule parameters shown for each schedule. */
const SCHEDULE_KEYS: Record<ScheduleId, (keyof Settings)[]> = {
  linear: ['betaMin', 'betaMax'],
  cosine: ['cosineS'],
  sigmoid: ['sigmoidStart', 'sigmoidEnd', 'sigmoidTau'],
  karras: ['sigmaMin', 'sigmaMax', 'rho'],
  ve: ['sigmaMin', 'sigmaMax'],
};

/** Particle counts offered: 1k, 2k, 5k, 10k ... up to the device's limit. */
export function particleChoices(max: number): number[] {
  const out: number[] = [];
  for (let decade = 1000; decade <= max; decade *= 10) {
    for (const f of [1, 2, 5]) if (f * decade <= max) out.push(f * decade);
  }
  return out;
}

export class ControlPanel {
  readonly gui: GUI;
  private readonly draft: Settings;
  private readonly controllers = new Map<keyof Settings, Controller>();
  private readonly playback = { play: (): void => undefined, t: 0, drawing: false };
  private playButton!: Controller;
  private tSlider!: Controller;
  private nController!: Controller;

  constructor(
    private readonly actions: PanelActions,
    container?: HTMLElement,
  ) {
    this.draft = actions.settings();
    this.gui = new GUI({ title: 'Diffusion sandbox', container, width: 290 });
    this.gui.domElement.classList.add('panel');
    this.buildPlayback();
    this.buildProcess();
    this.buildSchedule();
    this.buildData();
    this.buildView();
    this.refresh();
  }

  /** Re-reads the settings (after any change, from any source) into the controllers. */
  refresh(): void {
    Object.assign(this.draft, this.actions.settings());
    const choices = particleChoices(this.actions.maxParticles);
    if (!choices.includes(this.draft.n)) choices.push(this.draft.n);
    this.nController.options(choices.sort((a, b) => a - b));
    for (const c of this.controllers.values()) c.updateDisplay();
    const visible = new Set(SCHEDULE_KEYS[this.draft.schedule]);
    for (const keys of Object.values(SCHEDULE_KEYS)) {
      for (const key of keys) this.controllers.get(key)?.show(visible.has(key));
    }
    this.controllers.get('eta')?.show(this.draft.sampler === 'ddim');
    const reverse = this.draft.mode === 'reverse';
    for (const key of ['sampler', 'denoiser', 'eta'] as const)
      this.controllers.get(key)?.enable(reverse);
    this.tSlider.enable(!reverse);
    this.tSlider.name(reverse ? 't (forward only)' : 't (scrub)');
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

  private bind(folder: GUI, key: keyof Settings, ...args: unknown[]): Controller {
    const c = (folder.add as (o: object, p: string, ...a: unknown[]) => Controller)(
      this.draft,
      key,
      ...args,
    );
    c.onFinishChange((value: unknown) => {
      this.actions.configure({ [key]: value }).catch((e: unknown) => {
        this.actions.report(e);
        this.refresh();
      });
    });
    this.controllers.set(key, c);
    return c;
  }

  private buildPlayback(): void {
    const f = this.gui.addFolder('Playback');
    this.playback.play = () => this.actions.togglePlay();
    this.playButton = f.add(this.playback, 'play').name('▶ Play (space)');
    f.add({ step: () => this.actions.step() }, 'step').name('Step (→)');
    f.add({ reset: () => this.actions.reset() }, 'reset').name('Reset (R)');
    this.tSlider = f
      .add(this.playback, 't', 0, 1, 0.001)
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
    this.bind(f, 'steps', 1, 1000, 1);
    this.bind(f, 'eta', 0, 1, 0.01);
    this.bind(f, 'seed', 0, 9999, 1);
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
  }

  private buildData(): void {
    const f = this.gui.addFolder('Data');
    this.bind(f, 'dataset', DATASET_IDS);
    this.bind(f, 'm', 100, LIMITS.m.max, 100).name('stored points M');
    f.add({ load: () => this.actions.loadFile() }, 'load').name('Load CSV / JSON…');
    f.add(this.playback, 'drawing')
      .name('Draw points')
      .onChange((on: boolean) => this.actions.setDrawing(on));
    f.add({ clear: () => this.actions.clearDrawing() }, 'clear').name('Clear drawing');
  }

  private buildView(): void {
    const f = this.gui.addFolder('View');
    this.nController = this.bind(f, 'n', particleChoices(this.actions.maxParticles)).name(
      'particles',
    );
    this.bind(f, 'pointSize', LIMITS.pointSize.min, 12, 0.1).name('point size');
    this.bind(f, 'brightness', 0.05, 5, 0.01);
    this.bind(f, 'showData').name('show data');
    f.add({ fit: () => this.actions.resetView() }, 'fit').name('Reset view');
  }
}
