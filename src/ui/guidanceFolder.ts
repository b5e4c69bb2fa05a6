/**
 * The Guidance folder of the panel: the class the exact denoisers keep (a dropdown of the
 * dataset's classes, rebuilt when the dataset changes), the guidance w and the interval of t where
 * it applies. Settings through the panel's bind, like every other control; shown only where a
 * class can be chosen (labelled data and a denoiser that takes a class), and for a learned network
 * with no class input, saying how to train one that has.
 */
import type GUI from 'lil-gui';
import type { Controller } from 'lil-gui';
import { classCount, customClassNames } from '../settings/classes';
import { SHAPE_CLASSES } from '../maths/imageDatasets';
import { LIMITS, type Settings } from '../settings/settings';
import { folderNote } from './folderNote';

type Bind = (folder: GUI, key: keyof Settings, ...args: unknown[]) => Controller;

/** What one class of a dataset is called: a mode of a mixture, a moon, a ring, a spiral arm, a digit. */
const CLASS_NOUN: Partial<Record<string, string>> = {
  gaussians8: 'mode',
  gaussians25: 'mode',
  moons: 'moon',
  rings: 'ring',
  spiral: 'arm',
  mnist: 'digit',
};

/** Class k's name: the shape's for shapes, your file's for custom, else the dataset's noun and k. */
function className(dataset: string, k: number): string {
  if (dataset === 'shapes') return SHAPE_CLASSES[k] ?? `shape ${k}`;
  if (dataset === 'custom') return customClassNames()[k] ?? `class ${k}`;
  return `${CLASS_NOUN[dataset] ?? 'class'} ${k}`;
}

/** The class dropdown's choices for a dataset: 'all' (-1), then each class by its readable name. */
export function classChoices(dataset: string): Record<string, number> {
  const choices: Record<string, number> = { all: -1 };
  for (let k = 0; k < classCount(dataset as Settings['dataset']); k++)
    choices[uniqueName(choices, className(dataset, k))] = k;
  return choices;
}

/** A dropdown label not yet taken ('all' or a name your file repeats as a number: "3 (2)"). */
function uniqueName(choices: Record<string, number>, name: string): string {
  let shown = name;
  for (let i = 2; shown in choices; i++) shown = `${name} (${i})`;
  return shown;
}

/** Whether the settings' data and denoiser take a class (as conditionProblem in validate.ts). */
export function takesClass(s: Readonly<Settings>): boolean {
  if (classCount(s.dataset) === 0 || s.denoiser === 'gaussian') return false;
  return s.denoiser !== 'learned' || s.labelDropout < 1;
}

const PICK_NOTE = 'Pick a class to sample p(x | c); w != 1 then guides towards it.';
const DROPOUT_NOTE =
  "The network has no class input: set the Model folder's label dropout below 1 (0.1 is usual) to train a class-conditional one, then pick a class.";

/** Builds the folder; the function it returns shows it for the settings as they now are. */
export function buildGuidanceFolder(gui: GUI, bind: Bind): (s: Readonly<Settings>) => void {
  const f = gui.addFolder('Guidance');
  const note = folderNote(f, PICK_NOTE);
  const classController = bind(f, 'class', classChoices('')).name('class');
  const w = bind(f, 'guidance', LIMITS.guidance.min, LIMITS.guidance.max, 0.1).name('guidance w');
  const interval = bind(f, 'guidanceInterval').name('interval lo,hi in t');
  let dataset = '';
  return (s) => {
    // An unconditional network: shown, with how to make it conditional.
    const untrained = s.denoiser === 'learned' && s.labelDropout >= 1 && classCount(s.dataset) > 0;
    f.show(takesClass(s) || untrained);
    // Your points' classes change with the file: the choices follow their names too.
    const classes = s.dataset === 'custom' ? `custom:${customClassNames().join('\n')}` : s.dataset;
    if (classes !== dataset) {
      dataset = classes;
      classController.options(classChoices(s.dataset));
    }
    const chosen = s.class !== -1;
    classController.enable(!untrained);
    note.textContent = untrained ? DROPOUT_NOTE : PICK_NOTE;
    note.hidden = chosen && !untrained;
    w.enable(chosen);
    interval.enable(chosen);
  };
}
