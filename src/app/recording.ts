/** Clips and snapshots from the page: the progress bar, the chart inset, and the downloads. */
import type { ClipOverrides } from '../sandbox/clips';
import { clipName } from '../record/clip';
import { webCodecsAvailable } from '../record/recorder';
import { download } from '../ui/presetsFolder';
import type { App } from './context';

/**
 * The chart to inset into clips: in Langevin mode the live observables' (heat capacity) when
 * they are on, else the schedule chart's canvas at the current t.
 */
export function chartCanvas(app: App): HTMLCanvasElement | null {
  const s = app.sandbox.settings();
  const p = app.panels;
  const observed = s.mode === 'langevin' && s.observables ? p?.physicsCharts.canvas() : null;
  if (observed) return observed;
  p?.chart.setT(app.sandbox.status().t);
  return p?.chart.canvas() ?? null;
}

/** Records a clip as the settings (and `overrides`) say, with the progress bar; returns it. */
export async function recordClip(app: App, overrides: ClipOverrides = {}): Promise<Blob> {
  if (!webCodecsAvailable()) {
    app.messages.show(
      'This browser has no WebCodecs: recording in real time with MediaRecorder (WebM), so the clip is only as smooth as the page.',
      'warning',
    );
  }
  const signal = app.recordBar.start();
  app.panels?.panel.lock(true);
  try {
    const clip = await app.sandbox.clips.record(
      overrides,
      { signal, onProgress: (f, n) => app.recordBar.progress(f, n) },
      () => chartCanvas(app),
    );
    if (clip.partial)
      app.messages.show(
        `The GPU was lost during the clip: kept its first ${clip.frames} frames.`,
        'warning',
      );
    return clip.blob;
  } finally {
    app.recordBar.stop();
    app.panels?.panel.lock(false);
  }
}

export function recordAndDownload(app: App): void {
  const settings = app.sandbox.settings();
  recordClip(app)
    .then((blob) => {
      const extension = blob.type.includes('mp4') ? 'mp4' : 'webm';
      download(blob, clipName(settings, extension));
      app.messages.show(
        `Saved ${clipName(settings, extension)} (${(blob.size / 1e6).toFixed(1)} MB).`,
      );
    })
    .catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'AbortError')
        app.messages.show('Recording cancelled: nothing saved.');
      else app.report(e);
    });
}

export function snapshotAndDownload(app: App): void {
  const settings = app.sandbox.settings();
  app.sandbox.clips
    .snapshot({}, () => chartCanvas(app))
    .then((blob) => download(blob, clipName(settings, 'png')))
    .catch((e: unknown) => app.report(e));
}
