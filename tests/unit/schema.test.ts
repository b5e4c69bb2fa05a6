/**
 * The checks of untrusted values (src/settings/schema.ts): what each accepts, and messages that name the
 * value, say what it must be and show what it was.
 */
import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/maths/rng';
import {
  arrayOf,
  boolean,
  check,
  func,
  instanceOf,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  show,
  string,
} from '../../src/settings/schema';
import { SEED, seeded } from '../random';

describe('show', () => {
  test.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [NaN, 'NaN'],
    [-Infinity, '-Infinity'],
    [1e39, '1e+39'],
    [true, 'true'],
    ['0.5', '"0.5"'],
    [{ x: 1, y: 2 }, '{"x":1,"y":2}'],
    [[1, null], '[1,null]'],
    [() => 0, 'a function'],
    [new Float32Array(2), 'a Float32Array'],
    [new Blob([]), 'a Blob'],
    [10n, '10n'],
  ])('%s as %s', (value, shown) => {
    expect(show(value)).toBe(shown);
  });

  test('big, deep or cyclic values by their kind, long strings cut short', () => {
    expect(show(new Array(1000).fill(0))).toBe('an array of 1000');
    expect(show([[[[[[[[[[[[[[0]]]]]]]]]]]]]])).toBe('an array of 1');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(show(cyclic)).toBe('an object');
    const long = show('z'.repeat(100));
    expect(long.length).toBe(40);
    expect(long).toMatch(/^"z+\.\.\."$/);
  });
});

describe('number', () => {
  const steps = number({ min: 1, max: 10, integer: true });
  test.each([
    ['10', 'steps must be a number, not "10"'],
    [null, 'steps must be a number, not null'],
    [undefined, 'steps must be a number, not undefined'],
    [NaN, 'steps must be a finite number, not NaN'],
    [Infinity, 'steps must be a finite number, not Infinity'],
    [1.5, 'steps must be an integer, not 1.5'],
    [0, 'steps must be between 1 and 10, not 0'],
    [11, 'steps must be between 1 and 10, not 11'],
  ])('refuses %s: %s', (value, message) => {
    expect(steps(value, 'steps')).toBe(message);
  });

  test('one-sided ranges say which side', () => {
    expect(number({ min: 0 })(-1, 'x')).toBe('x must be at least 0, not -1');
    expect(number({ max: 0 })(1, 'x')).toBe('x must be at most 0, not 1');
  });

  test(seeded('accepts exactly the finite numbers in range, integers where asked'), () => {
    const rng = new Rng(SEED, 31);
    for (let i = 0; i < 2000; i++) {
      const [a, b] = [rng.normal() * 10, rng.normal() * 10].sort((p, q) => p - q) as [
        number,
        number,
      ];
      const integer = rng.uniform() < 0.5;
      const pick = rng.int(4);
      const v =
        pick === 0
          ? Math.round(rng.normal() * 10)
          : pick === 1
            ? rng.normal() * 10
            : pick === 2
              ? [a, b][rng.int(2)]!
              : [NaN, Infinity, -Infinity][rng.int(3)]!;
      const ok = Number.isFinite(v) && v >= a && v <= b && (!integer || Number.isInteger(v));
      expect(number({ min: a, max: b, integer })(v, 'v') === null, `${v} in [${a}, ${b}]`).toBe(ok);
    }
  });
});

describe('strings, booleans, choices and functions', () => {
  test('each refuses the wrong type, naming the value', () => {
    expect(string(1, 'hide')).toBe('hide must be a string, not 1');
    expect(boolean('true', 'loop')).toBe('loop must be a boolean, not "true"');
    expect(func({}, 'onProgress')).toBe('onProgress must be a function, not {}');
    expect([string('', 'a'), boolean(false, 'b'), func(() => 0, 'c')]).toEqual([null, null, null]);
  });

  test('a choice names the value, and its kind where that differs', () => {
    const sampler = oneOf(['ddim', 'heun']);
    expect(sampler('heun', 'sampler')).toBeNull();
    expect(sampler('nope', 'sampler')).toBe("unknown sampler 'nope' (one of: ddim, heun)");
    expect(sampler(3, 'sampler')).toBe('sampler must be a string, not 3');
    expect(oneOf(['ddim', 'heun'], 'sampler')('nope', 'spec.samplers[2]')).toBe(
      "spec.samplers[2]: unknown sampler 'nope' (one of: ddim, heun)",
    );
  });

  test('instanceOf, optional and refine', () => {
    const blob = instanceOf(Blob, 'a Blob');
    expect(blob(new Blob([]), 'file')).toBeNull();
    expect(blob('a.png', 'file')).toBe('file must be a Blob, not "a.png"');
    expect(optional(blob)(undefined, 'file')).toBeNull();
    expect(optional(blob)(null, 'file')).toBe('file must be a Blob, not null');
    const even = refine(number(), (v: number) => v % 2 === 0, 'even');
    expect(even(3, 'width')).toBe('width must be even, not 3');
    expect(even('4', 'width')).toBe('width must be a number, not "4"');
    expect(even(4, 'width')).toBeNull();
  });
});

describe('arrays and objects', () => {
  const pairs = arrayOf(arrayOf(number(), { min: 2, max: 2 }), { min: 1, max: 3 });

  test('arrays: their length, then the first bad item by its index', () => {
    expect(pairs([[1, 2]], 'points')).toBeNull();
    expect(pairs(null, 'points')).toBe('points must be an array, not null');
    expect(pairs([], 'points')).toBe('points must not be empty');
    expect(
      pairs(
        [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ],
        'points',
      ),
    ).toBe('points may have at most 3 items, not 4');
    expect(pairs([[1, 2], [3]], 'points')).toBe('points[1] needs at least 2 items, not 1');
    expect(
      pairs(
        [
          [1, 2],
          [3, NaN],
        ],
        'points',
      ),
    ).toBe('points[1][1] must be a finite number, not NaN');
  });

  const options = object({ fps: optional(number({ min: 1 })), wholeRun: boolean });

  test('objects: plain ones only, known keys only, each field named by its path', () => {
    expect(options({ wholeRun: true }, 'options')).toBeNull();
    for (const value of [null, undefined, 42, 'x', [true]])
      expect(options(value, 'options')).toBe(`options must be an object, not ${show(value)}`);
    expect(options({ wholeRun: true, fsp: 1 }, 'options')).toBe(
      'options.fsp is not an option (options: fps, wholeRun)',
    );
    expect(options({ wholeRun: true, fps: 0 }, 'options')).toBe(
      'options.fps must be at least 1, not 0',
    );
    expect(options({}, 'options')).toBe('options.wholeRun must be a boolean, not undefined');
  });

  test('objects: inherited names are not fields, and others may be let through', () => {
    const inherited = Object.create({ wholeRun: true }) as object;
    expect(options(inherited, 'options')).toBe('options.wholeRun must be a boolean, not undefined');
    const open = object({ n: optional(number()) }, { others: true });
    expect(open({ n: 1, dataset: 'moons' }, 'spec')).toBeNull();
    expect(open({ n: 'x' }, 'spec')).toBe('spec.n must be a number, not "x"');
    expect(record({}, 'patch')).toBeNull();
    expect(record([], 'patch')).toBe('patch must be an object, not []');
  });
});

test('check throws the problem, after its context', () => {
  expect(() => check(number(), NaN, 't', 'scrub')).toThrow(
    new Error('scrub: t must be a finite number, not NaN'),
  );
  expect(() => check(number(), 'x', 't')).toThrow(new Error('t must be a number, not "x"'));
  expect(() => check(number(), 0.5, 't', 'scrub')).not.toThrow();
});
