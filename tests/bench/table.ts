/** The benchmark's results and their markdown tables. */
import type { CpuResult } from './cpu';

export interface GpuRow {
  case: string;
  n: number;
  m: number | null;
  k: number | null;
  stepsPerSubmit: number;
  reps: number;
  /** Seconds per step: by GPU timestamps (null without them) and by the wall clock. */
  gpuSeconds: number | null;
  wallSeconds: number;
  /** Particle-steps per second, from the GPU time where there is one. */
  particleSteps: number;
  pairs: number | null;
  /** Throughput over the float64 CPU reference's. */
  overCpu: number | null;
}

export interface SkippedRow {
  case: string;
  m: number | null;
  k: number | null;
  n: number;
  /** The predicted seconds per step that did not fit the time budget. */
  predictedSeconds: number;
}

export interface CpuRow extends CpuResult {
  case: string;
  m: number | null;
  k: number | null;
}

/** 1000 -> 1e3, 4000000 -> 4e6, 12500 -> 1.25e4; other numbers as they are. */
export function formatCount(v: number): string {
  if (v < 1000) return String(v);
  const e = Math.floor(Math.log10(v));
  const a = v / 10 ** e;
  const rounded = Math.round(a * 100) / 100;
  return Math.abs(a - rounded) < 1e-9 ? `${rounded}e${e}` : String(v);
}

export function formatRate(v: number | null): string {
  if (v === null) return '';
  const units = ['', 'k', 'M', 'G', 'T', 'P'];
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toPrecision(3)} ${units[u]}`.trimEnd();
}

export function formatSeconds(s: number | null): string {
  if (s === null) return '';
  if (s >= 1) return `${s.toPrecision(3)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${(s * 1e6).toPrecision(3)} µs`;
}

export function sizeLabel(r: { m: number | null; k: number | null }): string {
  if (r.m !== null) return `M=${formatCount(r.m)}`;
  if (r.k !== null) return `K=${r.k}`;
  return '';
}

function ratio(v: number | null): string {
  if (v === null) return '';
  return v >= 10 ? `${Math.round(v)}×` : `${v.toPrecision(2)}×`;
}

/** A markdown table, columns padded; `right` marks the right-aligned columns. */
export function markdown(
  head: readonly string[],
  right: readonly boolean[],
  rows: string[][],
): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length), 3));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((s, c) => (right[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (right[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export function gpuTable(rows: readonly GpuRow[]): string {
  return markdown(
    [
      'case',
      'M / K',
      'N',
      'GPU time/step',
      'wall/step',
      'particle-steps/s',
      'pairs/s',
      'vs CPU f64',
    ],
    [false, false, true, true, true, true, true, true],
    rows.map((r) => [
      r.case,
      sizeLabel(r),
      formatCount(r.n),
      formatSeconds(r.gpuSeconds),
      formatSeconds(r.wallSeconds),
      formatRate(r.particleSteps),
      formatRate(r.pairs),
      ratio(r.overCpu),
    ]),
  );
}

export function cpuTable(rows: readonly CpuRow[]): string {
  return markdown(
    ['case', 'M / K', 'N', 'time/step', 'particle-steps/s', 'pairs/s'],
    [false, false, true, true, true, true],
    rows.map((r) => [
      r.case,
      sizeLabel(r),
      formatCount(r.n),
      formatSeconds(r.seconds),
      formatRate(r.particleSteps),
      formatRate(r.pairs),
    ]),
  );
}
