/**
 * Parses a user's point file into x, y interleaved float32, with each point's class label where
 * the file has them (pointLabels.ts), or throws an Error whose message says what is wrong and
 * where, ready to show to the user. Pure: the caller reads the file.
 *
 * JSON: an array of [x, y] pairs or of {x, y} objects, or an object with such an array under
 * `points`; labelled: [x, y, label] triples or {x, y, label} (or class) objects. CSV/TSV
 * (papaparse guesses the delimiter): a header naming x and y columns picks them,
 * case-insensitively, and a label (or class) column the labels; otherwise the first two numeric
 * columns of the first data row are used, and a file of three columns without a header has its
 * labels in the third. Either all points have a label or none has.
 */
import Papa from 'papaparse';
import type { ClassLabels } from '../maths/datasets';
import { LabelProblem, LabelSink, show, type RawLabel } from './pointLabels';

export const MAX_POINTS = 1_000_000;
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

const MB = 1024 * 1024;

/** Throws when a file is too big to read, before reading it. */
export function checkFileSize(bytes: number, name: string): void {
  if (bytes > MAX_FILE_BYTES) {
    throw new Error(`${name} is ${megabytes(bytes)}; the limit is ${megabytes(MAX_FILE_BYTES)}`);
  }
}

/** Rounded up, so that a file just over the limit never reads as equal to it. */
function megabytes(bytes: number): string {
  const mb = bytes / MB;
  const shown = mb >= 100 ? Math.ceil(mb) : Math.ceil(mb * 10) / 10;
  return `${shown.toLocaleString('en')} MB`;
}

/** A file's points, x and y interleaved, and their labels (null when the file has none). */
export interface ParsedPoints {
  points: Float32Array;
  labels: ClassLabels | null;
}

export function parsePoints(text: string, name: string): Float32Array {
  return parseLabelledPoints(text, name).points;
}

export function parseLabelledPoints(text: string, name: string): ParsedPoints {
  const body = text.replace(/^\uFEFF/, '');
  const sink = new PointSink();
  const labels = new LabelSink();
  try {
    if (/\.json$/i.test(name) || /^\s*[[{]/.test(body)) readJson(body, sink, labels);
    else readDelimited(body, sink, labels);
    return { points: sink.result(), labels: labels.result() };
  } catch (e) {
    if (e instanceof Problem) throw new Error(`${name}: ${e.message}`);
    throw e;
  }
}

/** Pushes a point's label, or says that it is wrong, `where` it is. */
function pushLabel(labels: LabelSink, raw: RawLabel, where: string): void {
  try {
    labels.push(raw);
  } catch (e) {
    if (e instanceof LabelProblem) throw new Problem(`${where} ${e.message}`);
    throw e;
  }
}

/** Thrown where some points have a label and this one has not, or the other way round. */
function labelMismatch(where: string, labelled: boolean): Problem {
  return new Problem(
    labelled
      ? `${where} has a label, but the points before it have none; either every point has a label or none has`
      : `${where} has no label, but the points before it have one; either every point has a label or none has`,
  );
}

/** A problem with the file's contents (anything else thrown is a bug, not the user's). */
class Problem extends Error {}

const fmt = (n: number): string => n.toLocaleString('en');

/** Collects points, storing at most MAX_POINTS but counting them all for the message. */
class PointSink {
  private count = 0;
  private values = new Float32Array(2048);

  push(x: number, y: number): void {
    const i = this.count++;
    if (i >= MAX_POINTS) return;
    if (2 * i + 2 > this.values.length) {
      const grown = new Float32Array(Math.min(2 * this.values.length, 2 * MAX_POINTS));
      grown.set(this.values);
      this.values = grown;
    }
    this.values[2 * i] = x;
    this.values[2 * i + 1] = y;
  }

  result(): Float32Array {
    if (this.count === 0) throw new Problem('no points found');
    if (this.count > MAX_POINTS) {
      throw new Problem(`${fmt(this.count)} points is over the limit of ${fmt(MAX_POINTS)}`);
    }
    return this.values.slice(0, 2 * this.count);
  }
}

/** A checked coordinate: finite, and finite once rounded to float32. */
function coordinate(value: number, where: string, raw: string): number {
  if (!Number.isFinite(value)) {
    throw new Problem(`${where} has a value that is not a finite number (${show(raw)})`);
  }
  if (!Number.isFinite(Math.fround(value))) {
    throw new Problem(`${where} has a value too large for single precision (${show(raw)})`);
  }
  return value;
}

// ---- JSON ----

const JSON_SHAPES =
  'an array of [x, y] pairs or of {x, y} objects, or an object with a points array';

function readJson(body: string, sink: PointSink, labels: LabelSink): void {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    throw new Problem(`could not parse as JSON (${jsonErrorPlace(body, e)})`);
  }
  const points = isRecord(data) ? data.points : data;
  const prefix = isRecord(data) ? 'points' : '';
  if (!Array.isArray(points) || points.length === 0) {
    throw new Problem(`no points found (expected ${JSON_SHAPES})`);
  }
  if (points.length > MAX_POINTS) {
    throw new Problem(`${fmt(points.length)} points is over the limit of ${fmt(MAX_POINTS)}`);
  }
  let labelled: boolean | null = null;
  points.forEach((item: unknown, i) => {
    const where = `${prefix}[${i}]`;
    const [x, y, label] = jsonPoint(item, where);
    sink.push(coordinate(x.value, where, x.raw), coordinate(y.value, where, y.raw));
    labelled ??= label !== undefined;
    if (labelled !== (label !== undefined)) throw labelMismatch(where, !labelled);
    if (label !== undefined) pushLabel(labels, jsonLabel(label, where), where);
  });
}

/** A JSON label: a number or a string. */
function jsonLabel(v: unknown, where: string): RawLabel {
  if (typeof v === 'number') return { number: v };
  if (typeof v === 'string') return { text: v };
  throw new Problem(
    `${where} has the label ${show(JSON.stringify(v) ?? String(v))}; a label is a number or a string`,
  );
}

interface Cell {
  value: number;
  raw: string;
}

function jsonCell(v: unknown): Cell {
  return { value: typeof v === 'number' ? v : NaN, raw: JSON.stringify(v) ?? String(v) };
}

/** A point's x and y, and its label (undefined: none; null is a label, and refused). */
function jsonPoint(item: unknown, where: string): [Cell, Cell, unknown] {
  if (Array.isArray(item)) {
    if (item.length !== 2 && item.length !== 3)
      throw new Problem(`${where} has ${item.length} values; a point is [x, y] or [x, y, label]`);
    return [jsonCell(item[0]), jsonCell(item[1]), item.length === 3 ? item[2] : undefined];
  }
  if (isRecord(item)) {
    const find = (k: string): string | undefined =>
      Object.keys(item).find((name) => name.toLowerCase() === k);
    const key = (k: string): unknown => {
      const found = find(k);
      if (found === undefined) throw new Problem(`${where} has no ${k}`);
      return item[found];
    };
    const label = find('label') ?? find('class');
    return [jsonCell(key('x')), jsonCell(key('y')), label === undefined ? undefined : item[label]];
  }
  throw new Problem(`${where} is not an [x, y] pair or an {x, y} object`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The engine's message, led by a line number where it gives a character position (V8 does). */
function jsonErrorPlace(body: string, e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).slice(0, 160);
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return message;
  const line = body.slice(0, Number(position)).split('\n').length;
  return `line ${line}: ${message}`;
}

// ---- CSV / TSV ----

/** ' ' last, so that "1, 2" stays comma-separated; runs of spaces are merged below. */
const DELIMITERS = [',', '\t', ';', '|', ' '];
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** A number, NaN or +-Infinity for cells that spell those (so they are reported), or null. */
function numeric(cell: string): number | null {
  if (DECIMAL.test(cell)) return Number(cell);
  if (NON_FINITE.test(cell))
    return /nan/i.test(cell) ? NaN : cell.startsWith('-') ? -Infinity : Infinity;
  return null;
}

interface Columns {
  x: number;
  y: number;
  /** The labels' column, -1 for none. */
  label: number;
  /** Set by a header that names no x and y columns: the first data row decides them. */
  fromFirstRow?: boolean;
}

function readDelimited(body: string, sink: PointSink, labels: LabelSink): void {
  // Guess the delimiter on non-blank lines only; the real pass keeps blank lines so that row
  // numbers are line numbers (true unless a quoted field spans lines, unheard of in point data).
  const guess = Papa.parse<string[]>(body, {
    preview: 1,
    skipEmptyLines: 'greedy',
    delimitersToGuess: DELIMITERS,
  });
  const delimiter = guess.meta.delimiter;
  let line = 0;
  let columns: Columns | null = null;
  let problem = null as Problem | null;
  Papa.parse<string[]>(body, {
    delimiter,
    skipEmptyLines: false,
    step: (row, parser) => {
      line++;
      try {
        const quotes = row.errors.find((err) => err.type === 'Quotes');
        if (quotes) throw new Problem(`could not parse as CSV (line ${line}: ${quotes.message})`);
        let cells = row.data.map((c) => c.trim());
        if (delimiter === ' ') cells = cells.filter((c) => c !== '');
        if (cells.every((c) => c === '')) return;
        if (columns === null && isHeader(cells)) {
          columns = headerColumns(cells, line);
          return;
        }
        if (columns === null || columns.fromFirstRow)
          columns = numericColumns(cells, line, columns?.label);
        sink.push(rowValue(cells, columns.x, 'x', line), rowValue(cells, columns.y, 'y', line));
        if (columns.label >= 0)
          pushLabel(labels, rowLabel(cells, columns.label, line), `line ${line}`);
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problem = e;
        parser.abort();
      }
    },
  });
  if (problem) throw problem;
}

/** A header row has no number in it, so a first row "NaN, 1" is still data (and reported). */
const isHeader = (cells: string[]): boolean => cells.every((c) => numeric(c) === null);

function headerColumns(cells: string[], line: number): Columns {
  const names = cells.map((c) => c.toLowerCase());
  const x = names.indexOf('x');
  const y = names.indexOf('y');
  const labelled = names.indexOf('label');
  const label = labelled >= 0 ? labelled : names.indexOf('class');
  if (x >= 0 && y >= 0) return { x, y, label };
  if (x >= 0) throw new Problem(`the header on line ${line} names an x column but no y column`);
  if (y >= 0) throw new Problem(`the header on line ${line} names a y column but no x column`);
  return { x: -1, y: -1, label, fromFirstRow: true };
}

/**
 * x and y: the first two numeric columns of the row (but the header's label column); the
 * labels: the header's label column, or without one the third of a row of exactly three.
 */
function numericColumns(cells: string[], line: number, header?: number): Columns {
  if (cells.length === 1) {
    throw new Problem(`line ${line} has a single column; points need two, x and y`);
  }
  const found: number[] = [];
  cells.forEach((c, i) => {
    if (numeric(c) !== null && i !== header) found.push(i);
  });
  const [x, y] = found;
  if (x === undefined || y === undefined) {
    const what = found.length === 0 ? 'no numbers' : 'only one number';
    throw new Problem(`line ${line} has ${what}; points need two numeric columns, x and y`);
  }
  const third = header === undefined && cells.length === 3 && x === 0 && y === 1;
  return { x, y, label: header ?? (third ? 2 : -1) };
}

/** A row's label: a class number if the cell is a number, else a name. */
function rowLabel(cells: string[], column: number, line: number): RawLabel {
  const raw = cells[column];
  if (raw === undefined || raw === '') {
    throw new Problem(
      `line ${line} has no label in column ${column + 1}; every point needs one when the file has labels`,
    );
  }
  const value = numeric(raw);
  return value === null ? { text: raw } : { number: value };
}

function rowValue(cells: string[], column: number, axis: string, line: number): number {
  const raw = cells[column];
  if (raw === undefined || raw === '') {
    throw new Problem(`line ${line} has no value in column ${column + 1} (${axis})`);
  }
  return coordinate(numeric(raw) ?? NaN, `line ${line}`, raw);
}
