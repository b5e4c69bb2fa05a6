/**
 * The scripting API's argument checks (src/app/api.ts): every function refuses null, undefined, NaN,
 * negative, huge and wrongly typed arguments with a message that names the function, the
 * argument and what is wrong, and a refused call never reaches the sandbox. (The page itself:
 * tests/e2e/robustness.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { API_SIGNATURES, argumentsProblem, checkedApi, type SandboxApi } from '../../src/app/api';
import { MAX_POINTS } from '../../src/io/parsePoints';
import { Rng } from '../../src/maths/rng';
import { SEED, seeded } from '../random';

type Fn = keyof typeof API_SIGNATURES;
const FUNCTIONS = Object.keys(API_SIGNATURES) as Fn[];

/** What is wrong with calling `fn` with these arguments: a message, or null. */
const problem = (fn: Fn, ...args: unknown[]): string | null => argumentsProblem(fn, args);

describe('every function', () => {
  const BAD = [null, NaN, -1, 1e300, -Infinity, 'x', true, Symbol('s')];

  test.each(FUNCTIONS.filter((fn) => API_SIGNATURES[fn].args.length > 0))(
    '%s refuses null, NaN, negative, huge and wrongly typed arguments, naming each',
    (fn) => {
      const { args } = API_SIGNATURES[fn];
      // The other arguments valid (absent where optional, as in `valid` below), one bad.
      for (const [i, [name]] of args.entries()) {
        for (const value of BAD) {
          if (fn === 'step' && value === 1e300) continue; // k steps, stopping at the end
          const call = [...VALID[fn]!];
          call[i] = value;
          expect(problem(fn, ...call), `${fn} ${name} = ${String(value)}`).toMatch(
            new RegExp(`^${fn}: (${name}\\b.* (must|has)\\b|unknown ${name} )`),
          );
        }
      }
    },
  );

  test.each(FUNCTIONS.filter((fn) => API_SIGNATURES[fn].args.length === 0))(
    '%s refuses arguments, as it takes none',
    (fn) => {
      expect(problem(fn)).toBeNull();
      expect(problem(fn, undefined)).toBeNull();
      for (const value of [null, 0, 'x', {}])
        expect(problem(fn, value)).toBe(`${fn}: takes no arguments, not 1`);
    },
  );

  test('undefined is refused where an argument is needed, and stands for an absent one', () => {
    const needed = FUNCTIONS.filter((fn) => API_SIGNATURES[fn].args.length > 0).filter(
      (fn) => problem(fn) !== null,
    );
    expect(needed.sort()).toEqual([
      'configure',
      'loadImages',
      'loadModel',
      'loadPoints',
      'scrub',
      'sweep',
      'train',
    ]);
    for (const fn of needed) expect(problem(fn)).toMatch(new RegExp(`^${fn}: \\w+ .*undefined`));
  });
});

/** A valid call of every function with arguments: the README's examples. */
const VALID: Partial<Record<Fn, unknown[]>> = {
  configure: [{ sampler: 'heun', schedule: 'karras', steps: 18 }],
  step: [10],
  scrub: [0.3],
  positions: ['b'],
  sweep: [
    {
      samplers: ['ddim', 'heun'],
      schedules: ['cosine', 'karras'],
      nfe: [1, 10, 100],
      n: 4096,
      dataset: 'moons',
    },
  ],
  loadPoints: [
    [
      [0, 0],
      [1, 1],
      [2, 0],
    ],
    { normalise: false, labels: ['a', 'b', 'a'] },
  ],
  record: [{ format: 'webm', resolution: '720p', fps: 30, width: 640, height: 360 }],
  snapshot: [{ resolution: 'square1080', caption: false }],
  speciation: [{ curve: true, count: 512, levels: [0, 3], signal: new AbortController().signal }],
  loadImages: [[new Blob([])]],
  train: [{ steps: 2000, batch: 1024, lr: 0.001 }],
  loadModel: [new ArrayBuffer(8)],
  memorisationVsM: [{ ms: [16, 1000], steps: 4000, every: 500 }],
  generalisationVsN: [{ ns: [1, 16, 256, 5000], steps: 2000, every: 500, samples: 8 }],
  guidanceSweep: [{ ws: [0, 1, 2, 3, 5, 8], n: 4096 }],
};

test('the README examples are accepted', () => {
  for (const [fn, args] of Object.entries(VALID)) expect(problem(fn as Fn, ...args)).toBeNull();
  expect(problem('positions')).toBeNull();
  expect(problem('record')).toBeNull();
  expect(problem('loadPoints', new Float32Array([0, 0, 1, 1]))).toBeNull();
  expect(problem('loadPoints', [0, 0, 1, 1])).toBeNull();
});

test("loadPoints' labels are numbers or strings", () => {
  expect(problem('loadPoints', [0, 0, 1, 1], { labels: [0, 'a'] })).toBeNull();
  expect(problem('loadPoints', [0, 0, 1, 1], { labels: [0, null] })).toBe(
    'loadPoints: options.labels[1] must be a number or a string, not null',
  );
  expect(problem('loadPoints', [0, 0, 1, 1], { labels: 'ab' })).toMatch(
    /^loadPoints: options\.labels must be an array/,
  );
});

describe('the cases of issue 17', () => {
  test.each<[Fn, unknown[], string]>([
    [
      'loadPoints',
      [
        [
          [1e308, 0],
          [0, 0],
          [1, 1],
        ],
      ],
      'loadPoints: points[0][0] must be within single precision (at most 3.4e38 in size), not 1e+308',
    ],
    [
      'loadPoints',
      [
        [
          [1e39, 1],
          [0, 0],
        ],
      ],
      'loadPoints: points[0][0] must be within single precision (at most 3.4e38 in size), not 1e+39',
    ],
    [
      'loadPoints',
      [null],
      'loadPoints: points must be an array of [x, y] pairs, a flat array x0, y0, x1, ... or a Float32Array, not null',
    ],
    [
      'loadPoints',
      [[[1, 2], null]],
      'loadPoints: points[1] must be an [x, y] pair of numbers, not null',
    ],
    [
      'loadPoints',
      [[{ x: 1, y: 2 }]],
      'loadPoints: points[0] must be an [x, y] pair of numbers, not {"x":1,"y":2}',
    ],
    [
      'loadPoints',
      [[[1, 2]], { normalise: 'no' }],
      'loadPoints: options.normalise must be a boolean, not "no"',
    ],
    ['loadImages', [[null]], 'loadImages: files[0] must be a Blob (an image file), not null'],
    ['configure', [undefined], 'configure: patch must be an object, not undefined'],
    ['configure', [null], 'configure: patch must be an object, not null'],
    ['configure', [42], 'configure: patch must be an object, not 42'],
    ['record', [null], 'record: options must be an object, not null'],
    [
      'record',
      [{ resolution: 'bogus' }],
      "unknown options.resolution 'bogus' (one of: canvas, 720p, 1080p, square1080)",
    ],
    [
      'snapshot',
      [{ resolution: 'bogus' }],
      "unknown options.resolution 'bogus' (one of: canvas, 720p, 1080p, square1080)",
    ],
    [
      'speciation',
      [{ count: -1 }],
      'speciation: options.count must be between 1 and 16777216, not -1',
    ],
    ['speciation', [{ count: NaN }], 'speciation: options.count must be a finite number, not NaN'],
    [
      'snapshot',
      [{ width: 0, height: 0 }],
      'snapshot: options.width must be between 16 and 4096, not 0',
    ],
    ['scrub', ['0.5'], 'scrub: t must be a number, not "0.5"'],
    [
      'sweep',
      [{ samplers: ['ddim'], schedules: ['cosine'], nfe: [10], n: 300 }],
      'sweep: spec.n must be a power of two, not 300',
    ],
  ])('%s(%j): %s', (fn, args, message) => {
    expect(problem(fn, ...args)).toMatch(
      new RegExp(
        `^${fn}: ${message.replace(/^\w+: /, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ),
    );
  });
});

describe('loadPoints', () => {
  test('more than MAX_POINTS points, in any shape, are refused by their count', () => {
    for (const points of [
      new Float32Array(2 * MAX_POINTS + 2),
      new Array<number>(2 * MAX_POINTS + 2).fill(0),
      new Array<number[]>(MAX_POINTS + 1).fill([0, 0]),
    ])
      expect(problem('loadPoints', points)).toBe(
        `loadPoints: points has ${(MAX_POINTS + 1).toLocaleString('en')} points, over the limit of ${MAX_POINTS.toLocaleString('en')}`,
      );
    expect(problem('loadPoints', new Float32Array(2 * MAX_POINTS))).toBeNull();
  });

  test(seeded('a bad coordinate anywhere is found and named by its place'), () => {
    const rng = new Rng(SEED, 32);
    for (let trial = 0; trial < 50; trial++) {
      const count = 1 + rng.int(500);
      const flat = Array.from({ length: 2 * count }, () => rng.normal() * 1e6);
      const at = rng.int(2 * count);
      flat[at] = [NaN, Infinity, 3.5e38, -1e300, '1', null][rng.int(6)] as number;
      const pairs = Array.from({ length: count }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
      expect(problem('loadPoints', flat)).toMatch(
        new RegExp(`^loadPoints: points\\[${at}\\] must`),
      );
      expect(problem('loadPoints', pairs)).toMatch(
        new RegExp(`^loadPoints: points\\[${Math.floor(at / 2)}\\]\\[${at % 2}\\] must`),
      );
    }
  });

  test('an odd number of coordinates, or none, is refused', () => {
    expect(problem('loadPoints', [1, 2, 3])).toBe(
      'loadPoints: points has an odd number of coordinates (3): points are x, y pairs',
    );
    expect(problem('loadPoints', [])).toBe('loadPoints: points has no points');
    expect(problem('loadPoints', [[1, 2, 3]])).toBe(
      'loadPoints: points[0] must be an [x, y] pair of numbers, not [1,2,3]',
    );
  });
});

describe('other arguments', () => {
  test.each<[Fn, unknown[], RegExp]>([
    ['step', [0], /^step: k must be at least 1, not 0$/],
    ['step', [2.5], /^step: k must be an integer, not 2.5$/],
    ['scrub', [1.5], /^scrub: t must be between 0 and 1, not 1.5$/],
    ['positions', ['c'], /^positions: unknown lane 'c' \(one of: a, b\)$/],
    ['sweep', [{ samplers: ['nope'], schedules: ['cosine'], nfe: [1] }], /unknown sampler 'nope'/],
    [
      'sweep',
      [{ samplers: [], schedules: ['cosine'], nfe: [1] }],
      /spec\.samplers must not be empty/,
    ],
    [
      'sweep',
      [{ samplers: ['ddim'], schedules: ['cosine'], nfe: [0] }],
      /spec\.nfe\[0\] must be between 1 and 10000/,
    ],
    [
      'sweep',
      [{ samplers: ['ddim'], schedules: ['cosine'], nfe: Array(41).fill(1) }],
      /spec\.nfe may have at most 40/,
    ],
    ['guidanceSweep', [{ ws: [] }], /^guidanceSweep: options\.ws must not be empty/],
    [
      'guidanceSweep',
      [{ ws: [1, 21] }],
      /^guidanceSweep: options\.ws\[1\] must be between 0 and 20/,
    ],
    ['guidanceSweep', [{ n: 100 }], /^guidanceSweep: options\.n must be between 256 and/],
    ['record', [{ fps: 500 }], /^record: options\.fps must be between 1 and 120, not 500$/],
    ['record', [{ width: 641 }], /^record: options\.width must be even, not 641$/],
    [
      'record',
      [{ format: 'gif' }],
      /^record: unknown options\.format 'gif' \(one of: mp4, webm\)$/,
    ],
    ['record', [{ fsp: 30 }], /^record: options\.fsp is not an option \(options: format, width,/],
    ['speciation', [{ count: 1e12 }], /^speciation: options\.count must be between 1 and 16777216/],
    ['speciation', [{ curve: 'yes' }], /^speciation: options\.curve must be a boolean, not "yes"$/],
    [
      'speciation',
      [{ signal: {} }],
      /^speciation: options\.signal must be an AbortSignal, not \{\}$/,
    ],
    ['loadImages', [[]], /^loadImages: files must not be empty$/],
    [
      'loadImages',
      [['a.png']],
      /^loadImages: files\[0\] must be a Blob \(an image file\), not "a.png"$/,
    ],
    ['step', [1, 2], /^step: takes at most 1, not 2$/],
  ])('%s(%j)', (fn, args, message) => {
    expect(problem(fn, ...args)).toMatch(message);
  });
});

describe('checkedApi', () => {
  /** An API whose functions only record that they ran. */
  function recording(): { api: SandboxApi; calls: string[] } {
    const calls: string[] = [];
    const api = Object.fromEntries(
      FUNCTIONS.map((fn) => [
        fn,
        (...args: unknown[]) => {
          calls.push(fn);
          return API_SIGNATURES[fn].promise ? Promise.resolve(args) : args;
        },
      ]),
    ) as unknown as SandboxApi;
    return { api: { ...api, ready: Promise.resolve() }, calls };
  }

  test('a refused call rejects (or throws, where the function answers at once) and never runs', async () => {
    const { api, calls } = recording();
    const checked = checkedApi(api);
    await expect(checked.scrub('0.5' as unknown as number)).rejects.toThrow(
      'scrub: t must be a number, not "0.5"',
    );
    await expect(checked.configure(null as unknown as object)).rejects.toThrow(
      'configure: patch must be an object, not null',
    );
    expect(() => (checked.play as (x: unknown) => void)(1)).toThrow(
      'play: takes no arguments, not 1',
    );
    expect(calls).toEqual([]);
  });

  test('an accepted call runs with its arguments as given', async () => {
    const { api, calls } = recording();
    const checked = checkedApi(api);
    await expect(checked.scrub(0.5)).resolves.toEqual([0.5]);
    expect(checked.status()).toEqual([]);
    expect(calls).toEqual(['scrub', 'status']);
    expect(checked.ready).toBe(api.ready);
  });
});
