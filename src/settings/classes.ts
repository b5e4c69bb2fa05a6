/**
 * How many classes each dataset's points are labelled with, and their names: the built-in
 * datasets' (datasetClasses) and those of the user's own points, whose labels come with the file
 * they were loaded from (src/io/pointLabels.ts). The sandbox sets the latter whenever the custom
 * points change, so that the settings' `class` is judged against the points as they are.
 */
import { datasetClasses } from '../maths/datasets';
import type { Settings } from './settings';

let customNames: readonly string[] = [];

/** The class names of the custom points now ([] when they have no labels). */
export function setCustomClassNames(names: readonly string[]): void {
  customNames = [...names];
}

export const customClassNames = (): readonly string[] => customNames;

/** How many classes a dataset's points are labelled with; 0 when they have no labels. */
export function classCount(dataset: Settings['dataset']): number {
  return dataset === 'custom' ? customNames.length : datasetClasses(dataset);
}
