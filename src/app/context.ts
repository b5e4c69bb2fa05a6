/**
 * The App context: the page's elements, its messages, the sandbox, and the panels once they are
 * built. One object handed to each part of the app (link, files, recording, scheduler, UI), in
 * place of module-level variables.
 */
import type { Sandbox } from '../sandbox/sandbox';
import type { ControlPanel } from '../ui/controlPanel';
import type { GeneralisationPanel } from '../ui/generalisationPanel';
import type { Hud } from '../ui/hud';
import type { Layout } from '../ui/layout';
import type { MarginalsPanel } from '../ui/marginalsPanel';
import type { MemorisationPanel } from '../ui/memorisationPanel';
import type { ModelPanel } from '../ui/modelPanel';
import type { Messages } from '../ui/messages';
import type { PanelLabels } from '../ui/panelLabels';
import type { PhysicsCharts } from '../ui/physicsCharts';
import type { RecordBar } from '../ui/recordBar';
import type { ScheduleChart } from '../ui/scheduleChart';
import type { SpeciationPanel } from '../ui/speciationPanel';
import type { SweepPanel } from '../ui/sweepPanel';

/** The panels, built once the sandbox is running (startUi). */
export interface Panels {
  panel: ControlPanel;
  hud: Hud;
  chart: ScheduleChart;
  physicsCharts: PhysicsCharts;
  marginals: MarginalsPanel;
  speciation: SpeciationPanel;
  memorisation: MemorisationPanel;
  model: ModelPanel;
  generalisation: GeneralisationPanel;
  labels: PanelLabels;
}

export interface App {
  root: HTMLElement;
  canvases: readonly [HTMLCanvasElement, HTMLCanvasElement];
  /** The run captions of lanes A and B. */
  labels: readonly [HTMLElement, HTMLElement];
  physicsColumn: HTMLElement;
  messages: Messages;
  /** The side column's tabs and the phone's drawer. */
  layout: Layout;
  sandbox: Sandbox;
  sweepPanel: SweepPanel;
  recordBar: RecordBar;
  /** null until the UI is built. */
  panels: Panels | null;
  /** The run the charts show (Sandbox.runId): they restart with it. */
  chartedRun: number;
  /** Shows an error (or anything thrown) to the user. */
  report(e: unknown): void;
}
