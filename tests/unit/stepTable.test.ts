/**
 * The step table (src/sim/run/stepTable.ts) against the layout of struct Step in
 * shaders/lib/step.wgsl, read from the WGSL by webgpu-utils as the GPU layer reads it: the
 * TypeScript fields are the WGSL fields, each written at its offset with its type.
 */
import { readFileSync } from 'node:fs';
import { globals } from 'webgpu';
import { makeShaderDataDefinitions, type StructDefinition } from 'webgpu-utils';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_SCHEDULE_PARAMS,
  forwardLevels,
  levelAt,
  reverseLevels,
  type Level,
} from '../../src/maths/schedules';
import type { StepParams } from '../../src/maths/steps';
import {
  StepWriter,
  langevinTable,
  stepParams,
  stepTable,
  type LangevinConstants,
  type RunConstants,
} from '../../src/sim/run/stepTable';

// webgpu-utils refers to GPUShaderStage, which Node only has from the webgpu package.
Object.assign(globalThis, globals);

const wgsl = readFileSync(new URL('../../shaders/lib/step.wgsl', import.meta.url), 'utf8');
const struct: StructDefinition = makeShaderDataDefinitions(wgsl).structs.Step!;

/**
 * Every key of StepParams, checked by the compiler both ways: a missing key or an extra one is a
 * type error here, so this list is the TypeScript interface.
 */
const STEP_PARAMS_KEYS: Record<keyof StepParams, true> = {
  t: true,
  alpha_t: true,
  sigma_t: true,
  s: true,
  alpha_s: true,
  sigma_s: true,
  alpha: true,
  sigma: true,
  eta: true,
  n: true,
  m: true,
  k: true,
  seed: true,
  index: true,
  drift: true,
  diffusion: true,
  r: true,
  error_scale: true,
  error_bias: true,
  error_noise: true,
  evaluation: true,
  temperature: true,
  h: true,
  gamma: true,
  close: true,
  velocity_std: true,
  dim: true,
  smoothing: true,
  draws: true,
  rank: true,
  label: true,
  log_share: true,
  guidance: true,
};
/** Fields that are counts or identifiers, u32 in WGSL; the rest are f32. */
const INTEGER_FIELDS = new Set<string>([
  'n',
  'm',
  'k',
  'seed',
  'index',
  'evaluation',
  'close',
  'dim',
  'draws',
  'rank',
  'label',
]);

const typeOf = (name: string): string | undefined =>
  (struct.fields[name]?.type as { type?: string } | undefined)?.type;

describe('struct Step', () => {
  test('has exactly the fields of the TypeScript StepParams', () => {
    expect(Object.keys(struct.fields).sort()).toEqual(Object.keys(STEP_PARAMS_KEYS).sort());
  });

  test('counts are u32 and levels f32, each field 4 bytes, no two fields overlapping', () => {
    const spans = Object.entries(struct.fields).map(([name, f]) => {
      expect(typeOf(name)).toBe(INTEGER_FIELDS.has(name) ? 'u32' : 'f32');
      expect(f.type.size).toBe(4);
      return [f.offset, f.offset + f.type.size] as const;
    });
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(struct.size).toBeGreaterThanOrEqual(spans.at(-1)![1]);
  });

  test('stepParams fills every field of the struct', () => {
    const level = { t: 0.5, alpha: 0.8, sigma: 0.6 };
    const p = stepParams(level, level, level, 0, { eta: 0, n: 1, m: 1, k: 0, seed: 0 });
    expect(Object.keys(p).sort()).toEqual(Object.keys(struct.fields).sort());
  });
});

describe('StepWriter', () => {
  const STRIDE = 256;
  /** Distinct values per field: floats that float32 rounds, and u32s above 2^31. */
  const sample: StepParams = {
    t: 0.1,
    alpha_t: 0.2,
    sigma_t: 0.3,
    s: 0.4,
    alpha_s: 0.5,
    sigma_s: 0.6,
    alpha: 0.7,
    sigma: 0.8,
    eta: 0.9,
    n: 123_456,
    m: 4321,
    k: 25,
    seed: 0xdeadbeef,
    index: 77,
    drift: -0.01,
    diffusion: 0.02,
    r: 1.1,
    error_scale: 0.12,
    error_bias: 0.13,
    error_noise: 0.14,
    evaluation: 0x80000003,
    temperature: 0.15,
    h: 0.16,
    gamma: 0.17,
    close: 0x80000001,
    velocity_std: 0.18,
    dim: 3072,
    smoothing: 0.19,
    draws: 4,
    rank: 33,
    label: 5,
    log_share: -2.25,
    guidance: 3.5,
  };

  test('writes each field at its WGSL offset with its WGSL type', () => {
    const writer = new StepWriter(struct, STRIDE);
    const bytes = new ArrayBuffer(4 * STRIDE);
    const view = new DataView(bytes);
    writer.write(view, 2, sample);
    for (const [name, field] of Object.entries(struct.fields)) {
      const at = 2 * STRIDE + field.offset;
      const expected = sample[name as keyof StepParams];
      if (typeOf(name) === 'u32') expect(view.getUint32(at, true)).toBe(expected);
      else expect(view.getFloat32(at, true)).toBe(Math.fround(expected!));
    }
    // Nothing outside slot 2's struct is touched.
    const all = new Uint8Array(bytes);
    for (let b = 0; b < all.length; b++) {
      if (b < 2 * STRIDE || b >= 2 * STRIDE + struct.size) expect(all[b]).toBe(0);
    }
  });

  test('pack lays slots out one stride apart', () => {
    const writer = new StepWriter(struct, STRIDE);
    const slots = [0, 1, 2].map((i) => ({ ...sample, index: i, t: i / 4 }));
    const bytes = writer.pack(slots);
    expect(bytes.byteLength).toBe(3 * STRIDE);
    const view = new DataView(bytes);
    const index = struct.fields.index!.offset;
    const t = struct.fields.t!.offset;
    for (let i = 0; i < 3; i++) {
      expect(view.getUint32(i * STRIDE + index, true)).toBe(i);
      expect(view.getFloat32(i * STRIDE + t, true)).toBe(i / 4);
    }
  });

  test('a struct with a field it cannot write is refused, naming the field', () => {
    const other = makeShaderDataDefinitions('struct Step { t: f32, v: vec2f }').structs.Step!;
    expect(() => new StepWriter(other, STRIDE)).toThrow(/Step\.v/);
  });
});

describe('stepTable', () => {
  const c: RunConstants = { eta: 0.5, n: 1000, m: 200, k: 8, seed: 42 };

  test.each([1, 2, 4])('%i steps: step, corrector and scrub slots', (steps) => {
    const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps);
    const table = stepTable(levels, c);
    expect(table).toHaveLength(2 * steps + 1);
    // The fields every kernel reads; drift, diffusion and r are checked below.
    const expected = (a: Level, b: Level, at: Level, index: number, evaluation: number) => ({
      t: a.t,
      alpha_t: a.alpha,
      sigma_t: a.sigma,
      s: b.t,
      alpha_s: b.alpha,
      sigma_s: b.sigma,
      alpha: at.alpha,
      sigma: at.sigma,
      ...c,
      index,
      error_scale: 0,
      error_bias: 0,
      error_noise: 0,
      evaluation,
    });
    for (let i = 0; i < steps; i++) {
      const a = levels[i]!;
      const b = levels[i + 1]!;
      // Slot 2i: the denoiser at the step's start; slot 2i + 1: at its end (Heun's correction).
      expect(table[2 * i]).toMatchObject(expected(a, b, a, i, 2 * i));
      expect(table[2 * i + 1]).toMatchObject(expected(a, b, b, i, 2 * i + 1));
    }
    // The scrub slot: the first level, its denoiser there, step 0.
    expect(table[2 * steps]).toMatchObject(expected(levels[0]!, levels[1]!, levels[0]!, 0, 0));
  });

  test('the packed table of a run reads back as its levels, in float32', () => {
    const levels = reverseLevels('karras', DEFAULT_SCHEDULE_PARAMS, 3);
    const writer = new StepWriter(struct, 256);
    const view = new DataView(writer.pack(stepTable(levels, c)));
    const sigma = struct.fields.sigma!.offset;
    const seedAt = struct.fields.seed!.offset;
    levels.slice(0, 3).forEach((level, i) => {
      expect(view.getFloat32(2 * i * 256 + sigma, true)).toBe(Math.fround(level.sigma));
      expect(view.getFloat32((2 * i + 1) * 256 + sigma, true)).toBe(
        Math.fround(levels[i + 1]!.sigma),
      );
      expect(view.getUint32(2 * i * 256 + seedAt, true)).toBe(42);
    });
  });

  test('a score error reaches every slot; each evaluation has its own RNG counter', () => {
    const error = { scale: 0.1, bias: -0.2, noise: 0.3 };
    const table = stepTable(reverseLevels('karras', DEFAULT_SCHEDULE_PARAMS, 5), { ...c, error });
    for (const p of table) {
      expect([p.error_scale, p.error_bias, p.error_noise]).toEqual([0.1, -0.2, 0.3]);
    }
    // Step i evaluates at slot 2i and (Heun's correction) at 2i + 1: distinct counters.
    const counters = table.slice(0, -1).map((p) => p.evaluation);
    expect(counters).toEqual(counters.map((_, slot) => slot));
  });
});

/** Half log-SNR, from its definition. */
const lambdaOf = (l: Level): number => Math.log(l.alpha / l.sigma);

/** A zero-terminal-SNR run (Lin et al. 2024): cosine levels whose first has alpha = 0 exactly. */
function ztsnrLevels(steps: number): Level[] {
  const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, steps);
  levels[0] = { t: 1, alpha: 0, sigma: 1 };
  return levels;
}

describe('DPM-Solver++(2M): r = h_prev / h in half log-SNR', () => {
  const c: RunConstants = { eta: 0, n: 1, m: 1, k: 8, seed: 1 };
  const runs: [string, Level[]][] = [
    ['karras', reverseLevels('karras', DEFAULT_SCHEDULE_PARAMS, 12)],
    ['ve', reverseLevels('ve', DEFAULT_SCHEDULE_PARAMS, 12)],
    ['cosine', reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, 12)],
    ['linear', reverseLevels('linear', DEFAULT_SCHEDULE_PARAMS, 12)],
    ['zero terminal SNR', ztsnrLevels(12)],
  ];
  test.each(runs)('%s: r from the lambdas, 0 where a step is first order', (_, levels) => {
    const table = stepTable(levels, c);
    const steps = levels.length - 1;
    for (let i = 0; i < steps; i++) {
      const firstOrder =
        i === 0 ||
        levels[i + 1]!.sigma === 0 ||
        levels[i - 1]!.alpha === 0 ||
        levels[i]!.alpha === 0;
      const want = firstOrder
        ? 0
        : (lambdaOf(levels[i]!) - lambdaOf(levels[i - 1]!)) /
          (lambdaOf(levels[i + 1]!) - lambdaOf(levels[i]!));
      expect(table[2 * i]!.r).toBeCloseTo(want, 12);
      expect(table[2 * i + 1]!.r).toBe(table[2 * i]!.r);
      expect(Number.isFinite(table[2 * i]!.r)).toBe(true);
    }
    // First order on the first step and on the step to sigma = 0, as k-diffusion.
    expect(table[0]!.r).toBe(0);
    expect(table[2 * (steps - 1)]!.r).toBe(0);
  });

  test('a geometric VE grid is uniform in lambda: r = 1 on every second-order step', () => {
    const levels = reverseLevels('ve', DEFAULT_SCHEDULE_PARAMS, 10);
    const table = stepTable(levels, c);
    for (let i = 1; i < 9; i++) expect(table[2 * i]!.r).toBeCloseTo(1, 10);
  });

  test('after a level with alpha = 0 (h_prev infinite) the step is first order', () => {
    const table = stepTable(ztsnrLevels(6), c);
    expect(table[0]!.r).toBe(0);
    expect(table[2]!.r).toBe(0);
    expect(table[4]!.r).toBeGreaterThan(0);
  });
});

describe('Euler-Maruyama: F and G of the step table', () => {
  const c: RunConstants = { eta: 0, n: 1, m: 1, k: 8, seed: 1 };
  const P = DEFAULT_SCHEDULE_PARAMS;

  test('linear VP: F / (t - s) -> f(t) = -beta(t) / 2 and G / (t - s) -> g(t)^2 = beta(t)', () => {
    // Song et al. 2021, VP SDE: f = -beta / 2, g = sqrt(beta), beta(t) = b0 + t (b1 - b0).
    for (const t of [0.05, 0.3, 0.7, 1]) {
      const beta = P.betaMin + t * (P.betaMax - P.betaMin);
      const errors = [1e-3, 1e-4].map((dt) => {
        const [p] = stepTable([levelAt('linear', P, t), levelAt('linear', P, t - dt)], c);
        return [p!.drift / dt + beta / 2, p!.diffusion / dt - beta];
      });
      // First order: the error shrinks tenfold with the step.
      for (const q of [0, 1]) {
        expect(Math.abs(errors[1]![q]!)).toBeLessThan(1e-3 * beta + 1e-9);
        expect(Math.abs(errors[1]![q]!)).toBeLessThan(0.2 * Math.abs(errors[0]![q]!) + 1e-9);
      }
    }
  });

  test('geometric VE: F = 0 and G = sigma_t^2 - sigma_s^2 (g^2 = d sigma^2 / dt)', () => {
    const levels = reverseLevels('ve', P, 20);
    const table = stepTable(levels, c);
    for (let i = 0; i < 20; i++) {
      expect(table[2 * i]!.drift).toBe(0);
      expect(table[2 * i]!.diffusion).toBeCloseTo(
        levels[i]!.sigma ** 2 - levels[i + 1]!.sigma ** 2,
        12,
      );
    }
  });

  test.each(['linear', 'cosine', 'sigmoid', 'karras', 've', 'rectified'] as const)(
    '%s: G >= 0 and F <= 0 on every reverse step, finite everywhere',
    (schedule) => {
      for (const steps of [1, 2, 10, 100]) {
        const table = stepTable(reverseLevels(schedule, P, steps), c);
        for (let i = 0; i < steps; i++) {
          const p = table[2 * i]!;
          expect(p.diffusion).toBeGreaterThanOrEqual(0);
          expect(p.drift).toBeLessThanOrEqual(0);
          expect(Number.isFinite(p.drift) && Number.isFinite(p.diffusion)).toBe(true);
        }
      }
    },
  );

  test('forward runs and levels with alpha = 0 get finite (unused) coefficients', () => {
    for (const levels of [
      forwardLevels('cosine', P, 10),
      ztsnrLevels(10),
      reverseLevels('rectified', P, 10),
      forwardLevels('rectified', P, 10),
    ]) {
      for (const p of stepTable(levels, c)) {
        expect(Number.isFinite(p.drift) && Number.isFinite(p.diffusion)).toBe(true);
        expect(Number.isFinite(p.r)).toBe(true);
      }
    }
  });
});

describe('Langevin step tables', () => {
  const c: RunConstants = { eta: 0, n: 10, m: 1, k: 8, seed: 7 };
  const P = DEFAULT_SCHEDULE_PARAMS;
  const lv = (kind: LangevinConstants['kind']): LangevinConstants => ({
    kind,
    temperature: 0.7,
    stepSize: 0.01,
    gamma: 2,
    snr: 0.16,
  });

  test('ula, mala, underdamped: every move at the one level, step size h, T and gamma', () => {
    const level = levelAt('cosine', P, 0.05);
    const levels = Array.from({ length: 6 }, () => level);
    for (const kind of ['ula', 'mala', 'underdamped'] as const) {
      const table = langevinTable(levels, c, lv(kind));
      expect(table).toHaveLength(4 * 5 + 1);
      for (let i = 0; i < 5; i++) {
        expect(table[4 * i]).toMatchObject({
          alpha: level.alpha,
          sigma: level.sigma,
          h: 0.01,
          temperature: 0.7,
          gamma: 2,
          close: 0,
          index: i,
        });
      }
      // The init slot: x ~ N(0, I), velocities N(0, T I) for underdamped only.
      expect(table[20]).toMatchObject({ sigma_t: 1, temperature: 0.7 });
      expect(table[20]!.velocity_std).toBeCloseTo(kind === 'underdamped' ? Math.sqrt(0.7) : 0, 15);
    }
  });

  test('annealed: e_i = h sigma_i^2 / sigma_L^2 at level i, the last move of each level closes', () => {
    const levels = reverseLevels('ve', P, 10);
    const table = langevinTable(levels, c, lv('annealed'));
    const sigmaL = levels[9]!.sigma;
    expect(sigmaL).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) {
      const e = (0.01 * levels[i]!.sigma ** 2) / sigmaL ** 2;
      for (const part of [2, 3]) {
        const p = table[4 * i + part]!;
        expect(p.sigma).toBe(levels[i]!.sigma);
        expect(p.h! / e).toBeCloseTo(1, 12);
        expect(p.close).toBe(part === 3 ? 1 : 0);
      }
    }
    expect(table[9 * 4 + 2]!.h).toBeCloseTo(0.01, 15);
    // The init slot starts from the first level's prior.
    expect(table[40]!.sigma_t).toBe(levels[0]!.sigma);
  });

  test('pc: predictor slots as the reverse table, corrector eps = 2 r^2 sigma^2 at level i + 1', () => {
    const levels = reverseLevels('karras', P, 6);
    const table = langevinTable(levels, c, lv('pc'));
    const reverse = stepTable(levels, c);
    for (let i = 0; i < 6; i++) {
      for (const part of [0, 1] as const)
        expect(table[4 * i + part]).toMatchObject({
          ...reverse[2 * i + part]!,
          h: table[4 * i + 2]!.h,
          evaluation: 4 * i + part,
          temperature: 0.7,
          gamma: 2,
        });
      const b = levels[i + 1]!;
      const eps = b.sigma > 0 ? 2 * 0.16 ** 2 * b.sigma ** 2 : 0;
      expect(table[4 * i + 2]).toMatchObject({ sigma: b.sigma, alpha: b.alpha, close: 0 });
      expect(table[4 * i + 3]).toMatchObject({ sigma: b.sigma, close: 1 });
      expect(table[4 * i + 2]!.h).toBeCloseTo(eps, 14);
    }
  });

  test('every slot of every Langevin table fills every struct field', () => {
    const levels = reverseLevels('cosine', P, 4);
    for (const kind of ['ula', 'mala', 'underdamped', 'annealed', 'pc'] as const) {
      for (const p of langevinTable(levels, c, lv(kind)))
        expect(Object.keys(p).sort()).toEqual(Object.keys(struct.fields).sort());
    }
  });
});
