/**
 * The "Guidance curve" button, in the Guidance folder (src/app/ui.ts adds it there). The app runs
 * the sweep (src/app/guidanceCurve.ts); the button holds no state.
 */
import type { Controller, GUI } from 'lil-gui';

export const GUIDANCE_CURVE_LABEL = 'Guidance curve (vs w)';

/** Adds the button to `folder`; `run` starts the guidance sweep for the current class. */
export function guidanceCurveButton(folder: GUI, run: () => void): Controller {
  const button = folder.add({ run }, 'run').name(GUIDANCE_CURVE_LABEL);
  button.domElement.title =
    "Diversity, distance to the class's data and the share off it against guidance w, for the current class (points or images)";
  return button;
}

/** The folder titled `title` anywhere under `gui`, or null. */
export function folderTitled(gui: GUI, title: string): GUI | null {
  return gui.foldersRecursive().find((f) => f._title === title) ?? null;
}
