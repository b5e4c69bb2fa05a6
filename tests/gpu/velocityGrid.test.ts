/**
 * The velocity arrows on real WebGPU (src/sim/field/energyGrid.ts with arrows 'velocity',
 * shaders/field/*.wgsl): the probability-flow velocity v = alpha' x0_hat + sigma' eps_hat,
 * eps_hat = (x - alpha x0_hat) / sigma, on the grid against float64 (x0_hat from
 * src/maths/denoisers.ts, alpha' and sigma' by central differences of the schedule itself, not
 * src/maths/scheduleRates.ts that feeds the kernel), for a mixture and for stored data at random
 * t on the cosine, linear, karras and rectified schedules; on rectified against eps_hat - x0_hat
 * written out; finite at t = 0 and t = 1; and the quiver's scale (score_max) is the greatest |v|.
 * Fresh random each run: SEED=... replays it.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { readback } from '../../src/gpu/readback';
import type { Mixture } from '../../src/maths/datasets';
import { denoiseEmpirical, denoiseMixture } from '../../src/maths/denoisers';
import { Rng } from '../../src/maths/rng';
import { levelRateAt } from '../../src/maths/scheduleRates';
import { DEFAULT_SCHEDULE_PARAMS, levelAt, type ScheduleId } from '../../src/maths/schedules';
import { EnergyGrid, MIN_FIELD_SIGMA, type FieldParams } from '../../src/sim/field/energyGrid';
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

const rng = new Rng(SEED, 79);
/** Grid points per side: 33^2 is not a multiple of the workgroup, so past-end lanes run too. */
const G = 33;
const HALF = 2.5;
const P = DEFAULT_SCHEDULE_PARAMS;
// 2x (REASSOCIATION_SLACK, in worstElement) the running float32 bound of the kernel replayed.
const MODEL = '2x the running float32 error bound of the velocity replayed per grid point';

const fixture = useGrid(G, HALF);
let device: GPUDevice;
let grid: EnergyGrid;
beforeAll(() => {
  ({ device, grid } = fixture);
});
const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => fixture.upload(data);
const randomMixture = (k: number): Mixture => randomMixtureOf(rng, k);

const randomPoints = (m: number): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: 2 * m }, () => rng.normal());

/** Grid point k, as float64 and as the kernel forms it (origin + spacing i, in float32). */
function point(k: number): { x: number[]; f32: F32[] } {
  const at = [k % G, Math.floor(k / G)];
  const f32 = at.map((i, c) => F32.of(grid.origin[c]!).add(F32.of(grid.spacing).mul(i)));
  return { x: at.map((i, c) => grid.origin[c]! + grid.spacing * i), f32 };
}

type Source = { kind: 'mixture'; mixture: Mixture } | { kind: 'data'; points: Float32Array };

interface Level {
  alpha: number;
  sigma: number;
  alphaDot: number;
  halfVarianceDot: number;
}

/** The level at t and the rates the sandbox feeds the kernel (src/sandbox/fieldSource.ts). */
function levelOf(schedule: ScheduleId, t: number): Level {
  const { alpha, sigma } = levelAt(schedule, P, t);
  const { alphaDot, halfVarianceDot } = levelRateAt(schedule, P, t);
  return { alpha, sigma, alphaDot, halfVarianceDot };
}

async function velocityField(
  source: Source,
  l: Level,
): Promise<{ v: Float64Array; scoreMax: number }> {
  const mixture = source.kind === 'mixture';
  const p: FieldParams = {
    denoiser: mixture ? 'exact' : 'empirical',
    alpha: l.alpha,
    sigma: l.sigma,
    temperature: 1,
    m: mixture ? 1 : source.points.length / 2,
    k: mixture ? source.mixture.components.length : 0,
    data: upload(mixture ? new Float32Array(2) : Float32Array.from(source.points)),
    mixture: upload(packMixture(mixture ? source.mixture : null)),
    arrows: 'velocity',
    alphaDot: l.alphaDot,
    halfVarianceDot: l.halfVarianceDot,
  };
  const encoder = device.createCommandEncoder();
  expect(grid.update(encoder, p)).toBe(true);
  device.queue.submit([encoder.finish()]);
  const v = Float64Array.from(new Float32Array(await readback(device, grid.score)));
  const stats = new Float32Array(await readback(device, grid.stats));
  return { v, scoreMax: stats[grid.statsLayout.score_max]! };
}

/** x0_hat in float64 at the grid points (the data's at sigma clamped as EnergyGrid does). */
function x0hat(source: Source, alpha: number, sigma: number): Float64Array {
  const x = new Float64Array(2 * G * G);
  for (let k = 0; k < G * G; k++) x.set(point(k).x, 2 * k);
  return source.kind === 'mixture'
    ? denoiseMixture(x, source.mixture, alpha, sigma).x0hat
    : denoiseEmpirical(x, source.points, alpha, Math.max(sigma, MIN_FIELD_SIGMA)).x0hat;
}

/** The kernel's velocity replayed per grid point in float32 bounds (F32): its error bound. */
function velocityBounds(source: Source, l: Level): Float64Array {
  const [a, ad, hv] = [F32.of(l.alpha), F32.of(l.alphaDot), F32.of(l.halfVarianceDot)];
  const sigma = source.kind === 'data' ? Math.max(l.sigma, MIN_FIELD_SIGMA) : l.sigma;
  const sig = F32.of(sigma);
  const s2 = sig.mul(sig);
  const bound = new Float64Array(2 * G * G);
  for (let k = 0; k < G * G; k++) {
    const x = point(k).f32;
    let v: F32[];
    if (source.kind === 'mixture') {
      // alpha' x0_hat - sigma sigma' score, each a softmax over the components.
      const terms = source.mixture.components.map((c) => ({ c, t: componentTermF32(c, x, a, s2) }));
      const logits = terms.map(({ t }) => t.logit);
      const posterior = terms.flatMap(({ c, t }) => [
        F32.of(c.mean[0]).add(
          a.mul(F32.of(c.cov[0]).mul(t.ciR[0]!).add(F32.of(c.cov[1]).mul(t.ciR[1]!))),
        ),
        F32.of(c.mean[1]).add(
          a.mul(F32.of(c.cov[1]).mul(t.ciR[0]!).add(F32.of(c.cov[2]).mul(t.ciR[1]!))),
        ),
      ]);
      const x0 = softmaxF32(logits, posterior, 2).mean;
      const score = softmaxF32(
        logits,
        terms.flatMap(({ t }) => t.ciR.map((r) => r.neg())),
        2,
      ).mean;
      v = [0, 1].map((c) => ad.mul(x0[c]!).sub(hv.mul(score[c]!)));
    } else {
      // alpha' x0_hat + (sigma sigma' / sigma^2) (x - alpha x0_hat), x0_hat the softmax of y_j.
      const inv = new F32(1).div(new F32(2).mul(s2));
      const d = distanceLogits(x, source.points, a, inv);
      const r = softmaxBounds(d.logit, d.logitErr, source.points, null, 2);
      const x0 = [0, 1].map((c) => new F32(r.mean[c]!, r.meanErr[c]));
      const rate = hv.div(s2);
      v = [0, 1].map((c) => ad.mul(x0[c]!).add(rate.mul(x[c]!.sub(a.mul(x0[c]!)))));
    }
    bound[2 * k] = v[0]!.e;
    bound[2 * k + 1] = v[1]!.e;
  }
  return bound;
}

/** The greatest |v| (field_normalise's score_max) of the GPU's own velocities, with its bound. */
function expectScale(v: Float64Array, scoreMax: number): void {
  let [top, bound] = [0, 0];
  for (let k = 0; k < G * G; k++) {
    const [x, y] = [new F32(v[2 * k]!), new F32(v[2 * k + 1]!)];
    const length = x.mul(x).add(y.mul(y)).sqrt();
    [top, bound] = [Math.max(top, length.v), Math.max(bound, length.e)];
  }
  within(Math.abs(scoreMax - top), bound, 'score_max: the float32 bound of length()');
  expect(scoreMax).toBeGreaterThan(0);
}

/** The float64 central difference of alpha and sigma at t (the schedule's own functions). */
function ratesByDifferences(schedule: ScheduleId, t: number): [number, number] {
  const h = 1e-6;
  const [lo, hi] = [levelAt(schedule, P, t - h), levelAt(schedule, P, t + h)];
  return [(hi.alpha - lo.alpha) / (2 * h), (hi.sigma - lo.sigma) / (2 * h)];
}

const sources: [string, () => Source][] = [
  ['a mixture', () => ({ kind: 'mixture', mixture: randomMixture(5) })],
  ['stored data', () => ({ kind: 'data', points: randomPoints(300) })],
];

describe(`velocity grid (SEED=${SEED})`, () => {
  for (const schedule of ['cosine', 'linear', 'karras', 'rectified'] as const)
    for (const [name, make] of sources) {
      const t = 0.05 + 0.9 * rng.uniform();
      test(`${schedule}, ${name}, t = ${t.toFixed(4)}: v = alpha' x0_hat + sigma' eps_hat`, async () => {
        const source = make();
        const l = levelOf(schedule, t);
        const { v, scoreMax } = await velocityField(source, l);
        const x0 = x0hat(source, l.alpha, l.sigma);
        const [alphaDot, sigmaDot] = ratesByDifferences(schedule, t);
        const cpu = x0.map((x0c, i) => {
          const x = point(i >> 1).x[i & 1]!;
          return alphaDot * x0c + (sigmaDot * (x - l.alpha * x0c)) / l.sigma;
        });
        const { error, tolerance } = worstElement(v, cpu, velocityBounds(source, l));
        within(error, tolerance, `${schedule} ${name}: ${MODEL}`);
        expectScale(v, scoreMax);
      });
    }

  for (const [name, make] of sources) {
    const t = 0.05 + 0.9 * rng.uniform();
    test(`rectified, ${name}, t = ${t.toFixed(4)}: v = eps_hat - x0_hat`, async () => {
      const source = make();
      const l = levelOf('rectified', t);
      expect([l.alphaDot, l.halfVarianceDot]).toEqual([-1, t]);
      const { v } = await velocityField(source, l);
      const x0 = x0hat(source, 1 - t, t);
      const cpu = x0.map((x0c, i) => (point(i >> 1).x[i & 1]! - (1 - t) * x0c) / t - x0c);
      const { error, tolerance } = worstElement(v, cpu, velocityBounds(source, l));
      within(error, tolerance, `rectified ${name}: ${MODEL}`);
    });
  }

  test('finite at both ends (alpha = 0 or sigma = 0) on every schedule tested', async () => {
    for (const schedule of ['cosine', 'linear', 'karras', 'rectified'] as const)
      for (const t of [0, 1])
        for (const [name, make] of sources) {
          const { v, scoreMax } = await velocityField(make(), levelOf(schedule, t));
          const bad = v.findIndex((c) => !Number.isFinite(c));
          expect(bad, `${schedule} ${name} at t = ${t}: element ${bad} is ${v[bad]}`).toBe(-1);
          expect(Number.isFinite(scoreMax)).toBe(true);
        }
  });

  test('the score arrows are back when arrows is score again', async () => {
    const source: Source = { kind: 'data', points: randomPoints(50) };
    const l = levelOf('cosine', 0.5);
    const velocity = (await velocityField(source, l)).v;
    const encoder = device.createCommandEncoder();
    const data = upload(Float32Array.from(source.points));
    const p: FieldParams = {
      denoiser: 'empirical',
      alpha: l.alpha,
      sigma: l.sigma,
      temperature: 1,
      m: 50,
      k: 0,
      data,
      mixture: upload(packMixture(null)),
    };
    expect(grid.update(encoder, p)).toBe(true);
    device.queue.submit([encoder.finish()]);
    const score = Float64Array.from(new Float32Array(await readback(device, grid.score)));
    // Tweedie: score = (alpha x0_hat - x) / sigma^2, not the velocity.
    const x0 = x0hat(source, l.alpha, l.sigma);
    const k = Math.floor(G * G * rng.uniform());
    const want = (point(k).x[0]! * -1 + l.alpha * x0[2 * k]!) / l.sigma ** 2;
    expect(score[2 * k]).toBeCloseTo(want, 3);
    expect(score[2 * k]).not.toBeCloseTo(velocity[2 * k]!, 3);
  });
});
