/** Which choices and controls the panel offers for which settings. */
import type { ScheduleId } from '../maths/schedules';
import type { Settings } from '../settings/settings';

/** Schedule parameters shown for each schedule. */
export const SCHEDULE_KEYS: Record<ScheduleId, (keyof Settings)[]> = {
  linear: ['betaMin', 'betaMax'],
  cosine: ['cosineS'],
  sigmoid: ['sigmoidStart', 'sigmoidEnd', 'sigmoidTau'],
  karras: ['sigmaMin', 'sigmaMax', 'rho'],
  ve: ['sigmaMin', 'sigmaMax'],
  custom: [],
  rectified: [],
};

/** Batch sizes offered for image datasets (n). */
export const BATCH_CHOICES = [16, 64, 256, 1024] as const;

/** Particle counts offered: 1k, 2k, 5k, 10k ... up to the device's limit. */
export function particleChoices(max: number): number[] {
  const out: number[] = [];
  for (let decade = 1000; decade <= max; decade *= 10) {
    for (const f of [1, 2, 5]) if (f * decade <= max) out.push(f * decade);
  }
  return out;
}

/** The choices of n: batch sizes (images) or particle counts, with `n` among them, sorted. */
export function nChoices(images: boolean, max: number, n: number): number[] {
  const choices = images ? [...BATCH_CHOICES] : particleChoices(max);
  if (!choices.includes(n)) choices.push(n);
  return choices.sort((a, b) => a - b);
}

/** Why the views of the plane are off on images (a note in the physics folder). */
export const PLANE_NOTE =
  'Images are points of R^d: the view, landscape, arrows, trails and marginals are of the plane, so they are off.';

/** Views of the plane, which mean nothing for images in R^d. */
export const PLANE_ONLY: readonly (keyof Settings)[] = [
  'view',
  'landscape',
  'arrows',
  'arrowField',
  'trails',
  'trailParticles',
  'marginals',
];
