/**
 * The guidance curve from the page and from scripts: runs the guidance sweep of the current class
 * (Experiments.guidanceSweep) into its panel, which it opens. The panel is made on first use
 * beneath the other charts, so pages that never run it carry none.
 */
import type { GuidanceRequest } from '../sandbox/experiments';
import type { GuidanceCurveResult } from '../sim/experiments/guidanceSweep';
import { isImageDataset } from '../maths/imageDatasets';
import { describeAnyRow, GuidancePanel } from '../ui/guidancePanel';
import type { App } from './context';

/** One panel per app, made on first use (outside Panels, which the UI builds at start). */
const panels = new WeakMap<App, GuidancePanel>();

export function guidancePanel(app: App): GuidancePanel {
  let panel = panels.get(app);
  if (!panel) {
    panel = new GuidancePanel(app.physicsColumn);
    panels.set(app, panel);
  }
  return panel;
}

/** Opens the panel and fills it as rows come; resolves with the result (rejects as the sweep does). */
export async function runGuidanceCurve(
  app: App,
  request: GuidanceRequest = {},
): Promise<GuidanceCurveResult> {
  const panel = guidancePanel(app);
  panel.element.removeAttribute('hidden');
  app.layout.reveal(panel.element);
  const controller = new AbortController();
  panel.onCancel = () => controller.abort();
  panel.setRunning(true);
  panel.setKind(isImageDataset(app.sandbox.settings().dataset) ? 'images' : 'points');
  panel.show([]);
  panel.setProgress(`class ${app.sandbox.settings().class}: running…`);
  try {
    const result = await app.sandbox.experiments.guidanceSweep({
      ...request,
      signal: controller.signal,
      onProgress: (rows, total) => {
        panel.show(rows);
        const last = rows[rows.length - 1];
        panel.setProgress(
          `${rows.length} of ${total} w${last ? ` · ${describeAnyRow(last)}` : ''}`,
        );
      },
    });
    panel.show(result.rows, result);
    panel.setProgress(summary(result));
    return result;
  } catch (e) {
    const cancelled = e instanceof DOMException && e.name === 'AbortError';
    panel.setProgress(cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    panel.setRunning(false);
  }
}

/** The readout once the curve is done: what its rows are measured against. */
function summary(r: GuidanceCurveResult): string {
  if (r.kind === 'images')
    return (
      `class ${r.class}, ${r.points} samples against its ${r.classPoints} of ${r.images} training images: ` +
      `distinct expected ${r.expectedDistinct.toFixed(1)} · class share ${(100 * r.classShare).toFixed(1)}%`
    );
  const floor = r.floor === null ? '' : ` · W2 floor ${r.floor.toFixed(3)}`;
  return `class ${r.class}, ${r.points} samples: data entropy ${r.dataEntropy.toFixed(2)}${floor} · off the data past ${r.offRadius.toFixed(3)}`;
}

/** The button's action: runs the curve, any failure shown to the user. */
export function guidanceCurveFromPanel(app: App): void {
  runGuidanceCurve(app).catch((e: unknown) => {
    if (!(e instanceof DOMException && e.name === 'AbortError')) app.report(e);
  });
}
