/**
 * The settings object (src/settings/settings.ts): validation by applyPatch (valid patches apply, invalid
 * ones are refused with a message naming the key and leave the settings as they were) and the URL
 * hash codec (only non-default keys written; decode . encode is the identity on valid settings).
 */
import { describe, expect, test } from 'vitest';
import { datasetClasses } from '../../src/maths/datasets';
import { isImageDataset } from '../../src/maths/imageDatasets';
import { Rng } from '../../src/maths/rng';
import { formatCurve } from '../../src/maths/logSnrCurve';
import { GRIDS, SCHEDULES } from '../../src/maths/schedules';
import {
  DATASET_IDS,
  DEFAULTS,
  IMAGE_BATCH_DEFAULT,
  IMAGE_BATCH_MAX,
  DENOISERS,
  LANDSCAPES,
  ARROW_FIELDS,
  LANGEVIN,
  VIEWS,
  REC_FORMATS,
  REC_QUALITIES,
  REC_RESOLUTIONS,
  LIMITS,
  MODES,
  SAMPLERS,
  SETTING_KEYS,
  type Settings,
} from '../../src/settings/settings';
import { COMPARE_KEYS } from '../../src/settings/compare';
import { TARGETS, WEIGHTINGS } from '../../src/maths/learn/network';
import { applyPatch, describeSetting, SETTING_SCHEMAS } from '../../src/settings/validate';
import { decodeHash, encodeHash } from '../../src/settings/hash';
import { settingsFromHash } from '../../src/settings/link';
import { SEED, seeded } from '../random';

function expectOk(result: ReturnType<typeof applyPatch>): Settings {
  if (!result.ok) throw new Error(`refused: ${result.error}`);
  return result.settings;
}

function expectError(result: ReturnType<typeof applyPatch>): string {
  if (result.ok) throw new Error('accepted an invalid patch');
  return result.error;
}

describe('applyPatch', () => {
  test('applies a valid patch and lists exactly the keys that changed', () => {
    const before = structuredClone(DEFAULTS);
    const result = applyPatch(DEFAULTS, { steps: 50, sampler: 'heun', eta: DEFAULTS.eta });
    const s = expectOk(result);
    expect(s).toEqual({ ...DEFAULTS, steps: 50, sampler: 'heun' });
    expect(result.ok && [...result.changed].sort()).toEqual(['sampler', 'steps']);
    // A new object: the current settings are untouched.
    expect(DEFAULTS).toEqual(before);
    expect(s).not.toBe(DEFAULTS);
  });

  test('an empty patch changes nothing', () => {
    const result = applyPatch(DEFAULTS, {});
    expect(expectOk(result)).toEqual(DEFAULTS);
    expect(result.ok && result.changed).toEqual([]);
  });

  test('values at the limits are accepted', () => {
    for (const [key, range] of Object.entries(LIMITS)) {
      for (const value of [range.min, range.max]) {
        // class 24 is gaussians25's last.
        const patch = key === 'class' ? { dataset: 'gaussians25', class: value } : { [key]: value };
        expect(expectOk(applyPatch(DEFAULTS, patch))[key as keyof Settings]).toBe(value);
      }
    }
  });

  test('every choice of every enumerated key is accepted', () => {
    const choices: [keyof Settings, readonly string[]][] = [
      ['mode', MODES],
      ['dataset', DATASET_IDS],
      ['denoiser', DENOISERS],
      ['sampler', SAMPLERS],
      ['schedule', SCHEDULES],
    ];
    for (const [key, values] of choices) {
      for (const value of values)
        expect(expectOk(applyPatch(DEFAULTS, { [key]: value }))[key]).toBe(value);
    }
  });

  test('sigmaMin and sigmaMax are checked together, so both may move in one patch', () => {
    expect(expectOk(applyPatch(DEFAULTS, { sigmaMin: 20, sigmaMax: 100 })).sigmaMin).toBe(20);
  });

  const invalid: [string, Record<string, unknown>, string, { maxParticles?: number }?][] = [
    ['steps 0', { steps: 0 }, 'steps'],
    ['steps 1.5', { steps: 1.5 }, 'steps'],
    ['steps over the limit', { steps: LIMITS.steps.max + 1 }, 'steps'],
    ['steps as a string', { steps: '10' }, 'steps'],
    ['steps NaN', { steps: NaN }, 'steps'],
    ['eta Infinity', { eta: Infinity }, 'eta'],
    ['eta above 1', { eta: 1.01 }, 'eta'],
    ['seed negative', { seed: -1 }, 'seed'],
    ['seed above 2^32 - 1', { seed: 2 ** 32 }, 'seed'],
    ['sigmaMin = sigmaMax', { sigmaMin: 10, sigmaMax: 10 }, 'sigmaMin'],
    ['sigmaMin > sigmaMax', { sigmaMin: 11 }, 'sigmaMin'],
    ['betaMax <= betaMin', { betaMax: 0.05 }, 'betaMax'],
    ['sigmoidTau 0', { sigmoidTau: 0 }, 'sigmoidTau'],
    ['rho NaN', { rho: NaN }, 'rho'],
    ['unknown dataset', { dataset: 'cifar10' }, 'dataset'],
    ['unknown sampler', { sampler: 'dpm++' }, 'sampler'],
    ['unknown schedule', { schedule: 'quadratic' }, 'schedule'],
    ['unknown mode', { mode: 'sideways' }, 'mode'],
    ['unknown arrow field', { arrowField: 'curl' }, 'arrowField'],
    ['unknown key', { stpes: 10 }, 'stpes'],
    ['loop as a string', { loop: 'true' }, 'loop'],
    ['n 0', { n: 0 }, 'n'],
    ['n over the GPU cap', { n: 1001 }, 'n', { maxParticles: 1000 }],
    ['n over the hard limit', { n: LIMITS.n.max + 1 }, 'n'],
    ['m over the limit', { m: LIMITS.m.max + 1 }, 'm'],
    ['a valid key before an invalid one', { steps: 20, eta: -1 }, 'eta'],
  ];
  test.each(invalid)(
    'refuses %s, naming the key, leaving settings unchanged',
    (_, patch, key, options) => {
      const current: Settings = { ...DEFAULTS, steps: 77, dataset: 'moons' };
      const snapshot = structuredClone(current);
      const error = expectError(applyPatch(current, patch, options));
      expect(error).toMatch(new RegExp(`\\b${key}\\b`));
      expect(current).toEqual(snapshot);
    },
  );

  test.each([null, undefined, 42, 'steps=3', [1]])(
    'refuses a patch that is not an object (%j) with a message, not a TypeError',
    (patch) => {
      expect(expectError(applyPatch(DEFAULTS, patch as unknown as object))).toMatch(
        /^patch must be an object, not /,
      );
    },
  );

  test('sweepN must be a power of two within its range', () => {
    expect(expectError(applyPatch(DEFAULTS, { sweepN: 300 }))).toBe(
      'sweepN must be a power of two, not 300',
    );
    expect(expectOk(applyPatch(DEFAULTS, { sweepN: 512 })).sweepN).toBe(512);
  });

  // Object.prototype's names are not settings: with `key in DEFAULTS` they were taken for keys,
  // and { toString: fn } made applyPatch throw a TypeError instead of returning an error.
  test.each(['toString', 'constructor', 'hasOwnProperty', 'valueOf'])(
    'refuses the inherited name %s as an unknown setting',
    (key) => {
      for (const value of [1, 'x', () => 0]) {
        expect(expectError(applyPatch(DEFAULTS, { [key]: value }))).toBe(
          `unknown setting '${key}'`,
        );
      }
    },
  );

  test('the particle cap is reported in the message, and n at the cap is fine', () => {
    expect(expectError(applyPatch(DEFAULTS, { n: 2000 }, { maxParticles: 1000 }))).toContain(
      '1000',
    );
    expect(expectOk(applyPatch(DEFAULTS, { n: 1000 }, { maxParticles: 1000 })).n).toBe(1000);
  });
});

/** The ordered pairs of keys: lo < hi (betaMin >= 0 and sigmaMin > 0 besides). */
const PAIRS = [
  ['betaMin', 'betaMax'],
  ['sigmoidStart', 'sigmoidEnd'],
  ['sigmaMin', 'sigmaMax'],
] as const;

/**
 * Random valid settings (compareWith at its default): every key drawn from its own range, the
 * ordered pairs together, each side now and then above (or below) the other's default.
 */
function randomKeys(rng: Rng): Settings {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const between = (lo: number, hi: number): number => lo + (hi - lo) * rng.uniform();
  const int = (lo: number, hi: number): number => lo + rng.int(hi - lo + 1);
  // Now and then a default, so the hash leaves keys out.
  const maybe = <K extends keyof Settings>(key: K, value: Settings[K]): Settings[K] =>
    rng.uniform() < 0.3 ? DEFAULTS[key] : value;
  // A pair drawn together (lo < hi); now and then one side, or both, at its default where the
  // pair stays ordered.
  const pair = (lo: number, hi: number, [dLo, dHi]: [number, number]): [number, number] => {
    const u = rng.uniform();
    if (u < 0.2) return [dLo, dHi];
    if (u < 0.35 && dLo < hi) return [dLo, hi];
    if (u < 0.5 && lo < dHi) return [lo, dHi];
    return [lo, hi];
  };
  const betaLo = between(0, 40);
  const [betaMin, betaMax] = pair(betaLo, betaLo + between(0.01, 30), [
    DEFAULTS.betaMin,
    DEFAULTS.betaMax,
  ]);
  const sigmoidLo = between(-10, 10);
  const [sigmoidStart, sigmoidEnd] = pair(sigmoidLo, sigmoidLo + between(0.01, 10), [
    DEFAULTS.sigmoidStart,
    DEFAULTS.sigmoidEnd,
  ]);
  const sigmaLo = 10 ** between(-6, 2);
  const [sigmaMin, sigmaMax] = pair(sigmaLo, sigmaLo * 10 ** between(0.001, 4), [
    DEFAULTS.sigmaMin,
    DEFAULTS.sigmaMax,
  ]);
  const dataset = maybe('dataset', pick(DATASET_IDS));
  // n is the batch for image datasets: at most IMAGE_BATCH_MAX.
  const n = isImageDataset(dataset)
    ? int(1, IMAGE_BATCH_MAX)
    : maybe('n', int(LIMITS.n.min, LIMITS.n.max));
  // The learned denoiser is refused for MALA (learnedProblem): not drawn here.
  const denoiser = maybe('denoiser', pick(DENOISERS.filter((d) => d !== 'learned')));
  // A class where the dataset has labels and the denoiser takes one (conditionProblem).
  const classes = denoiser === 'gaussian' ? 0 : datasetClasses(dataset);
  const lo = between(0, 1);
  return {
    mode: maybe('mode', pick(MODES)),
    dataset,
    m: maybe('m', int(LIMITS.m.min, LIMITS.m.max)),
    n,
    smoothing: maybe('smoothing', between(LIMITS.smoothing.min, LIMITS.smoothing.max)),
    showX0hat: maybe('showX0hat', rng.uniform() < 0.5),
    showNearest: maybe('showNearest', rng.uniform() < 0.5),
    follow: maybe('follow', int(-1, Math.min(n, 1024) - 1)),
    seed: maybe('seed', int(LIMITS.seed.min, LIMITS.seed.max)),
    denoiser,
    class: classes ? maybe('class', int(-1, classes - 1)) : -1,
    guidance: maybe('guidance', between(LIMITS.guidance.min, LIMITS.guidance.max)),
    guidanceInterval: maybe('guidanceInterval', `${lo},${between(lo, 1)}`),
    sampler: maybe('sampler', pick(SAMPLERS)),
    schedule: maybe('schedule', pick(SCHEDULES)),
    steps: maybe('steps', int(LIMITS.steps.min, LIMITS.steps.max)),
    eta: maybe('eta', between(LIMITS.eta.min, LIMITS.eta.max)),
    betaMin,
    betaMax,
    cosineS: maybe('cosineS', between(0, 0.1)),
    sigmoidStart,
    sigmoidEnd,
    sigmoidTau: maybe('sigmoidTau', between(0.05, 3)),
    sigmaMin,
    sigmaMax,
    rho: maybe('rho', between(0.5, 10)),
    grid: maybe('grid', pick(GRIDS)),
    ztsnr: maybe('ztsnr', rng.uniform() < 0.5),
    customCurve: maybe('customCurve', randomCurve(rng)),
    langevin: maybe('langevin', pick(LANGEVIN)),
    temperature: maybe('temperature', between(LIMITS.temperature.min, LIMITS.temperature.max)),
    stepSize: maybe('stepSize', between(LIMITS.stepSize.min, LIMITS.stepSize.max)),
    gamma: maybe('gamma', between(LIMITS.gamma.min, LIMITS.gamma.max)),
    noiseLevel: maybe('noiseLevel', between(LIMITS.noiseLevel.min, LIMITS.noiseLevel.max)),
    correctorSteps: maybe(
      'correctorSteps',
      int(LIMITS.correctorSteps.min, LIMITS.correctorSteps.max),
    ),
    snr: maybe('snr', between(LIMITS.snr.min, LIMITS.snr.max)),
    errorScale: maybe('errorScale', between(LIMITS.errorScale.min, LIMITS.errorScale.max)),
    errorBias: maybe('errorBias', between(LIMITS.errorBias.min, LIMITS.errorBias.max)),
    errorNoise: maybe('errorNoise', between(LIMITS.errorNoise.min, LIMITS.errorNoise.max)),
    compare: maybe('compare', rng.uniform() < 0.5),
    compareWith: DEFAULTS.compareWith,
    sweepSamplers: maybe('sweepSamplers', pick(['ddim', 'heun,euler', 'dpmpp2m,em,ddpm'])),
    sweepSchedules: maybe('sweepSchedules', pick(['cosine', 'karras,linear'])),
    sweepNfe: maybe('sweepNfe', pick(['1,10,100', '5'])),
    sweepN: maybe('sweepN', pick([256, 1024, 4096])),
    recFormat: maybe('recFormat', pick(REC_FORMATS)),
    recResolution: maybe('recResolution', pick(REC_RESOLUTIONS)),
    recFps: maybe('recFps', int(LIMITS.recFps.min, LIMITS.recFps.max)),
    recQuality: maybe('recQuality', pick(REC_QUALITIES)),
    recStepsPerFrame: maybe('recStepsPerFrame', int(1, 50)),
    recWholeRun: maybe('recWholeRun', rng.uniform() < 0.5),
    recHoldFirst: maybe('recHoldFirst', int(0, 600)),
    recHoldLast: maybe('recHoldLast', int(0, 600)),
    recCaption: maybe('recCaption', rng.uniform() < 0.5),
    recChart: maybe('recChart', rng.uniform() < 0.5),
    hide: maybe('hide', pick(['', 'gui', 'gui,hud,charts'])),
    speed: maybe('speed', between(LIMITS.speed.min, LIMITS.speed.max)),
    loop: maybe('loop', rng.uniform() < 0.5),
    pointSize: maybe('pointSize', between(LIMITS.pointSize.min, LIMITS.pointSize.max)),
    brightness: maybe('brightness', between(LIMITS.brightness.min, LIMITS.brightness.max)),
    showData: maybe('showData', rng.uniform() < 0.5),
    view: maybe('view', pick(VIEWS)),
    landscape: maybe('landscape', pick(LANDSCAPES)),
    arrows: maybe('arrows', rng.uniform() < 0.5),
    arrowField: maybe('arrowField', pick(ARROW_FIELDS)),
    modelWidth: maybe('modelWidth', int(LIMITS.modelWidth.min, LIMITS.modelWidth.max)),
    modelDepth: maybe('modelDepth', int(LIMITS.modelDepth.min, LIMITS.modelDepth.max)),
    modelTarget: maybe('modelTarget', pick(TARGETS)),
    lossWeighting: maybe('lossWeighting', pick(WEIGHTINGS)),
    training: maybe('training', rng.uniform() < 0.5),
    trainSpeed: maybe('trainSpeed', int(LIMITS.trainSpeed.min, LIMITS.trainSpeed.max)),
    trainBatch: maybe('trainBatch', int(LIMITS.trainBatch.min, LIMITS.trainBatch.max)),
    trainLr: maybe('trainLr', between(LIMITS.trainLr.min, LIMITS.trainLr.max)),
    emaDecay: maybe('emaDecay', between(LIMITS.emaDecay.min, LIMITS.emaDecay.max)),
    labelDropout: maybe('labelDropout', between(LIMITS.labelDropout.min, LIMITS.labelDropout.max)),
    unetChannels: maybe('unetChannels', int(LIMITS.unetChannels.min, LIMITS.unetChannels.max)),
    // Every image dataset's side halves twice (28 and 32): 4 levels would not fit MNIST's.
    unetLevels: maybe('unetLevels', int(LIMITS.unetLevels.min, 3)),
    unetBatch: maybe('unetBatch', int(LIMITS.unetBatch.min, LIMITS.unetBatch.max)),
    trails: maybe('trails', int(LIMITS.trails.min, LIMITS.trails.max)),
    trailParticles: maybe(
      'trailParticles',
      int(LIMITS.trailParticles.min, LIMITS.trailParticles.max),
    ),
    observables: maybe('observables', rng.uniform() < 0.5),
    marginals: maybe('marginals', rng.uniform() < 0.5),
  };
}

/**
 * A valid custom curve: t = 0, up to 3 points inside (each in its own slot of t, so none merge
 * when rounded), t = 1; lambda falling from [1, 20] to [-20, -1].
 */
function randomCurve(rng: Rng): string {
  const inside = rng.int(4);
  const first = 1 + 19 * rng.uniform();
  const last = -1 - 19 * rng.uniform();
  const lambdas = Array.from({ length: inside }, () => last + (first - last) * rng.uniform());
  lambdas.sort((a, b) => b - a);
  const points = [{ t: 0, lambda: first }];
  for (const [i, lambda] of lambdas.entries())
    points.push({ t: (i + 0.1 + 0.8 * rng.uniform()) / inside, lambda });
  points.push({ t: 1, lambda: last });
  return formatCurve(points);
}

/**
 * A compareWith valid over `a`: some of the keys lane B may change, with values from other
 * random settings `b`; a pair goes whole, or one side alone where it stays ordered against a's
 * other side (so that it is valid over a, not always over the defaults).
 */
function randomCompareWith(rng: Rng, a: Settings, b: Settings): string {
  const paired = new Set<string>(PAIRS.flat());
  const keys = COMPARE_KEYS.filter((key) => !paired.has(key) && rng.uniform() < 0.15);
  for (const [lo, hi] of PAIRS) {
    const u = rng.uniform();
    if (u < 0.15) keys.push(lo, hi);
    else if (u < 0.25 && b[lo] < a[hi]) keys.push(lo);
    else if (u < 0.35 && b[hi] > a[lo]) keys.push(hi);
  }
  // a's class needs a denoiser that takes one (conditionProblem): lane B keeps a's then.
  const denoiser = keys.indexOf('denoiser');
  if (denoiser >= 0 && a.class !== -1 && b.denoiser === 'gaussian') keys.splice(denoiser, 1);
  return new URLSearchParams(keys.map((key) => [key, String(b[key])])).toString();
}

/** Random valid settings: every key, compareWith a valid patch over the rest (or empty). */
function randomSettings(rng: Rng): Settings {
  const a = randomKeys(rng);
  const compareWith = randomCompareWith(rng, a, randomKeys(rng));
  return { ...a, compareWith: rng.uniform() < 0.3 ? DEFAULTS.compareWith : compareWith };
}

describe('URL hash', () => {
  test('the defaults encode to an empty hash', () => {
    expect(encodeHash(DEFAULTS)).toBe('');
  });

  test('only non-default keys are written', () => {
    const s = { ...DEFAULTS, steps: 20, loop: false, dataset: 'rings' as const };
    const params = new URLSearchParams(encodeHash(s));
    expect([...params.keys()].sort()).toEqual(['dataset', 'loop', 'steps']);
    expect(params.get('steps')).toBe('20');
    expect(params.get('loop')).toBe('false');
    expect(params.get('dataset')).toBe('rings');
  });

  // The page opens a link with settingsFromHash: a state is saved whole and must come back whole,
  // whatever order its keys are checked in. 1000 draws take about a second on a loaded machine.
  test(
    seeded('a link opens the settings it was made from, for 1000 random valid settings'),
    { timeout: 60_000 },
    () => {
      const rng = new Rng(SEED, 2);
      const draws = 1000;
      const nonDefault = new Set<keyof Settings>();
      const aboveDefault = new Set<string>();
      for (let trial = 0; trial < draws; trial++) {
        const s = randomSettings(rng);
        const replay = `draw ${trial} (replay: SEED=${SEED})`;
        // The draw is valid as it stands: applyPatch neither refuses nor changes it.
        expect(applyPatch(DEFAULTS, s), replay).toEqual(
          expect.objectContaining({ ok: true, settings: s }),
        );
        const hash = encodeHash(s);
        expect([...new URLSearchParams(hash).keys()].sort(), replay).toEqual(
          SETTING_KEYS.filter((key) => s[key] !== DEFAULTS[key]).sort(),
        );
        for (const form of [hash, `#${hash}`]) {
          expect(settingsFromHash(form), `${replay}, link #${hash}`).toEqual({
            settings: s,
            unknown: [],
            problems: [],
          });
        }
        for (const key of SETTING_KEYS) if (s[key] !== DEFAULTS[key]) nonDefault.add(key);
        for (const [lo, hi] of PAIRS) if (s[lo] > DEFAULTS[hi]) aboveDefault.add(lo);
      }
      // What the draws covered: every key away from its default, and each pair's lower key
      // above the upper key's default (where checking key by key over the defaults failed).
      expect([...nonDefault].sort()).toEqual([...SETTING_KEYS].sort());
      expect([...aboveDefault].sort()).toEqual(PAIRS.map(([lo]) => lo).sort());
    },
  );

  test.each<[string, Partial<Settings>]>([
    ['schedule=karras&sigmaMin=12&sigmaMax=30', { schedule: 'karras', sigmaMin: 12, sigmaMax: 30 }],
    ['betaMin=20.3&betaMax=25', { betaMin: 20.3, betaMax: 25 }],
    ['sigmoidStart=3.255&sigmoidEnd=4', { sigmoidStart: 3.255, sigmoidEnd: 4 }],
  ])("a pair raised above the other key's default opens as written: %s", (hash, patch) => {
    const s = { ...DEFAULTS, ...patch };
    expect(expectOk(applyPatch(DEFAULTS, patch))).toEqual(s);
    expect(encodeHash(s)).toBe(hash);
    expect(settingsFromHash(hash)).toEqual({ settings: s, unknown: [], problems: [] });
  });

  test('numbers survive exactly, including exponents and negative values', () => {
    const s = expectOk(
      applyPatch(DEFAULTS, { sigmaMin: 1.234e-7, sigmoidStart: -3.5, speed: 0.1 + 0.2 }),
    );
    expect(settingsFromHash(encodeHash(s)).settings).toEqual(s);
  });

  test('typed as the defaults: numbers, booleans and strings', () => {
    const { patch } = decodeHash('#steps=12&loop=false&sampler=euler&eta=0.5');
    expect(patch).toEqual({ steps: 12, loop: false, sampler: 'euler', eta: 0.5 });
  });

  test('unknown keys are reported, not applied', () => {
    const { patch, unknown } = decodeHash('steps=12&colour=red&foo=1');
    expect(patch).toEqual({ steps: 12 });
    expect(unknown).toEqual(['colour', 'foo']);
    expect(settingsFromHash('steps=12&colour=red&foo=1')).toEqual({
      settings: { ...DEFAULTS, steps: 12 },
      unknown: ['colour', 'foo'],
      problems: [],
    });
  });

  test('inherited names in the hash are unknown keys too', () => {
    const { patch, unknown } = decodeHash('toString=1&constructor=2&__proto__=3&steps=4');
    expect(patch).toEqual({ steps: 4 });
    expect(unknown).toEqual(['toString', 'constructor', '__proto__']);
  });

  test.each([
    ['steps=abc', 'steps'],
    ['steps=', 'steps'],
    ['steps=%20', 'steps'],
    ['steps=2.5', 'steps'],
    ['eta=NaN', 'eta'],
    ['eta=Infinity', 'eta'],
    ['loop=maybe', 'loop'],
    ['loop=1', 'loop'],
    ['sampler=foo', 'sampler'],
    ['dataset=', 'dataset'],
    ['sigmaMin=50', 'sigmaMin'],
    ['sigmoidTau=0', 'sigmoidTau'],
    ['customCurve=0%3A1%2C1%3A2', 'customCurve'],
    ['compareWith=bogus', 'compareWith'],
    ['compareWith=sampler%3Dbogus', 'compareWith'],
    ['compareWith=n%3D5', 'compareWith'],
    ['compareWith=sigmaMin%3D50', 'compareWith'],
  ])('an invalid value in a link (%s) is left at its default, naming %s', (hash, key) => {
    const { settings, problems } = settingsFromHash(hash);
    expect(settings).toEqual(DEFAULTS);
    expect(problems.map((p) => p.key)).toEqual([key]);
    expect(problems[0]!.error).toMatch(new RegExp(`\\b${key}\\b`));
  });

  test('a key invalid on its own is left out and the rest of the link kept', () => {
    const { settings, problems } = settingsFromHash(
      'steps=-4&schedule=karras&sigmaMin=12&sigmaMax=30&sampler=euler&compareWith=sampler%3Dnope',
    );
    expect(settings).toEqual({
      ...DEFAULTS,
      schedule: 'karras',
      sigmaMin: 12,
      sigmaMax: 30,
      sampler: 'euler',
    });
    expect(problems.map((p) => p.key)).toEqual(['steps', 'compareWith']);
  });

  test('compareWith is checked over the link it comes with, not over the defaults', () => {
    // sigmaMin=12 for lane B is valid only beside the link's own sigmaMax.
    const hash = `sigmaMax=30&compareWith=${encodeURIComponent('sampler=heun&sigmaMin=12')}`;
    expect(settingsFromHash(hash)).toEqual({
      settings: { ...DEFAULTS, sigmaMax: 30, compareWith: 'sampler=heun&sigmaMin=12' },
      unknown: [],
      problems: [],
    });
  });

  test.each<[string, Partial<Settings>, string[]]>([
    // Not valid together: the keys that fit are kept, each one that does not is named.
    ['sigmaMax=5&sigmaMin=8&steps=20', { sigmaMax: 5, steps: 20 }, ['sigmaMin']],
    ['betaMin=30&betaMax=0.05&steps=20', { steps: 20 }, ['betaMin', 'betaMax']],
    ['sigmoidEnd=-4&sampler=heun', { sampler: 'heun' }, ['sigmoidEnd']],
    // compareWith fits only once sigmaMax, later in the link, is in.
    [
      'betaMin=30&betaMax=0.05&compareWith=sigmaMin%3D12&sigmaMax=30',
      { compareWith: 'sigmaMin=12', sigmaMax: 30 },
      ['betaMin', 'betaMax'],
    ],
  ])('a link that is not valid as a whole (%s) keeps what fits', (hash, kept, dropped) => {
    const { settings, problems } = settingsFromHash(hash);
    expect(settings).toEqual({ ...DEFAULTS, ...kept });
    expect(problems.map((p) => p.key)).toEqual(dropped);
  });
});

describe('compareWith', () => {
  test.each([
    ['sampler=bogus', /compareWith: unknown sampler 'bogus'/],
    ['bogus', /compareWith must look like/],
    ['n=5', /compareWith cannot change n/],
    ['foo=1', /compareWith: unknown setting 'foo'/],
    ['sigmaMin=50', /compareWith: karras schedule: sigmaMin/],
  ])('%s is refused when set, with compare off or on', (compareWith, message) => {
    for (const compare of [false, true]) {
      expect(expectError(applyPatch(DEFAULTS, { compare, compareWith }))).toMatch(message);
    }
  });

  test('a change that would leave compareWith invalid for lane B is refused, compare off', () => {
    const current = expectOk(applyPatch(DEFAULTS, { sigmaMax: 30, compareWith: 'sigmaMin=12' }));
    expect(expectError(applyPatch(current, { sigmaMax: 11 }))).toMatch(/^compareWith: /);
    expect(expectOk(applyPatch(current, { sigmaMax: 13 })).sigmaMax).toBe(13);
  });

  test('an empty compareWith is valid: lane B is lane A', () => {
    expect(expectOk(applyPatch(DEFAULTS, { compare: true, compareWith: '' })).compareWith).toBe('');
  });
});

describe('image datasets: n is the batch', () => {
  test('a switch to images starts a small batch; a batch too big is refused; points keep n', () => {
    const a = applyPatch(DEFAULTS, { dataset: 'mnist' });
    expect(a.ok && a.settings.n).toBe(IMAGE_BATCH_DEFAULT);
    expect(a.ok && a.changed).toContain('n');
    const b = applyPatch(DEFAULTS, { dataset: 'mnist', n: IMAGE_BATCH_MAX + 1 });
    expect(b.ok).toBe(false);
    expect(!b.ok && b.error).toMatch(/batch of images .* at most 1024/);
    const c = applyPatch(DEFAULTS, { dataset: 'colour', n: 256 });
    expect(c.ok && c.settings.n).toBe(256);
    const d = applyPatch(DEFAULTS, { dataset: 'moons' });
    expect(d.ok && d.settings.n).toBe(DEFAULTS.n);
  });

  test('a patch that sets n is judged on its own n, whether or not n changes', () => {
    // Before, n: 2000 over n 2000 (unchanged) was clamped to 64 in silence; over 1999, refused.
    for (const current of [2000, 1999]) {
      const r = applyPatch({ ...DEFAULTS, n: current }, { dataset: 'mnist', n: 2000 });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/batch of images for mnist: at most 1024, not 2000/);
    }
    const kept = applyPatch({ ...DEFAULTS, n: 2000 }, { dataset: 'mnist' });
    expect(kept.ok && kept.settings.n).toBe(IMAGE_BATCH_DEFAULT);
  });

  test('following an image past the batch lets go of it', () => {
    const a = applyPatch({ ...DEFAULTS, dataset: 'mnist', n: 64, follow: 50 }, { n: 16 });
    expect(a.ok && a.settings.follow).toBe(-1);
  });
});

describe('image datasets: the learned denoiser is the U-Net', () => {
  test('levels the images cannot halve are refused, named, only where the U-Net is used', () => {
    const mnist = { ...DEFAULTS, dataset: 'mnist' as const, n: 16 };
    // 28 halves twice (7), not three times: 4 levels are refused on MNIST, fine on 32 x 32.
    const r = applyPatch(mnist, { denoiser: 'learned', unetLevels: 4 });
    expect(!r.ok && r.error).toMatch(
      /U-Net \(unetChannels 32, unetLevels 4\) on mnist: .*28 x 28 is not a multiple of 8/,
    );
    expect(applyPatch(mnist, { training: true, unetLevels: 4 }).ok).toBe(false);
    expect(
      applyPatch({ ...mnist, dataset: 'colour' }, { denoiser: 'learned', unetLevels: 4 }).ok,
    ).toBe(true);
    // Not sampling with it nor training it: the setting waits.
    expect(applyPatch(mnist, { unetLevels: 4 }).ok).toBe(true);
    const ok = applyPatch(mnist, { denoiser: 'learned', unetChannels: 12, unetLevels: 3 });
    expect(ok.ok && ok.settings.denoiser).toBe('learned');
  });
});

describe('describeSetting (the panel tooltips)', () => {
  // Each description is read back and held to the setting's own schema: what it says is
  // accepted is, and just past what it says is refused.
  test.each(SETTING_KEYS)('%s says what its schema accepts', (key) => {
    const text = describeSetting(key);
    expect(text.startsWith(`${key}: `)).toBe(true);
    const schema = SETTING_SCHEMAS[key];
    const choices = /: one of (.*)$/.exec(text);
    const range = /: (a whole number|a number) from (\S+) to (\S+?)(,|$)/.exec(text);
    if (choices) {
      for (const c of choices[1]!.split(', ')) expect(schema(c, key)).toBeNull();
      expect(schema('not-a-choice', key)).not.toBeNull();
    } else if (range) {
      const [min, max] = [Number(range[2]), Number(range[3])];
      // sweepN accepts powers of two only: its range ends are powers of two.
      expect(schema(min, key)).toBeNull();
      expect(schema(max, key)).toBeNull();
      const step = range[1] === 'a whole number' ? 1 : Math.max(Math.abs(min), 1) * 1e-6;
      expect(schema(min - step, key)).not.toBeNull();
      expect(schema(max + step, key)).not.toBeNull();
      if (range[1] === 'a whole number') expect(schema(min + 0.5, key)).not.toBeNull();
    } else if (text.endsWith("checked together with the schedule's other parameters")) {
      // The schedules' own parameters: any finite number here, their ranges in scheduleProblem.
      expect(schema(DEFAULTS[key], key)).toBeNull();
      expect(schema(NaN, key)).not.toBeNull();
      expect(
        expectError(applyPatch(DEFAULTS, { schedule: 'linear', betaMin: 3, betaMax: 1 })),
      ).toMatch(/linear schedule/);
    } else if (text.endsWith('true or false')) {
      expect(schema(true, key)).toBeNull();
      expect(schema('true', key)).not.toBeNull();
    } else {
      expect(text).toBe(`${key}: text`);
      expect(schema('', key)).toBeNull();
      expect(schema(1, key)).not.toBeNull();
    }
  });
});
