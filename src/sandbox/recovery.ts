/**
 * Building the runs on a device, and surviving its loss at any moment: a loss reports itself,
 * bumps the epoch (so any build or call begun before it is stale) and rebuilds everything from
 * the same settings; calls wait until the newest rebuild has ended, and a call the loss
 * interrupted says so instead of hanging or returning the old device's result.
 */
import { acquireGpu, maxParticles, type Gpu } from '../gpu/device';
import type { Dataset } from '../maths/datasets';
import { isImageDataset } from '../maths/imageDatasets';
import { DEFAULTS, type Settings } from '../settings/settings';
import { emptyClassProblem } from '../settings/validate';
import { DistanceMeter } from '../sim/distance/distanceMeter';
import type { Datasets } from './datasets';
import { Lane } from './lane';
import type { Playback } from './playback';
import type { SandboxState } from './state';

/** What survive's wait gets when the device is lost first. */
const LOST = Symbol('lost');

export class Recovery {
  /** The device a rebuild is building on, before it is the sandbox's: it can be lost too. */
  private building: Gpu | null = null;
  /** loseDevice() while no device was held: the next one is lost as soon as it comes. */
  private loseNext = false;
  /** Whether the runs were playing when the first of a series of losses came. */
  private wasPlaying = false;
  private rebuilt: (() => void) | null = null;

  constructor(
    private readonly state: SandboxState,
    private readonly datasets: Datasets,
    private readonly playback: Playback,
    /** Told of every loss, before the rebuild: what the parts must drop of the old device. */
    private readonly onLoss: () => void,
  ) {}

  /**
   * Runs `what` once any rebuild has ended. If the device is lost meanwhile, its result (or the
   * browser's error) belongs to the old device: it waits for the rebuild and says so instead.
   */
  async survive<T>(what: string, work: () => Promise<T>): Promise<T> {
    const st = this.state;
    // Not settled(): no tick may pass between the last check and taking the epoch.
    while (st.rebuilding) await st.rebuilding;
    const epoch = st.epoch;
    const device = st.gpu?.device;
    const running = work();
    // A loss may leave the work waiting on the old device forever: the loss ends the wait.
    running.catch(() => undefined);
    const lost = device?.lost.then(() => LOST) ?? new Promise<never>(() => undefined);
    try {
      const result = await Promise.race([running, lost]);
      if (result !== LOST && epoch === st.epoch) return result as T;
    } catch (e) {
      const lossError = device && /lost/i.test(String(e));
      if (epoch === st.epoch && !lossError) throw e;
      // The device's loss handler runs before this: the rebuild is under way once it resolves.
      if (epoch === st.epoch) await device?.lost;
    }
    await st.settled();
    throw new Error(
      `the GPU was lost during ${what}: it has been rebuilt with the same settings, call ${what} again`,
    );
  }

  /** For tests and the curious: loses the device as a driver crash would. */
  loseDevice(): void {
    const gpu = this.state.gpu ?? this.building;
    // A device this already lost whose loss has not been answered yet (its `lost` promise can
    // settle hundreds of ms later on a busy page), or none between two devices (a rebuild asking
    // for one): the next is lost as it comes. Destroying the same device twice would be no loss.
    if (gpu && !this.destroyed.has(gpu.device)) {
      this.destroyed.add(gpu.device);
      gpu.device.destroy();
    } else if (gpu || this.state.rebuilding) this.loseNext = true;
  }
  /** The devices loseDevice() has destroyed. */
  private readonly destroyed = new WeakSet<GPUDevice>();

  /**
   * Builds everything for the current settings on a new device. `epoch` is the loss it answers
   * (0 at start): once a later loss has come, it stops at its next await, releases what it made
   * and returns false, so that only the newest build sets the device, lanes, meter and settings.
   */
  async build(epoch = this.state.epoch): Promise<boolean> {
    const st = this.state;
    const stale = (): boolean => epoch !== st.epoch;
    const gpu = await acquireGpu({ onLost: (info) => void this.recover(info) });
    if (stale()) {
      gpu.release();
      return false;
    }
    this.building = gpu;
    if (this.loseNext) {
      this.loseNext = false;
      this.destroyed.add(gpu.device);
      gpu.device.destroy();
    }
    const lanes: Lane[] = [];
    let meter: DistanceMeter | null = null;
    try {
      const {
        settings: s,
        dataset,
        warnings,
      } = await this.fit(st.current, maxParticles(gpu.device));
      for (const canvas of st.canvases.slice(0, s.compare ? 2 : 1)) {
        if (stale()) return false;
        const lane = await Lane.create(gpu.device, st.sources, canvas, lanes[0]);
        lanes.push(lane);
      }
      await Promise.all(lanes.map((lane) => lane.prepareStyle(s)));
      for (const lane of lanes) {
        lane.setData(dataset);
        lane.setParticles(s.n);
        lane.setStyle(s);
      }
      meter = new DistanceMeter(gpu.device, st.sources);
      if (!lanes[0]!.imageMode) await meter.setData(s.n, dataset.points);
      await Promise.all(lanes.map((l, i) => l.prepareRun(st.laneSettings(i, s))));
      if (stale()) return false;
      st.gpu = gpu;
      this.building = null;
      st.lanes = lanes;
      st.meter = meter;
      st.dataset = dataset;
      st.current = s;
      for (const warning of warnings) st.message(warning, 'warning');
      await st.learning?.prepare();
      if (stale()) return false;
      this.playback.startRuns();
      return true;
    } catch (e) {
      // The device lost under the build: its loss handler makes this build stale.
      if (!stale() && /lost/i.test(String(e))) await gpu.device.lost;
      if (stale()) return false;
      throw e;
    } finally {
      if (st.gpu !== gpu) {
        for (const lane of lanes) destroyQuietly(lane);
        meter?.destroy();
        if (this.building === gpu) this.building = null;
        gpu.release();
      }
    }
  }

  /**
   * The settings as they can be built here, with their dataset and a warning for each change:
   * a device with fewer particles, data of the user's that this page does not have.
   */
  private async fit(
    current: Readonly<Settings>,
    limit: number,
  ): Promise<{ settings: Settings; dataset: Dataset; warnings: string[] }> {
    let s: Settings = { ...current };
    const warnings: string[] = [];
    if (s.n > limit) {
      warnings.push(`${s.n} particles do not fit this GPU: using ${Math.min(DEFAULTS.n, limit)}`);
      s = { ...s, n: Math.min(DEFAULTS.n, limit) };
    }
    if (s.dataset === 'custom' && !this.datasets.custom) {
      warnings.push('the custom points are not available here: showing the default dataset');
      s = { ...s, dataset: DEFAULTS.dataset };
    }
    if (s.dataset === 'images' && !this.datasets.images) {
      warnings.push('your images are not available here: showing the default dataset');
      s = { ...s, dataset: DEFAULTS.dataset, n: DEFAULTS.n };
    }
    try {
      const dataset = await this.datasets.make(s);
      const empty = emptyClassProblem(s, dataset);
      if (empty) warnings.push(`${empty}: showing all classes`);
      return { settings: empty ? { ...s, class: -1 } : s, dataset, warnings };
    } catch (e) {
      if (!isImageDataset(s.dataset)) throw e;
      warnings.push(`${String(e)}: showing the default dataset`);
      s = { ...s, dataset: DEFAULTS.dataset, n: DEFAULTS.n };
      return { settings: s, dataset: await this.datasets.make(s), warnings };
    }
  }

  /**
   * A lost device: report it and rebuild everything from the same settings. A loss during a
   * rebuild makes that rebuild stale (see build) and starts the next; calls wait (settled) until
   * the newest has ended, and only it reports the end.
   */
  private async recover(info: GPUDeviceLostInfo): Promise<void> {
    const st = this.state;
    const epoch = ++st.epoch;
    if (!st.rebuilding) {
      this.wasPlaying = st.playing;
      st.rebuilding = new Promise((resolve) => (this.rebuilt = resolve));
    }
    this.onLoss();
    st.message(
      `The GPU device was lost (${info.message || info.reason}). Rebuilding with the same settings…`,
      'warning',
    );
    const old = st.lanes;
    st.lanes = [];
    st.meter = null;
    st.gpu = null;
    for (const lane of old) destroyQuietly(lane);
    try {
      if (!(await this.build(epoch))) return;
      await st.idle();
      if (epoch !== st.epoch) return;
      st.playing = this.wasPlaying;
      st.message('Rebuilt on a new GPU device.', 'info');
      st.events.settings?.(st.settings(), []);
    } catch (e) {
      if (epoch !== st.epoch) return;
      st.message(`Could not rebuild after losing the GPU: ${String(e)}`, 'error');
    }
    const rebuilt = this.rebuilt;
    st.rebuilding = null;
    this.rebuilt = null;
    rebuilt?.();
  }
}

/** A lost device's objects may refuse to be cleaned up. */
function destroyQuietly(lane: Lane): void {
  try {
    lane.destroy();
  } catch {
    // The old device is gone.
  }
}
