/**
 * Frame-exact clips with WebCodecs through mediabunny: the recorder steps the simulation itself,
 * one video frame per simulation frame stamped k / fps, and awaits the encoder before the next,
 * so a slow machine makes the same smooth clip as a fast one. Where WebCodecs is missing it
 * falls back to MediaRecorder, which can only record in real time.
 */
import {
  BufferTarget,
  CanvasSource,
  getFirstEncodableVideoCodec,
  Mp4OutputFormat,
  Output,
  Quality,
  WebMOutputFormat,
  type VideoCodec,
} from 'mediabunny';
import { clipProblem, type ClipOptions } from './clip';

/** What the recorder drives: the sandbox, seen as a source of frames. */
export interface ClipSource {
  /** Steps left in the run (the first lane's; a second lane in compare mode follows by t). */
  remainingSteps(): number;
  /** Whether every lane has finished. */
  done(): boolean;
  restart(): void;
  /** Records and submits k steps of every lane. */
  step(k: number): void;
  /** Draws the current state, with overlays, into the clip's 2D canvas. */
  draw(ctx: CanvasRenderingContext2D, width: number, height: number): void;
  /** True once the GPU device was lost during the clip. */
  lost(): boolean;
}

export interface RecordHooks {
  onProgress?: (frame: number, frames: number) => void;
  signal?: AbortSignal;
}

export interface Recording {
  blob: Blob;
  codec: string;
  frames: number;
  /** MediaRecorder: timed by the wall clock, not frame-exact. */
  realTime: boolean;
  /** The clip ended early (a lost device): what was recorded up to then. */
  partial: boolean;
}

/** Codecs tried per container, best first. */
const CODECS: Record<ClipOptions['format'], VideoCodec[]> = {
  mp4: ['avc', 'hevc', 'av1'],
  webm: ['vp9', 'av1', 'vp8'],
};

export const webCodecsAvailable = (): boolean => typeof VideoEncoder !== 'undefined';

/** The codec this browser can encode for a format and size, or null. */
export async function encodableCodec(
  format: ClipOptions['format'],
  width: number,
  height: number,
): Promise<VideoCodec | null> {
  if (!webCodecsAvailable()) return null;
  return getFirstEncodableVideoCodec(CODECS[format], { width, height });
}

/** Which formats this browser can encode at a size, for the panel to say. */
export async function availableFormats(width: number, height: number): Promise<string[]> {
  const out: string[] = [];
  for (const format of ['mp4', 'webm'] as const) {
    const codec = await encodableCodec(format, width, height);
    if (codec) out.push(`${format} (${codec})`);
  }
  return out;
}

const animationFrame = (): Promise<void> =>
  new Promise((resolve) => requestAnimationFrame(() => resolve()));

const abortError = (): DOMException =>
  new DOMException('the recording was cancelled', 'AbortError');

/**
 * The steps to take before each frame: the first state held, then a frame after every
 * stepsPerFrame steps until every lane is done (a compared run with more steps goes on alone),
 * then the end held. A generator, so the end is found as the run goes.
 */
function* clipFrames(source: ClipSource, o: ClipOptions): Generator<number> {
  for (let i = 0; i <= o.holdFirst; i++) yield 0;
  while (!source.done()) yield o.stepsPerFrame;
  for (let i = 0; i < o.holdLast; i++) yield 0;
}

/** Frames still to come, as far as the first lane tells (for the progress bar). */
function expectedLeft(source: ClipSource, o: ClipOptions): number {
  return Math.ceil(source.remainingSteps() / o.stepsPerFrame) + (source.done() ? 0 : o.holdLast);
}

function clipCanvas(
  width: number,
  height: number,
): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) throw new Error('no 2D canvas for the clip');
  return { canvas, ctx };
}

/** Records a clip of the source's run. Rejects with an AbortError when cancelled (no file). */
export async function recordClip(
  source: ClipSource,
  options: ClipOptions,
  hooks: RecordHooks = {},
): Promise<Recording> {
  const problem = clipProblem(options);
  if (problem) throw new Error(`record: ${problem}`);
  if (!webCodecsAvailable()) return recordRealTime(source, options, hooks);
  const codec = await encodableCodec(options.format, options.width, options.height);
  if (!codec) {
    const available = await availableFormats(options.width, options.height);
    throw new Error(
      `this browser cannot encode ${options.format.toUpperCase()} at ${options.width}×${options.height}` +
        (available.length
          ? `; it can encode ${available.join(', ')}`
          : '; it can encode no video format here'),
    );
  }
  const { canvas, ctx } = clipCanvas(options.width, options.height);
  const output = new Output({
    format:
      options.format === 'mp4'
        ? new Mp4OutputFormat({ fastStart: 'in-memory' })
        : new WebMOutputFormat(),
    target: new BufferTarget(),
  });
  const video = new CanvasSource(canvas, {
    codec,
    quality: new Quality(options.quality),
    keyFrameInterval: 2,
  });
  output.addVideoTrack(video, { frameRate: options.fps });
  await output.start();
  if (options.wholeRun) source.restart();
  let frame = 0;
  let partial = false;
  const add = async (): Promise<void> => {
    source.draw(ctx, options.width, options.height);
    await video.add(frame / options.fps, 1 / options.fps);
    frame++;
  };
  try {
    for (const steps of clipFrames(source, options)) {
      if (hooks.signal?.aborted) throw abortError();
      if (source.lost()) {
        partial = true;
        break;
      }
      if (steps > 0) source.step(steps);
      await add();
      hooks.onProgress?.(frame, frame + expectedLeft(source, options));
    }
  } catch (e) {
    await output.cancel();
    throw e;
  }
  if (source.lost()) partial = true;
  if (frame === 0) {
    await output.cancel();
    throw new Error('the GPU was lost before the first frame: nothing was recorded');
  }
  await output.finalize();
  const buffer = output.target.buffer;
  if (!buffer) throw new Error('the encoder produced no file');
  return {
    blob: new Blob([buffer], { type: output.format.mimeType }),
    codec,
    frames: frame,
    realTime: false,
    partial,
  };
}

/**
 * Without WebCodecs: MediaRecorder on the clip canvas's stream, drawing a frame every 1 / fps
 * of wall-clock time. The clip is as smooth as the machine is fast, and WebM only.
 */
async function recordRealTime(
  source: ClipSource,
  options: ClipOptions,
  hooks: RecordHooks,
): Promise<Recording> {
  if (typeof MediaRecorder === 'undefined')
    throw new Error('this browser has neither WebCodecs nor MediaRecorder: it cannot record video');
  const { canvas, ctx } = clipCanvas(options.width, options.height);
  const mimeType = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) =>
    MediaRecorder.isTypeSupported(t),
  );
  if (!mimeType) throw new Error('MediaRecorder cannot write WebM in this browser');
  const stream = canvas.captureStream(options.fps);
  const recorder = new MediaRecorder(stream, { mimeType });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size) chunks.push(e.data);
  };
  const stopped = new Promise<void>((resolve) => {
    recorder.onstop = () => resolve();
  });
  if (options.wholeRun) source.restart();
  source.draw(ctx, options.width, options.height);
  recorder.start();
  let frame = 0;
  let partial = false;
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1000 / options.fps));
  try {
    for (const steps of clipFrames(source, options)) {
      if (hooks.signal?.aborted) throw abortError();
      if (source.lost()) {
        partial = true;
        break;
      }
      if (steps > 0) source.step(steps);
      source.draw(ctx, options.width, options.height);
      frame++;
      hooks.onProgress?.(frame, frame + expectedLeft(source, options));
      await tick();
    }
    // The capture samples the canvas on the page's own frames: give it a few more to take the
    // last state before the recorder stops.
    for (let i = 0; i < 4; i++) await animationFrame();
  } catch (e) {
    recorder.stop();
    await stopped;
    throw e;
  } finally {
    for (const track of stream.getTracks()) track.stop();
  }
  recorder.stop();
  await stopped;
  return {
    blob: new Blob(chunks, { type: 'video/webm' }),
    codec: mimeType,
    frames: frame,
    realTime: true,
    partial,
  };
}

/** A PNG of the current state at the clip's size, with its overlays. */
export async function snapshot(source: ClipSource, width: number, height: number): Promise<Blob> {
  const { canvas, ctx } = clipCanvas(width, height);
  source.draw(ctx, width, height);
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the snapshot could not be encoded'))),
      'image/png',
    );
  });
}
