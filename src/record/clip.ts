/**
 * What a clip is, before any encoding: its size, its frames (one per simulation frame, at a
 * fixed rate, whatever the page's own rate), and its file name. Pure.
 */
import { number, object, optional, refine, type Schema } from '../settings/schema';
import {
  type RecFormat,
  type RecQuality,
  type RecResolution,
  type Settings,
} from '../settings/settings';
import { SETTING_SCHEMAS } from '../settings/validate';

export interface ClipOptions {
  format: RecFormat;
  /** Pixels of the video: even numbers, as H.264 requires. */
  width: number;
  height: number;
  fps: number;
  quality: RecQuality;
  stepsPerFrame: number;
  /** From reset to the end of the process (else from the current state to the end). */
  wholeRun: boolean;
  holdFirst: number;
  holdLast: number;
  caption: boolean;
  chart: boolean;
}

/** Pixel size of a resolution preset; 'canvas' is the on-screen canvas at its device pixels. */
export function clipSize(
  resolution: RecResolution,
  canvas: { width: number; height: number },
): [number, number] {
  const even = (v: number): number => Math.max(2, 2 * Math.round(v / 2));
  switch (resolution) {
    case '720p':
      return [1280, 720];
    case '1080p':
      return [1920, 1080];
    case 'square1080':
      return [1080, 1080];
    case 'canvas':
      return [even(canvas.width), even(canvas.height)];
  }
}

/** The clip options the settings describe, `overrides` over them (as record(options) takes). */
export function clipOptions(
  s: Readonly<Settings>,
  canvas: { width: number; height: number },
  overrides: Partial<ClipOptions> & { resolution?: RecResolution } = {},
): ClipOptions {
  const [width, height] = clipSize(overrides.resolution ?? s.recResolution, canvas);
  const options: ClipOptions = {
    format: s.recFormat,
    width,
    height,
    fps: s.recFps,
    quality: s.recQuality,
    stepsPerFrame: s.recStepsPerFrame,
    wholeRun: s.recWholeRun,
    holdFirst: s.recHoldFirst,
    holdLast: s.recHoldLast,
    caption: s.recCaption,
    chart: s.recChart,
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (key !== 'resolution' && value !== undefined)
      (options as unknown as Record<string, unknown>)[key] = value;
  }
  return options;
}

/** Clip pixels: even (as H.264 requires), from 16 to 4096. */
const PIXELS = refine(
  number({ min: 16, max: 4096, integer: true }),
  (v: number) => v % 2 === 0,
  'even',
);

/** Each clip option's schema: the settings' own where a setting holds it. */
const CLIP_FIELDS: Readonly<Record<keyof ClipOptions, Schema>> = {
  format: SETTING_SCHEMAS.recFormat,
  width: PIXELS,
  height: PIXELS,
  fps: SETTING_SCHEMAS.recFps,
  quality: SETTING_SCHEMAS.recQuality,
  stepsPerFrame: SETTING_SCHEMAS.recStepsPerFrame,
  wholeRun: SETTING_SCHEMAS.recWholeRun,
  holdFirst: SETTING_SCHEMAS.recHoldFirst,
  holdLast: SETTING_SCHEMAS.recHoldLast,
  caption: SETTING_SCHEMAS.recCaption,
  chart: SETTING_SCHEMAS.recChart,
};

/** record() and snapshot()'s options: any clip options, and a resolution preset. */
export const RECORD_OPTIONS: Schema = object({
  ...Object.fromEntries(Object.entries(CLIP_FIELDS).map(([key, s]) => [key, optional(s)])),
  resolution: optional(SETTING_SCHEMAS.recResolution),
});

const CLIP_OPTIONS = object(CLIP_FIELDS);

/** Why clip options cannot be recorded, or null. */
export function clipProblem(o: ClipOptions): string | null {
  return CLIP_OPTIONS(o, 'options');
}

/**
 * The frames of a clip over `steps` remaining steps: the first state held (1 + holdFirst
 * frames), then one frame after every stepsPerFrame steps (the last after the final step), then
 * the end held holdLast more frames. Each entry is how many steps to take before drawing.
 */
export function framePlan(
  steps: number,
  o: Pick<ClipOptions, 'stepsPerFrame' | 'holdFirst' | 'holdLast'>,
): number[] {
  const plan: number[] = new Array<number>(1 + o.holdFirst).fill(0);
  for (let done = 0; done < steps; done += o.stepsPerFrame)
    plan.push(Math.min(o.stepsPerFrame, steps - done));
  for (let i = 0; i < o.holdLast; i++) plan.push(0);
  return plan;
}

/** A descriptive file name: dataset, sampler, schedule, steps, seed. */
export function clipName(s: Readonly<Settings>, extension: string): string {
  const process =
    s.mode === 'reverse'
      ? `${s.sampler}${s.sampler === 'ddim' ? `-eta${s.eta}` : ''}-${s.schedule}-${s.steps}steps`
      : s.mode === 'forward'
        ? `forward-${s.schedule}-${s.steps}steps`
        : `langevin-${s.langevin}-T${s.temperature}-${s.steps}steps`;
  const compare = s.compare ? '-compare' : '';
  return `diffusion-${s.dataset}-${process}-seed${s.seed}${compare}.${extension}`.replace(
    /[^\w.-]+/g,
    '_',
  );
}
