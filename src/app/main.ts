/**
 * Boot: the page's elements into the App context, the sandbox started from the link, then the
 * panels, the frame loop, the measurement scheduler and the scripting API. Wiring only: each
 * part lives in its own file of src/app/.
 */
import '../style.css';
import { WebGpuUnavailableError } from '../gpu/device';
import { shaderSources } from '../gpu/shaderSources';
import { loadCustomPoints } from '../io/customStore';
import { Sandbox } from '../sandbox/sandbox';
import { decodeHash, encodeHash } from '../settings/hash';
import { Layout } from '../ui/layout';
import { Messages } from '../ui/messages';
import { showNoWebGpu } from '../ui/noWebGpu';
import { RecordBar } from '../ui/recordBar';
import { SweepPanel } from '../ui/sweepPanel';
import type { App } from './context';
import { createApi } from './createApi';
import { followHashChanges, settingsFromLink } from './link';
import { frameHandler, startFrames, startMeasurements } from './scheduler';
import { showSettings } from './shown';
import { startUi } from './ui';

const byId = (id: string): HTMLElement => document.getElementById(id)!;
const root = byId('app');
const messages = new Messages(byId('views'));
const canvases = [byId('view'), byId('view-b')] as [HTMLCanvasElement, HTMLCanvasElement];
const app: App = {
  root,
  canvases,
  labels: [byId('label-a'), byId('label-b')],
  physicsColumn: byId('physics'),
  messages,
  layout: new Layout(root, byId('side'), byId('dock'), byId('views')),
  sandbox: new Sandbox(canvases, shaderSources, {
    message: (text, level) => messages.show(text, level),
    settings: (settings) => {
      const hash = encodeHash(settings);
      history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
      app.panels?.panel.refresh();
      showSettings(app, settings);
    },
    frame: () => onFrame(),
    training: (snapshot) => app.panels?.model.update(snapshot),
    generalisation: (result) => app.panels?.generalisation.show(result),
  }),
  sweepPanel: new SweepPanel(byId('dock')),
  recordBar: new RecordBar(byId('side-top')),
  panels: null,
  chartedRun: -1,
  report: (e) => messages.show(e instanceof Error ? e.message : String(e), 'error'),
};
// The sweep's panel heads the dock: it is what the user just asked for.
byId('dock').prepend(app.sweepPanel.element);
const onFrame = frameHandler(app);

async function boot(): Promise<void> {
  // Before the link is judged: its class on your points is checked against their labels.
  if (decodeHash(location.hash).patch.dataset === 'custom') {
    const stored = loadCustomPoints();
    if (stored) app.sandbox.restoreCustomPoints(stored.points, stored.labels);
  }
  const initial = settingsFromLink(app, location.hash);
  root.classList.toggle('compare', initial.compare);
  try {
    await app.sandbox.start(initial);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    showNoWebGpu(
      root,
      e instanceof WebGpuUnavailableError ? reason : `The sandbox could not start: ${reason}`,
    );
    root.querySelector('.views')?.remove();
    throw e;
  }
  startUi(app);
  followHashChanges(app);
  startFrames(app);
  startMeasurements(app);
  app.sandbox.play();
}

const ready = boot();
void ready.finally(() => messages.release()).catch(() => undefined);
ready.catch((e: unknown) => console.warn(e));
window.sandbox = createApi(app, ready);
