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

/** Views of the plane, which mean nothing for images in R^d. */
export const PLANE_ONLY: readonly (keyof Settings)[] = [
  'view',
  'landscape',
  'arrows',
  'trails',
  'trailParticles',
  'marginals',
];
