/**
 * What the parts of the sandbox share: the settings, the device, the lanes and the data they
 * run on, whether they play or record, and the run and loss counters. One object, handed to
 * each part (playback, measurement, clips, recovery, experiments), so that none of them holds a
 * copy of another's state.
 */
import type { Gpu } from '../gpu/device';
import type { ShaderSources } from '../gpu/kernel';
import type { Dataset } from '../maths/datasets';
import { isImageDataset } from '../maths/imageDatasets';
import { DEFAULTS, type Settings } from '../settings/settings';
import { compareSettings } from '../settings/validate';
import type { DistanceMeter } from '../sim/distance/distanceMeter';
import type { Lane } from './lane';
import type { Learning } from './learning';
import type { MessageLevel, SandboxEvents } from './types';

export class SandboxState {
  current: Settings = { ...DEFAULTS };
  gpu: Gpu | null = null;
  lanes: Lane[] = [];
  dataset: Dataset | null = null;
  meter: DistanceMeter | null = null;
  /** The learned denoiser's network and training (set by the Sandbox). */
  learning: Learning | null = null;
  playing = false;
  /** Set while a clip is being recorded: the recorder drives the runs, nothing else may. */
  recording = false;
  /** Bumped whenever the runs restart: a count of runs (PhysicsSample.run). */
  generation = 0;
  /** Set from a loss until the newest rebuild has ended (see Recovery). */
  rebuilding: Promise<void> | null = null;
  /** Bumped by every loss: a build or a call begun before it is stale and must not go on. */
  epoch = 0;

  constructor(
    readonly canvases: readonly [HTMLCanvasElement, HTMLCanvasElement],
    readonly sources: ShaderSources,
    readonly events: SandboxEvents,
  ) {}

  settings(): Settings {
    return { ...this.current };
  }

  message(text: string, level: MessageLevel = 'info'): void {
    this.events.message?.(text, level);
  }

  /** Whether the runs are of images (an image dataset) rather than points. */
  get imageMode(): boolean {
    return this.lanes[0]?.imageMode ?? isImageDataset(this.current.dataset);
  }

  requireGpu(): Gpu {
    if (!this.gpu) throw new Error('the sandbox is not running');
    return this.gpu;
  }

  requireLane(): Lane {
    const lane = this.lanes[0];
    if (!lane) throw new Error('the sandbox is not running');
    return lane;
  }

  /** The settings of lane i: the settings themselves, or the compare patch over them. */
  laneSettings(i: number, base: Settings = this.current): Settings {
    if (i === 0) return base;
    const result = compareSettings(base);
    if (!result.ok) throw new Error(result.error);
    return result.settings;
  }

  refuseWhileRecording(): void {
    if (this.recording)
      throw new Error('a clip is being recorded: cancel it first to change the run');
  }

  /** Until the GPU has done everything submitted so far. */
  async idle(): Promise<void> {
    await this.gpu?.device.queue.onSubmittedWorkDone();
  }

  /** Waits until no rebuild after a loss is under way (a loss during one makes it wait on). */
  async settled(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }
}
