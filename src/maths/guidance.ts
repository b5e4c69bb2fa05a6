/**
 * Class conditioning and guidance (issue 15, items 3 and 4), pure: the class-conditional exact
 * denoisers are the mixture restricted to the class's components (weights renormalised) and the
 * empirical denoiser over the class's points; guidance mixes the conditional and unconditional
 * denoisers, x0_hat = x0_uncond + w (x0_cond - x0_uncond) (Ho & Salimans 2022, classifier-free
 * guidance, here with exact denoisers), optionally only for t in an interval (Kynkaanniemi et al.
 * 2024, "Applying guidance in a limited interval improves sample and distribution quality"),
 * w = 1 (the conditional denoiser alone) outside it. The float64 references of
 * shaders/run/guide.wgsl and of the kernels' class restriction (lib/labels.wgsl).
 */
import type { Dataset, Mixture } from './datasets';

/** The label of 'every class' in the kernels (lib/labels.wgsl ALL_LABELS). */
export const ALL_LABELS = 0xffffffff;

/** What a conditioned run asks of its denoiser: the class, the guidance w and its interval in t. */
export interface Condition {
  label: number;
  guidance: number;
  /** [lo, hi]: guidance applies for lo <= t <= hi; w = 1 elsewhere. */
  interval: readonly [number, number];
}

/** The guidance weight at noise level t: w inside the interval, 1 (no guidance) outside. */
export function guidanceAt(c: Condition | undefined, t: number): number {
  if (!c) return 1;
  return t >= c.interval[0] && t <= c.interval[1] ? c.guidance : 1;
}

/** Whether a run needs the unconditional evaluation too: w != 1 somewhere on its levels. */
export function isGuided(c: Condition | undefined, levels: readonly { t: number }[]): boolean {
  return !!c && levels.some((l) => guidanceAt(c, l.t) !== 1);
}

/** The mixture restricted to class `label` (its component `label`), weights renormalised. */
export function classMixture(mixture: Mixture, label: number): Mixture {
  const kept = mixture.components.filter((_, k) => k === label);
  const total = kept.reduce((s, c) => s + c.weight, 0);
  return { components: kept.map((c) => ({ ...c, weight: c.weight / total })) };
}

/** The stored points of class `label`, in their order. */
export function classPoints(points: Float32Array, labels: ArrayLike<number>, label: number) {
  const out: number[] = [];
  for (let j = 0; j < labels.length; j++)
    if (labels[j] === label) out.push(points[2 * j]!, points[2 * j + 1]!);
  return Float32Array.from(out);
}

/** Stored points of each class (0 for a dataset without labels). */
export function classCounts(dataset: Pick<Dataset, 'labels'>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of dataset.labels ?? []) if (l < classes) counts[l]!++;
  return counts;
}

/**
 * log P(class) as the kernels add it to U (step.log_share): the class's weight in the mixture when
 * the denoiser is the mixture's, else the class's share M_c / M of the stored points.
 */
export function logShare(dataset: Dataset, label: number, mixtureDenoiser: boolean): number {
  if (label === ALL_LABELS) return 0;
  if (mixtureDenoiser && dataset.mixture)
    return Math.log(dataset.mixture.components[label]?.weight ?? 0);
  const m = dataset.labels?.length ?? 0;
  const count = classCounts(dataset, label + 1)[label]!;
  return Math.log(count / m);
}

/** The guided denoiser from the two (float64, as shaders/run/guide.wgsl): w c + (1 - w) u. */
export function guide(cond: ArrayLike<number>, uncond: ArrayLike<number>, w: number): Float64Array {
  return Float64Array.from(cond, (c, i) => w * c + (1 - w) * uncond[i]!);
}
