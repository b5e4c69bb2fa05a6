/**
 * The user point-file parser (src/io/parsePoints.ts): the JSON and CSV/TSV shapes it accepts, and
 * messages that name the file and say what is wrong and where.
 */
import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/maths/rng';
import {
  MAX_FILE_BYTES,
  MAX_POINTS,
  checkFileSize,
  parseLabelledPoints,
  parsePoints,
} from '../../src/io/parsePoints';
import { MAX_CLASSES, labelsOf } from '../../src/io/pointLabels';
import { SEED } from '../random';

const seed = SEED;

const points = (text: string, name = 'points.csv'): number[] => [...parsePoints(text, name)];
const error = (text: string, name = 'points.csv'): string => {
  try {
    parsePoints(text, name);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('parsed without an error');
};

describe('JSON', () => {
  test.each([
    ['[x, y] pairs', '[[1, 2], [3.5, -4]]'],
    ['{x, y} objects, other keys ignored', '[{"x": 1, "y": 2, "name": "a"}, {"y": -4, "x": 3.5}]'],
    ['{X, Y} objects', '[{"X": 1, "Y": 2}, {"X": 3.5, "Y": -4}]'],
    ['an object with points pairs', '{"name": "mine", "points": [[1, 2], [3.5, -4]]}'],
    ['an object with points objects', '{"points": [{"x": 1, "y": 2}, {"x": 3.5, "y": -4}]}'],
    ['pairs and objects mixed', '[[1, 2], {"x": 3.5, "y": -4}]'],
  ])('%s', (_, text) => {
    expect(points(text, 'points.json')).toEqual([1, 2, 3.5, -4]);
  });

  test('recognised by its content whatever the file is called', () => {
    expect(points('  [[1, 2]]', 'data.txt')).toEqual([1, 2]);
    expect(points('\uFEFF{"points": [[1, 2]]}', 'data')).toEqual([1, 2]);
  });

  test('values are rounded to float32', () => {
    expect(points('[[0.1, 1e-3]]', 'p.json')).toEqual([Math.fround(0.1), Math.fround(1e-3)]);
  });

  test.each([
    ['[[1, 2],\n [3, 4],\n [5, 6] [7, 8]]', /^p\.json: could not parse as JSON \(line 3: /],
    ['[[1, 2], [3', /^p\.json: could not parse as JSON \(/],
    ['', /^p\.json: could not parse as JSON/],
    ['[]', /^p\.json: no points found/],
    ['{}', /^p\.json: no points found/],
    ['{"points": 3}', /^p\.json: no points found/],
    ['"hello"', /^p\.json: no points found/],
    ['[1, 2, 3, 4]', /^p\.json: \[0\] is not an \[x, y\] pair or an \{x, y\} object$/],
    [
      '[[1, 2], [1, 2, 3, 4]]',
      /^p\.json: \[1\] has 4 values; a point is \[x, y\] or \[x, y, label\]$/,
    ],
    ['[[1, 2], [1, null]]', /^p\.json: \[1\] has a value that is not a finite number \(null\)$/],
    [
      '{"points": [[1, "2"]]}',
      /^p\.json: points\[0\] has a value that is not a finite number \("2"\)$/,
    ],
    ['[{"x": 1}]', /^p\.json: \[0\] has no y$/],
    ['[{"x": 1, "y": true}]', /^p\.json: \[0\] has a value that is not a finite number \(true\)$/],
    ['[[1e39, 0]]', /^p\.json: \[0\] has a value too large for single precision \(1e\+39\)$/],
  ])('%j is refused: %s', (text, message) => {
    expect(error(text, 'p.json')).toMatch(message);
  });
});

describe('CSV and TSV', () => {
  test.each([
    ['a header naming x and y', 'x,y\n1,2\n3.5,-4\n'],
    [
      'header names in any case and order, other columns ignored',
      'id,Label,Y,X\n0,a,2,1\n1,b,-4,3.5',
    ],
    ['no header', '1,2\n3.5,-4'],
    ['no header, extra columns', '1,2,9\n3.5,-4,9\n'],
    ['no header, a text column first', 'a,1,2\nb,3.5,-4'],
    ['quoted cells', '"x","y"\n"1","2"\n"3.5","-4"'],
    ['spaces around values', ' x , y \n 1 , 2 \n3.5,  -4'],
    ['CRLF line ends', 'x,y\r\n1,2\r\n3.5,-4\r\n'],
    ['a byte-order mark', '\uFEFFx,y\n1,2\n3.5,-4'],
    ['blank and whitespace-only lines', '\nx,y\n\n1,2\n   \n\n3.5,-4\n\n'],
    ['tabs', 'x\ty\n1\t2\n3.5\t-4\n'],
    ['tabs and blank lines', 'x\ty\n\n1\t2\n\n3.5\t-4\n\n'],
    ['semicolons', '1;2\n3.5;-4'],
    ['runs of spaces', '  1   2\n3.5 -4\n'],
    ['number formats', '1e0,+2.\n.35e1,-4.0E0'],
  ])('%s', (_, text) => {
    expect(points(text)).toEqual([1, 2, 3.5, -4]);
  });

  test('a header without x and y: the first two numeric columns of the data', () => {
    expect(points('id,name,px,py\n7,foo,0.5,0.25\n8,bar,1,2')).toEqual([7, 0.5, 8, 1]);
    expect(points('name,px,py\nfoo,0.5,0.25\nbar,1,2')).toEqual([0.5, 0.25, 1, 2]);
  });

  test.each([
    // Line numbers count blank lines, as an editor does.
    [
      'x,y\n\n1,2\n   \n3,NaN\n',
      'points.csv: line 5 has a value that is not a finite number (NaN)',
    ],
    ['1,2\n3,inf', 'points.csv: line 2 has a value that is not a finite number (inf)'],
    ['1,2\n3,-Infinity', 'points.csv: line 2 has a value that is not a finite number (-Infinity)'],
    ['NaN,1\n2,3', 'points.csv: line 1 has a value that is not a finite number (NaN)'],
    ['1,2\n3,abc', 'points.csv: line 2 has a value that is not a finite number (abc)'],
    ['1,2\n3,4x', 'points.csv: line 2 has a value that is not a finite number (4x)'],
    ['1,2\n3,1e400', 'points.csv: line 2 has a value that is not a finite number (1e400)'],
    ['1,2\n3,1e39', 'points.csv: line 2 has a value too large for single precision (1e39)'],
    ['1,2\n3\n', 'points.csv: line 2 has no value in column 2 (y)'],
    ['1,2\n3,\n', 'points.csv: line 2 has no value in column 2 (y)'],
    [
      'x,y\n1,2\n"3,4\n5,6',
      'points.csv: could not parse as CSV (line 3: Quoted field unterminated)',
    ],
    ['1\n2\n3', 'points.csv: line 1 has a single column; points need two, x and y'],
    ['value\n1\n2', 'points.csv: line 2 has a single column; points need two, x and y'],
    ['a,b\nc,d', 'points.csv: line 2 has no numbers; points need two numeric columns, x and y'],
    [
      'x1,label\n1,a',
      'points.csv: line 2 has only one number; points need two numeric columns, x and y',
    ],
    ['x,z\n1,2', 'points.csv: the header on line 1 names an x column but no y column'],
    ['Y,w\n1,2', 'points.csv: the header on line 1 names a y column but no x column'],
    ['x,y\n', 'points.csv: no points found'],
    ['', 'points.csv: no points found'],
    ['\n  \n\n', 'points.csv: no points found'],
  ])('%j is refused', (text, message) => {
    expect(error(text)).toBe(message);
  });

  test('long values are shortened in messages', () => {
    expect(error(`1,2\n3,${'z'.repeat(100)}`)).toBe(
      `points.csv: line 2 has a value that is not a finite number (${'z'.repeat(24)}...)`,
    );
  });
});

describe(`round trips (SEED=${seed})`, () => {
  const rng = new Rng(seed, 11);
  const cloud = Array.from({ length: 500 }, () => rng.normal() * 10 ** (rng.int(9) - 4));

  test('random points written as CSV, TSV and JSON read back as float32', () => {
    const rows = Array.from({ length: cloud.length / 2 }, (_, i) => [
      cloud[2 * i]!,
      cloud[2 * i + 1]!,
    ]);
    const want = [...Float32Array.from(cloud)];
    expect(points(['x,y', ...rows.map((r) => r.join(','))].join('\n'))).toEqual(want);
    expect(points(rows.map((r) => r.join('\t')).join('\n'), 'p.tsv')).toEqual(want);
    expect(points(JSON.stringify(rows), 'p.json')).toEqual(want);
    expect(points(JSON.stringify({ points: rows.map(([x, y]) => ({ x, y })) }), 'p.json')).toEqual(
      want,
    );
  });
});

describe('limits', () => {
  // Millions of lines: 2 s idle, up to 20 s on a loaded 2-core machine (default timeout 5 s).
  const PARSE_TIMEOUT = 60_000;

  test(`exactly MAX_POINTS (${MAX_POINTS}) points are accepted`, { timeout: PARSE_TIMEOUT }, () => {
    expect(parsePoints('0,1\n'.repeat(MAX_POINTS), 'ok.csv')).toHaveLength(2 * MAX_POINTS);
  });

  test('one more is refused, with the count', { timeout: PARSE_TIMEOUT }, () => {
    const n = MAX_POINTS + 234_567;
    expect(error('x,y\n' + '0,1\n'.repeat(n), 'many.csv')).toBe(
      'many.csv: 1,234,567 points is over the limit of 1,000,000',
    );
    expect(error(`[${'[0,1],'.repeat(MAX_POINTS)}[0,1]]`, 'many.json')).toBe(
      'many.json: 1,000,001 points is over the limit of 1,000,000',
    );
  });

  test('checkFileSize', () => {
    expect(() => checkFileSize(MAX_FILE_BYTES, 'ok.csv')).not.toThrow();
    expect(() => checkFileSize(250 * 1024 * 1024, 'big.csv')).toThrow(
      new Error('big.csv is 250 MB; the limit is 64 MB'),
    );
    // Rounded up, so a file just over the limit does not read as equal to it.
    expect(() => checkFileSize(MAX_FILE_BYTES + 1, 'edge.csv')).toThrow(
      new Error('edge.csv is 64.1 MB; the limit is 64 MB'),
    );
    expect(() => checkFileSize(1536 * 1024 * 1024, 'huge.csv')).toThrow(
      new Error('huge.csv is 1,536 MB; the limit is 64 MB'),
    );
  });
});

describe('labels', () => {
  const labelled = (text: string, name = 'points.csv'): [number[], number[], string[]] | null => {
    const { points, labels } = parseLabelledPoints(text, name);
    return labels ? [[...points], [...labels.labels], [...labels.names]] : null;
  };
  const xy = [1, 2, 3.5, -4, 0, 1];

  test.each([
    ['a CSV label column', 'x,y,label\n1,2,cat\n3.5,-4,dog\n0,1,cat', ['cat', 'dog']],
    [
      'a CSV class column, any case and order',
      'Class,Y,X\ncat,2,1\ndog,-4,3.5\ncat,1,0',
      ['cat', 'dog'],
    ],
    ['label before class', 'x,y,class,label\n1,2,9,cat\n3.5,-4,9,dog\n0,1,9,cat', ['cat', 'dog']],
    ['a header naming only the label', 'a,b,label\n1,2,cat\n3.5,-4,dog\n0,1,cat', ['cat', 'dog']],
    ['a third column without a header', '1,2,cat\n3.5,-4,dog\n0,1,cat', ['cat', 'dog']],
    ['TSV', 'x\ty\tlabel\n1\t2\tcat\n3.5\t-4\tdog\n0\t1\tcat', ['cat', 'dog']],
    ['JSON triples', '[[1, 2, "cat"], [3.5, -4, "dog"], [0, 1, "cat"]]', ['cat', 'dog']],
    [
      'JSON objects',
      '{"points": [{"x": 1, "y": 2, "label": "cat"}, {"x": 3.5, "y": -4, "label": "dog"}, {"x": 0, "y": 1, "Label": "cat"}]}',
      ['cat', 'dog'],
    ],
    [
      'JSON class keys',
      '[{"x": 1, "y": 2, "class": "cat"}, {"x": 3.5, "y": -4, "class": "dog"}, {"x": 0, "y": 1, "class": "cat"}]',
      ['cat', 'dog'],
    ],
  ])('names, numbered in order of first appearance: %s', (_, text, names) => {
    expect(
      labelled(text, text.startsWith('[') || text.startsWith('{') ? 'p.json' : 'p.csv'),
    ).toEqual([xy, [0, 1, 0], names]);
  });

  test('class numbers are kept as they are, with a class for every number up to the highest', () => {
    expect(labelled('x,y,label\n1,2,2\n3.5,-4,0\n0,1,2')).toEqual([
      xy,
      [2, 0, 2],
      ['class 0', 'class 1', 'class 2'],
    ]);
    expect(labelled('[[1, 2, 1], [3.5, -4, 0], [0, 1, 1]]', 'p.json')?.[1]).toEqual([1, 0, 1]);
    // Names may look like numbers once the first label is a name.
    expect(labelled('x,y,label\n1,2,a\n3.5,-4,7\n0,1,a')?.[2]).toEqual(['a', '7']);
    expect(labelled(`x,y,label\n0,0,${MAX_CLASSES - 1}`)?.[2]).toHaveLength(MAX_CLASSES);
  });

  test('files without labels have none', () => {
    expect(labelled('x,y\n1,2')).toBeNull();
    expect(labelled('1,2,3,4\n5,6,7,8')).toBeNull();
    expect(labelled('a,1,2\nb,3,4')).toBeNull();
    expect(labelled('[[1, 2]]', 'p.json')).toBeNull();
    expect(labelled('[{"x": 1, "y": 2, "name": "a"}]', 'p.json')).toBeNull();
  });

  test(`${MAX_CLASSES} names are accepted and one more is refused, naming the row`, () => {
    const rows = (k: number): string =>
      Array.from({ length: k }, (_, i) => `${i},0,c${i}`).join('\n');
    expect(labelled(rows(MAX_CLASSES))?.[2]).toHaveLength(MAX_CLASSES);
    expect(error(rows(MAX_CLASSES + 1))).toBe(
      `points.csv: line ${MAX_CLASSES + 1} has the label "c${MAX_CLASSES}", a class past the ${MAX_CLASSES} that a file may have`,
    );
  });

  const NUMBERS = `the labels are class numbers (as the first one is), whole numbers from 0 to ${MAX_CLASSES - 1}`;
  test.each([
    ['x,y,label\n1,2,0\n3,4,1.5', `points.csv: line 3 has the label 1.5; ${NUMBERS}`],
    ['x,y,label\n1,2,-1', `points.csv: line 2 has the label -1; ${NUMBERS}`],
    [
      `x,y,label\n1,2,${MAX_CLASSES}`,
      `points.csv: line 2 has the label ${MAX_CLASSES}; ${NUMBERS}`,
    ],
    ['x,y,label\n1,2,0\n3,4,cat', `points.csv: line 3 has the label "cat"; ${NUMBERS}`],
    ['x,y,label\n1,2,nan', `points.csv: line 2 has the label NaN; ${NUMBERS}`],
    [
      'x,y,label\n1,2,a\n\n3,4,\n',
      'points.csv: line 4 has no label in column 3; every point needs one when the file has labels',
    ],
    [
      '1,2,a\n3,4',
      'points.csv: line 2 has no label in column 3; every point needs one when the file has labels',
    ],
  ])('%j is refused', (text, message) => {
    expect(error(text)).toBe(message);
  });

  const EVERY = 'either every point has a label or none has';
  test.each([
    ['[[1, 2, 0], [3, 4, 0.5]]', `p.json: [1] has the label 0.5; ${NUMBERS}`],
    [
      '[[1, 2, "a"], [3, 4]]',
      `p.json: [1] has no label, but the points before it have one; ${EVERY}`,
    ],
    [
      '[[1, 2], [3, 4, "a"]]',
      `p.json: [1] has a label, but the points before it have none; ${EVERY}`,
    ],
    [
      '{"points": [{"x": 1, "y": 2, "label": "a"}, {"x": 3, "y": 4}]}',
      `p.json: points[1] has no label, but the points before it have one; ${EVERY}`,
    ],
    ['[[1, 2, null]]', 'p.json: [0] has the label null; a label is a number or a string'],
    ['[[1, 2, [0]]]', 'p.json: [0] has the label [0]; a label is a number or a string'],
  ])('%j is refused', (text, message) => {
    expect(error(text, 'p.json')).toBe(message);
  });
});

describe("a script's labels (loadPoints)", () => {
  test('read by the rules of a file', () => {
    expect(labelsOf(['b', 'a', 'b'], 3)).toEqual({
      labels: Uint8Array.of(0, 1, 0),
      names: ['b', 'a'],
    });
    expect(labelsOf([2, 0], 2)).toEqual({
      labels: Uint8Array.of(2, 0),
      names: ['class 0', 'class 1', 'class 2'],
    });
  });

  test.each<[(number | string)[], number, string]>([
    [[0, 1], 3, 'labels has 2 labels for 3 points: one a point'],
    [
      [0, 0.5],
      2,
      `labels[1] has the label 0.5; the labels are class numbers (as the first one is), whole numbers from 0 to ${MAX_CLASSES - 1}`,
    ],
    [
      [0, 'a'],
      2,
      `labels[1] has the label "a"; the labels are class numbers (as the first one is), whole numbers from 0 to ${MAX_CLASSES - 1}`,
    ],
  ])('%j for %i points is refused', (values, count, message) => {
    expect(() => labelsOf(values, count)).toThrow(new Error(message));
  });
});
