/**
 * The class labels of a user's point file, one per point, as the built-in datasets carry them
 * (Dataset.labels): class numbers 0, 1, ... kept as they are, or names (strings) numbered in
 * the order they first appear. Which, the file's first label decides. A label that breaks the
 * rule throws a LabelProblem saying what is wrong; the parser adds the file and the row.
 */
import type { ClassLabels } from '../maths/datasets';

/**
 * The most classes a file may have: Dataset.labels holds a byte per point, and the kernels read
 * each as a u32 of its own (shaders/lib/labels.wgsl), so 256 classes, 0 to 255.
 */
export const MAX_CLASSES = 256;

export class LabelProblem extends Error {}

/** A label as the file holds it: a JSON number or string, or a CSV cell (text). */
export type RawLabel = { number: number } | { text: string };

export class LabelSink {
  private count = 0;
  private values = new Uint8Array(2048);
  /** Class numbers ('numbers') or names ('names'), fixed by the first label. */
  private kind: 'numbers' | 'names' | null = null;
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private highest = -1;

  push(raw: RawLabel): void {
    const label = this.classOf(raw);
    const i = this.count++;
    if (i >= this.values.length) {
      const grown = new Uint8Array(2 * this.values.length);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[i] = label;
  }

  private classOf(raw: RawLabel): number {
    this.kind ??= 'number' in raw ? 'numbers' : 'names';
    if (this.kind === 'numbers') {
      const shown = 'number' in raw ? String(raw.number) : `"${show(raw.text)}"`;
      const k = 'number' in raw ? raw.number : NaN;
      if (!Number.isInteger(k) || k < 0 || k >= MAX_CLASSES)
        throw new LabelProblem(
          `has the label ${shown}; the labels are class numbers (as the first one is), whole numbers from 0 to ${MAX_CLASSES - 1}`,
        );
      this.highest = Math.max(this.highest, k);
      return k;
    }
    const name = 'number' in raw ? String(raw.number) : raw.text;
    const known = this.index.get(name);
    if (known !== undefined) return known;
    if (this.names.length === MAX_CLASSES)
      throw new LabelProblem(
        `has the label "${show(name)}", a class past the ${MAX_CLASSES} that a file may have`,
      );
    this.index.set(name, this.names.length);
    this.names.push(name);
    return this.names.length - 1;
  }

  /** The labels of the points pushed, or null when none has one. */
  result(): ClassLabels | null {
    if (this.count === 0) return null;
    const names =
      this.kind === 'names'
        ? [...this.names]
        : Array.from({ length: this.highest + 1 }, (_, k) => `class ${k}`);
    return { labels: this.values.slice(0, this.count), names };
  }
}

/**
 * The labels a script gives with its points (loadPoints), one per point, by the rules of a
 * file's; a wrong one throws an Error naming it (labels[i]).
 */
export function labelsOf(values: readonly (number | string)[], count: number): ClassLabels {
  if (values.length !== count)
    throw new Error(`labels has ${values.length} labels for ${count} points: one a point`);
  const sink = new LabelSink();
  values.forEach((v, i) => {
    try {
      sink.push(typeof v === 'number' ? { number: v } : { text: v });
    } catch (e) {
      if (e instanceof LabelProblem) throw new Error(`labels[${i}] ${e.message}`);
      throw e;
    }
  });
  return sink.result()!;
}

/** A value as a message quotes it: at most 24 characters. */
export const show = (raw: string): string =>
  raw === '' ? 'empty' : raw.length > 24 ? `${raw.slice(0, 24)}...` : raw;
