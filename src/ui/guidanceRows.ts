/**
 * The guidance curve's rows as its panel writes them, one line per w (src/ui/guidancePanel.ts);
 * apart from the charts, so that scripts and tests can say a row the panel's way.
 */
import type { GuidanceRow } from '../sim/experiments/guidanceSweep';
import type { ImageGuidanceRow } from '../sim/experiments/imageGuidanceSweep';

/** A row of points as the panel says it. */
export function describeRow(r: GuidanceRow): string {
  const over = Number.isFinite(r.overshoot) ? ` · past the mean ${r.overshoot.toFixed(3)}` : '';
  return (
    `w ${r.w}: entropy ${r.entropy.toFixed(2)} · W2 ${r.distance.toFixed(3)} · ` +
    `nearest ${r.nearest.toFixed(3)} · off the data ${(100 * r.offData).toFixed(1)}%${over}`
  );
}

/** A row of images as the panel says it. */
export function describeImageRow(r: ImageGuidanceRow): string {
  const over = Number.isFinite(r.overshoot) ? ` · past the mean ${r.overshoot.toFixed(3)}` : '';
  return (
    `w ${r.w}: on the class ${(100 * r.onClass).toFixed(1)}% · nearest ${r.nearest.toFixed(3)} · ` +
    `distinct ${r.distinct} · saturated ${(100 * r.saturated).toFixed(2)}%${over}`
  );
}

/** Either kind's row. */
export function describeAnyRow(r: GuidanceRow | ImageGuidanceRow): string {
  return 'onClass' in r ? describeImageRow(r) : describeRow(r);
}
