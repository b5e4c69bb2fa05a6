/**
 * Clips and snapshots: the lanes side by side at the clip's size, with captions and the chart
 * inset. While a clip records, the recorder drives the runs and nothing else may change them.
 */
import { clipOptions, clipProblem, type ClipOptions } from '../record/clip';
import { drawCaption, drawInset } from '../record/overlays';
import {
  recordClip,
  snapshot,
  type ClipSource,
  type RecordHooks,
  type Recording,
} from '../record/recorder';
import { describeRun } from '../settings/runSpec';
import type { RecResolution } from '../settings/settings';
import type { Playback } from './playback';
import type { Queue } from './queue';
import type { Recovery } from './recovery';
import type { SandboxState } from './state';

export type ClipOverrides = Partial<ClipOptions> & { resolution?: RecResolution };
type Chart = () => HTMLCanvasElement | null;

export class Clips {
  /** Set when the device was lost during the clip being recorded. */
  lostDuringClip = false;

  constructor(
    private readonly state: SandboxState,
    private readonly playback: Playback,
    private readonly queue: Queue,
    private readonly recovery: Recovery,
  ) {}

  /**
   * Records a clip (by default the whole run, from reset to the end) at the settings' clip
   * options with `overrides` over them. Playback pauses and the runs cannot change meanwhile.
   * `chart` gives the chart canvas to inset, when the clip asks for it.
   */
  async record(
    overrides: ClipOverrides = {},
    hooks: RecordHooks = {},
    chart?: Chart,
  ): Promise<Recording> {
    const st = this.state;
    // The clip starts in its turn (after every call made before it) and holds no turn while it
    // records: calls made after it are refused until it ends.
    const options = await this.queue.exclusive(() =>
      this.recovery.survive('record()', () => {
        st.refuseWhileRecording();
        const options = clipOptions(st.current, this.canvasSize(), overrides);
        st.recording = true;
        this.lostDuringClip = false;
        return Promise.resolve(options);
      }),
    );
    const wasPlaying = st.playing;
    st.playing = false;
    try {
      return await recordClip(this.source(options, chart), options, hooks);
    } finally {
      st.recording = false;
      // The live view goes on as before the clip.
      st.playing = wasPlaying;
    }
  }

  /** A PNG of the current state at the clip size (the settings' resolution by default). */
  snapshot(overrides: ClipOverrides = {}, chart?: Chart): Promise<Blob> {
    return this.recovery.survive('snapshot()', async () => {
      const options = clipOptions(this.state.current, this.canvasSize(), overrides);
      const problem = clipProblem(options);
      if (problem) throw new Error(`snapshot: ${problem}`);
      await this.state.idle();
      return snapshot(this.source(options, chart), options.width, options.height);
    });
  }

  /** The on-screen views' size in device pixels: the 'canvas' clip resolution. */
  private canvasSize(): { width: number; height: number } {
    const canvas = this.state.canvases[0];
    return { width: canvas.width * Math.max(1, this.state.lanes.length), height: canvas.height };
  }

  private source(o: ClipOptions, chart?: Chart): ClipSource {
    const st = this.state;
    return {
      remainingSteps: () => {
        const s = st.lanes[0]?.status();
        return s ? s.steps - s.step : 0;
      },
      // No lanes (the device was lost): not done, and lost() ends the clip.
      done: () => st.lanes.length > 0 && st.lanes.every((l) => l.done),
      restart: () => this.playback.restart(),
      step: (k) => this.playback.submitSteps(k),
      draw: (ctx, width, height) => this.draw(ctx, width, height, o, chart),
      lost: () => this.lostDuringClip || !st.lanes.length,
    };
  }

  /** The lanes side by side at the clip's size, with their captions and the chart inset. */
  private draw(
    ctx: CanvasRenderingContext2D,
    width: number,
    height: number,
    o: ClipOptions,
    chart?: Chart,
  ): void {
    const st = this.state;
    ctx.fillStyle = '#0b0d12';
    ctx.fillRect(0, 0, width, height);
    const count = st.lanes.length;
    st.lanes.forEach((lane, i) => {
      const x = Math.round((i * width) / count);
      const w = Math.round(((i + 1) * width) / count) - x;
      ctx.drawImage(lane.view.renderOffscreen(w, height), x, 0);
      if (o.caption) {
        const s = lane.status();
        const label = count > 1 ? `${'AB'[i]!} · ` : '';
        const text = `${label}${describeRun(st.laneSettings(i))} · t ${s.t.toFixed(3)} · step ${s.step}/${s.steps}`;
        drawCaption(ctx, text, x, w, height);
      }
    });
    const inset = o.chart ? chart?.() : null;
    if (inset) drawInset(ctx, inset, width, height);
  }
}
