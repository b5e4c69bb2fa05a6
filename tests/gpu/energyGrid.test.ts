/**
 * The physics view's fields on real WebGPU (src/sim/field/energyGrid.ts): the landscape kernels against
 * float64 U and score (src/maths/denoisers.ts, the score by Tweedie from x0_hat) on the same grid,
 * for a mixture and for stored data, fresh random each run (seed in the names); the summary (min,
 * max, log Z, p) against float64 on the GPU's own energies; the float64 score against minus the
 * finite-difference gradient of U; and the trails ring buffer.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { readback } from '../../src/gpu/readback';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Mixture } from '../../src/maths/datasets';
import { denoiseEmpirical, denoiseMixture, type Denoised } from '../../src/maths/denoisers';
import { classMixture, classPoints } from '../../src/maths/guidance';
import { Rng } from '../../src/maths/rng';
import { EnergyGrid, type FieldParams } from '../../src/sim/field/energyGrid';
import { Trails } from '../../src/sim/field/trails';
import { packMixture } from '../../src/sim/run/mixture';
import {
  F32,
  componentTermF32,
  distanceLogits,
  softmaxBounds,
  softmaxF32,
  worstElement,
} from './harness';
import { randomMixture as randomMixtureOf, useGrid } from './gridFixture';
import { SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 77);
/** Grid points per side: 33^2 is not a multiple of the workgroup, so past-end lanes run too. */
const G = 33;
const HALF = 2.5;
/** Grid points per side for finite differences. */
const FINE = 97;

const fixture = useGrid(G, HALF);
let device: GPUDevice;
let grid: EnergyGrid;
beforeAll(() => {
  ({ device, grid } = fixture);
});
const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => fixture.upload(data);
const randomMixture = (k: number): Mixture => randomMixtureOf(rng, k);

function gridPoints(g: EnergyGrid = grid): Float64Array {
  const size = g.size;
  const x = new Float64Array(2 * size * size);
  for (let j = 0; j < size; j++)
    for (let i = 0; i < size; i++) {
      x[2 * (j * size + i)] = g.origin[0] + g.spacing * i;
      x[2 * (j * size + i) + 1] = g.origin[1] + g.spacing * j;
    }
  return x;
}

interface Field {
  energy: Float64Array;
  score: Float64Array;
  density: Float64Array;
  min: number;
  max: number;
  logZ: number;
  scoreMax: number;
}

/** The float64 field E = U / T and score (alpha D - x) / (sigma^2 T) (Tweedie). */
function reference(
  d: Denoised,
  alpha: number,
  sigma: number,
  temperature: number,
  g: EnergyGrid = grid,
): Pick<Field, 'energy' | 'score'> {
  const x = gridPoints(g);
  const energy = d.energy.map((u) => u / temperature);
  const score = x.map((xi, c) => (alpha * d.x0hat[c]! - xi) / (sigma * sigma * temperature));
  return { energy, score };
}

async function run(
  p: FieldParams,
  g: EnergyGrid = grid,
): Promise<{ field: Field; recorded: boolean }> {
  const encoder = device.createCommandEncoder();
  const recorded = g.update(encoder, p);
  device.queue.submit([encoder.finish()]);
  const f32 = async (b: GPUBuffer) =>
    Float64Array.from(new Float32Array(await readback(device, b)));
  const stats = await f32(g.stats);
  return {
    recorded,
    field: {
      energy: await f32(g.energy),
      score: await f32(g.score),
      density: await f32(g.density),
      min: stats[0]!,
      max: stats[1]!,
      logZ: stats[2]!,
      scoreMax: stats[g.statsLayout.score_max]!,
    },
  };
}

const LOG_2PI = Math.log(2 * Math.PI);

/** What a field depends on, as the tests call run() and the float64 reference. */
type Source =
  | { denoiser: 'exact'; mixture: Mixture }
  | { denoiser: 'empirical'; points: Float32Array<ArrayBuffer> };

/** field_mixture.wgsl or field_empirical.wgsl replayed on the grid with float32 bounds (F32). */
function fieldBounds(
  source: Source,
  alpha: number,
  sigma: number,
  temperature: number,
  g: EnergyGrid = grid,
): { energy: Float64Array; score: Float64Array } {
  const points = g.size * g.size;
  const [a, sig, T] = [alpha, sigma, temperature].map((v) => F32.of(v));
  const s2 = sig!.mul(sig!);
  const spacing = F32.of(g.spacing);
  const energy = new Float64Array(points);
  const score = new Float64Array(2 * points);
  for (let k = 0; k < points; k++) {
    const at = [k % g.size, Math.floor(k / g.size)];
    const x = at.map((i, c) => F32.of(g.origin[c]!).add(spacing.mul(i)));
    let u: F32;
    let mean: F32[];
    if (source.denoiser === 'exact') {
      const terms = source.mixture.components.map((c) => componentTermF32(c, x, a!, s2));
      const s = softmaxF32(
        terms.map((t) => t.logit),
        terms.flatMap((t) => t.ciR),
        2,
      );
      u = s.lse.neg();
      mean = s.mean;
    } else {
      const ys = source.points;
      const inv = new F32(1).div(new F32(2).mul(s2));
      // dv = x - a y here, a y - x in the kernel: the same bounds.
      const d = distanceLogits(x, ys, a!, inv);
      const r = softmaxBounds(d.logit, d.logitErr, d.dv, d.dvErr, 2);
      u = new F32(r.lse, r.lseErr)
        .neg()
        .add(new F32(ys.length / 2).log())
        .add(s2.log())
        .add(F32.of(LOG_2PI));
      mean = [0, 1].map((c) => new F32(r.mean[c]!, r.meanErr[c]).neg().div(s2));
    }
    energy[k] = u.div(T!).e;
    mean.forEach((v, c) => (score[2 * k + c] = v.div(T!).e));
  }
  return { energy, score };
}

// float32: 2x the running error bound (F32) of the field kernel replayed per grid point.
const FIELD_MODEL = '2x the running float32 error bound of the field kernels';

/** Energy and score within their bounds of float64. */
function expectField(
  gpu: Field,
  cpu: Pick<Field, 'energy' | 'score'>,
  bounds: { energy: Float64Array; score: Float64Array },
): void {
  for (const o of ['energy', 'score'] as const) {
    const { error, tolerance } = worstElement(gpu[o], cpu[o], bounds[o]);
    within(error, tolerance, `${o}: ${FIELD_MODEL}`);
  }
}

// float32: 2x the running bound of field_normalise replayed on the GPU's energies (sums, exp, log).
const NORMALISE_MODEL = '2x the running float32 error bound of field_normalise on the GPU energies';

/**
 * field_normalise against float64 on the energies the GPU computed: min and max exactly, log Z
 * (summed as the kernel does: a lane per 256th point, then a tree) and the density within their
 * bounds; at T = 1, log Z = 0 exactly.
 */
function expectNormalised(gpu: Field, temperature: number, g: EnergyGrid = grid): void {
  const e = gpu.energy;
  const points = e.length;
  let min = Infinity;
  let max = -Infinity;
  for (const v of e) [min, max] = [Math.min(min, v), Math.max(max, v)];
  expect([gpu.min, gpu.max]).toEqual([min, max]);
  // The greatest |score| (the quiver's scale): length() of the GPU's own scores, replayed in F32.
  // Each length is within its bound e_k of v_k, so their maximum is within max e_k of max v_k.
  let [top, bound] = [0, 0];
  for (let k = 0; k < points; k++) {
    const [x, y] = [new F32(gpu.score[2 * k]!), new F32(gpu.score[2 * k + 1]!)];
    const length = x.mul(x).add(y.mul(y)).sqrt();
    [top, bound] = [Math.max(top, length.v), Math.max(bound, length.e)];
  }
  within(Math.abs(gpu.scoreMax - top), bound, `score max: ${NORMALISE_MODEL}`);
  expect(gpu.scoreMax).toBeGreaterThan(0);
  if (temperature === 1) {
    expect(gpu.logZ).toBe(0);
  } else {
    const lanes = Array.from({ length: 256 }, (_, lane) => {
      let sum = new F32(0);
      for (let k = lane; k < points; k += 256) sum = sum.add(new F32(min - e[k]!).exp());
      return sum;
    });
    for (let stride = 128; stride >= 1; stride >>= 1)
      for (let lane = 0; lane < stride; lane++)
        lanes[lane] = lanes[lane]!.add(lanes[lane + stride]!);
    const spacing = F32.of(g.spacing);
    const logZ = lanes[0]!.mul(spacing).mul(spacing).log().sub(new F32(min));
    const { error, tolerance } = worstElement([gpu.logZ], [logZ.v], [logZ.e]);
    within(error, tolerance, `log Z: ${NORMALISE_MODEL}`);
  }
  const density = Array.from(e, (v) => new F32(v).neg().sub(new F32(gpu.logZ)).exp());
  const worst = worstElement(
    gpu.density,
    density.map((d) => d.v),
    density.map((d) => d.e),
  );
  within(worst.error, worst.tolerance, `density: ${NORMALISE_MODEL}`);
}

/** The field of `source` on the GPU against float64, within its bounds. */
async function expectSource(
  source: Source,
  alpha: number,
  sigma: number,
  temperature: number,
  g: EnergyGrid = grid,
): Promise<{ field: Field; cpu: Pick<Field, 'energy' | 'score'>; recorded: boolean }> {
  const exact = source.denoiser === 'exact';
  const { field, recorded } = await run(
    {
      denoiser: source.denoiser,
      alpha,
      sigma,
      temperature,
      m: exact ? 1 : source.points.length / 2,
      k: exact ? source.mixture.components.length : 0,
      data: upload(exact ? new Float32Array(2) : source.points),
      mixture: upload(exact ? packMixture(source.mixture) : packMixture(null)),
    },
    g,
  );
  const d = exact
    ? denoiseMixture(gridPoints(g), source.mixture, alpha, sigma)
    : denoiseEmpirical(gridPoints(g), source.points, alpha, sigma);
  const cpu = reference(d, alpha, sigma, temperature, g);
  expectField(field, cpu, fieldBounds(source, alpha, sigma, temperature, g));
  expectNormalised(field, temperature, g);
  return { field, cpu, recorded };
}

describe(`energy grid (SEED=${seed})`, () => {
  for (const temperature of [1, 0.5 + 1.5 * rng.uniform()]) {
    test(`mixture at T = ${temperature.toFixed(3)} matches float64`, async () => {
      const mixture = randomMixture(5);
      const alpha = 0.3 + 0.7 * rng.uniform();
      const sigma = 0.1 + 0.6 * rng.uniform();
      const { recorded } = await expectSource(
        { denoiser: 'exact', mixture },
        alpha,
        sigma,
        temperature,
      );
      expect(recorded).toBe(true);
    });

    test(`empirical data at T = ${temperature.toFixed(3)} matches float64`, async () => {
      const m = 300;
      const points = Float32Array.from({ length: 2 * m }, () => rng.normal());
      const alpha = 0.3 + 0.7 * rng.uniform();
      const sigma = 0.15 + 0.5 * rng.uniform();
      await expectSource({ denoiser: 'empirical', points }, alpha, sigma, temperature);
    });
  }

  test('update does nothing when nothing changed, and recomputes when sigma does', async () => {
    const points = Float32Array.from({ length: 100 }, () => rng.normal());
    const p: FieldParams = {
      denoiser: 'empirical',
      alpha: 1,
      sigma: 0.5,
      temperature: 1,
      m: 50,
      k: 0,
      data: upload(points),
      mixture: upload(new Float32Array(8)),
    };
    expect((await run(p)).recorded).toBe(true);
    const before = await run({ ...p });
    expect(before.recorded).toBe(false);
    const after = await run({ ...p, sigma: 0.25 });
    expect(after.recorded).toBe(true);
    // Recomputed at the new sigma: the float64 field at sigma = 0.25, within its bounds.
    const cpu = reference(denoiseEmpirical(gridPoints(), points, 1, 0.25), 1, 0.25, 1);
    const source = { denoiser: 'empirical', points } as const;
    expectField(after.field, cpu, fieldBounds(source, 1, 0.25, 1));
    expectNormalised(after.field, 1);
  });

  test('the score is minus the gradient of the energy, and a finer grid matches float64', async () => {
    // A finer grid than the others, so that central differences resolve the landscape.
    const fine = await EnergyGrid.create(device, shaderSources, { size: FINE, halfWidth: HALF });
    const mixture = randomMixture(4);
    const alpha = 0.5 + 0.5 * rng.uniform();
    const sigma = 0.5 + 0.4 * rng.uniform();
    const temperature = 0.5 + rng.uniform();
    const source = { denoiser: 'exact', mixture } as const;
    const { cpu } = await expectSource(source, alpha, sigma, temperature, fine);
    fine.destroy();
    // Central differences of the float64 energy against its (Tweedie) score, two steps from the
    // edge; the truncation h^2 E''' / 6 is estimated (Richardson) by a third of the change from
    // step 2h to step h.
    const h = fine.spacing;
    let error = 0;
    let richardson = 0;
    for (let j = 2; j < FINE - 2; j++)
      for (let i = 2; i < FINE - 2; i++) {
        const g = j * FINE + i;
        for (const [axis, step] of [
          [0, 1],
          [1, FINE],
        ] as const) {
          const e = cpu.energy;
          const fd = -(e[g + step]! - e[g - step]!) / (2 * h);
          const fd2 = -(e[g + 2 * step]! - e[g - 2 * step]!) / (4 * h);
          error = Math.max(error, Math.abs(fd - cpu.score[2 * g + axis]!));
          richardson = Math.max(richardson, Math.abs(fd2 - fd) / 3);
        }
      }
    // Truncation h^2 E''' / 6 + O(h^4): 2x the Richardson estimate leaves room for the O(h^4).
    within(error, 2 * richardson, 'central differences of U_t / T against its score');
  });
});

// float32 of the guided mix (field/*.wgsl): log P(c) added to U_c, w U_c, (1 - w) U, their sum,
// the division by T; each rounding within 2^-24 of its magnitude, 8 of them allowed for.
const MIX_ROUNDING = 8 * 2 ** -24;

/**
 * The guided landscape U_w = w U_c + (1 - w) U of class `label` against float64: U_c of the class
 * alone (classMixture: its component, renormalised; classPoints: its stored points), U of all,
 * mixed in float64; bounded by the field kernels' own bounds of each, weighted |w| and |1 - w|,
 * plus the mix's roundings.
 */
async function expectGuided(
  all: Source,
  cls: Source,
  c: { label: number; logShare: number; guidance: number; labels?: GPUBuffer },
  alpha: number,
  sigma: number,
  temperature: number,
): Promise<Field> {
  const exact = all.denoiser === 'exact';
  const { field } = await run({
    denoiser: all.denoiser,
    alpha,
    sigma,
    temperature,
    m: exact ? 1 : all.points.length / 2,
    k: exact ? all.mixture.components.length : 0,
    data: upload(exact ? new Float32Array(2) : all.points),
    mixture: upload(exact ? packMixture(all.mixture) : packMixture(null)),
    ...c,
  });
  const x = gridPoints();
  const denoised = (src: Source): Denoised =>
    src.denoiser === 'exact'
      ? denoiseMixture(x, src.mixture, alpha, sigma)
      : denoiseEmpirical(x, src.points, alpha, sigma);
  const classSource: Source =
    cls.denoiser === 'exact' ? { denoiser: 'exact', mixture: classMixture(cls.mixture, 0) } : cls;
  const [u, uc] = [all, classSource].map((src) =>
    reference(denoised(src), alpha, sigma, temperature),
  );
  // The kernel's class softmax keeps the class's terms with their own (unnormalised) weights.
  const [b, bc] = [all, cls].map((src) => fieldBounds(src, alpha, sigma, temperature));
  const w = c.guidance;
  const mix = (o: 'energy' | 'score'): Float64Array =>
    uc![o].map((v, i) => w * v + (1 - w) * u![o][i]!);
  const cpu = { energy: mix('energy'), score: mix('score') };
  const share = Math.abs(c.logShare / temperature);
  const bounds = {
    energy: cpu.energy.map(
      (v, i) =>
        Math.abs(w) * bc!.energy[i]! +
        Math.abs(1 - w) * b!.energy[i]! +
        MIX_ROUNDING *
          (Math.abs(w) * (Math.abs(uc!.energy[i]!) + share) +
            Math.abs(1 - w) * Math.abs(u!.energy[i]!) +
            Math.abs(v)),
    ),
    score: cpu.score.map(
      (v, i) =>
        Math.abs(w) * bc!.score[i]! +
        Math.abs(1 - w) * b!.score[i]! +
        MIX_ROUNDING *
          (Math.abs(w * uc!.score[i]!) + Math.abs((1 - w) * u!.score[i]!) + Math.abs(v)),
    ),
  };
  expectField(field, cpu, bounds);
  expectNormalised(field, temperature);
  return field;
}

describe(`guided landscape (SEED=${seed})`, () => {
  const guidance = [1, 0, 1.5 + 3 * rng.uniform()];
  for (const w of guidance) {
    test(`mixture, class k, w = ${w.toFixed(3)}: w U_k + (1 - w) U against float64`, async () => {
      const mixture = randomMixture(4);
      const k = Math.floor(4 * rng.uniform());
      const component = mixture.components[k]!;
      const alpha = 0.3 + 0.7 * rng.uniform();
      const sigma = 0.1 + 0.6 * rng.uniform();
      const temperature = w === 1 ? 1 : 0.5 + 1.5 * rng.uniform();
      const c = { label: k, logShare: Math.log(component.weight), guidance: w };
      // The kernel reads component k's own label k; the class source is that component alone.
      const cls: Source = { denoiser: 'exact', mixture: { components: [component] } };
      await expectGuided({ denoiser: 'exact', mixture }, cls, c, alpha, sigma, temperature);
    });

    test(`stored points, class c, w = ${w.toFixed(3)}: over the class's points against float64`, async () => {
      const m = 300;
      const points = Float32Array.from({ length: 2 * m }, () => rng.normal());
      const labels = Uint32Array.from({ length: m }, () => Math.floor(3 * rng.uniform()));
      const label = Math.floor(3 * rng.uniform());
      const mine = classPoints(points, labels, label);
      const c = {
        label,
        logShare: Math.log(mine.length / 2 / m),
        guidance: w,
        labels: upload(new Float32Array(labels.buffer)),
      };
      const alpha = 0.3 + 0.7 * rng.uniform();
      const sigma = 0.15 + 0.5 * rng.uniform();
      const cls: Source = { denoiser: 'empirical', points: mine };
      await expectGuided({ denoiser: 'empirical', points }, cls, c, alpha, sigma, 1);
    });
  }

  test('a class deepens its own mode: the lightest becomes the deepest', async () => {
    // Unconditionally mode 1 (weight 0.1) is the shallowest; guided towards it, the deepest.
    const means = [
      [-1.5, 0],
      [0, 1.2],
      [1.5, 0],
    ] as const;
    const mixture: Mixture = {
      components: means.map((mean, k) => ({
        weight: k === 1 ? 0.1 : 0.45,
        mean,
        cov: [0.05, 0, 0.05] as const,
      })),
    };
    const depth = async (guidance: number, label: number): Promise<number[]> => {
      const one = mixture.components[label]!;
      const f = await expectGuided(
        { denoiser: 'exact', mixture },
        { denoiser: 'exact', mixture: { components: [one] } },
        { label, logShare: Math.log(one.weight), guidance },
        1,
        0.2,
        1,
      );
      // At the grid point nearest each mean.
      return means.map(([mx, my]) => {
        const [i, j] = [mx, my].map((v) => Math.round((v + HALF) / grid.spacing));
        return f.energy[j! * G + i!]!;
      });
    };
    const plain = await depth(0, 1);
    expect(plain[1]).toBeGreaterThan(Math.max(plain[0]!, plain[2]!));
    const guided = await depth(4, 1);
    expect(guided[1]).toBeLessThan(Math.min(guided[0]!, guided[2]!));
  });
});

describe(`trails (SEED=${seed})`, () => {
  test('the ring holds exactly the last L positions in order, after more than L records', async () => {
    const n = 150;
    const K = 100;
    const L = 7;
    const records = 2 * L + 3;
    const trails = await Trails.create(device, shaderSources);
    const x = upload(new Float32Array(2 * n));
    trails.setup(x, n, K, L);
    expect(trails.particles).toBe(K);
    const frames = Array.from({ length: records }, () =>
      Float32Array.from({ length: 2 * n }, () => rng.normal()),
    );
    // All records in one encoder: each must write its own slot.
    const encoder = device.createCommandEncoder();
    for (const frame of frames) {
      encoder.copyBufferToBuffer(upload(frame), 0, x, 0, 8 * n);
      trails.record(encoder);
    }
    device.queue.submit([encoder.finish()]);
    const ring = new Float32Array(await readback(device, trails.ring!));
    expect(trails.filled).toBe(L);
    for (let p = 0; p < K; p++)
      for (let r = 0; r < L; r++) {
        const slot = (trails.head - r + L) % L;
        const frame = frames[records - 1 - r]!;
        expect([ring[2 * (p * L + slot)], ring[2 * (p * L + slot) + 1]]).toEqual([
          frame[2 * p],
          frame[2 * p + 1],
        ]);
      }
    trails.reset();
    expect(trails.filled).toBe(0);
    // More trails asked for than there are particles: only the particles there are.
    trails.setup(x, n, 4 * n, L);
    expect(trails.particles).toBe(n);
    const e2 = device.createCommandEncoder();
    trails.record(e2);
    device.queue.submit([e2.finish()]);
    const last = frames[records - 1]!;
    const ring2 = new Float32Array(await readback(device, trails.ring!));
    for (let p = 0; p < n; p++) expect(ring2[2 * p * L]).toBe(last[2 * p]);
    trails.destroy();
  });
});
