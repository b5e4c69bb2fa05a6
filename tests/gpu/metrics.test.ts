/**
 * Metrics (src/sim/observe/metrics.ts), the sandbox's per-lane measurements, on real WebGPU: every value
 * of a read against float64 computations on the same particles, reads in flight kept apart, the
 * marginal densities against the CPU's counts and the target's exact marginals, no allocation
 * on a repeated encode, and null where nothing is ready. Fresh random particles each run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { datasetMixture, sampleMixture } from '../../src/maths/datasets';
import {
  histogramDensities,
  klEntropy,
  marginalHistograms,
  mixtureMarginals,
  particleObservables,
} from '../../src/maths/observables';
import { Rng } from '../../src/maths/rng';
import { Metrics, type MetricsInputs, type MetricsSample } from '../../src/sim/observe/metrics';
import { gpuErrors, testGpu, uploadInput } from './harness';
import { entropyTolerance, observablesTolerance } from './reductionErrors';
import { FALSE_FAILURE_RATE, SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 79);
const RADIUS = 20;
const POINTS = 1024;
const K = 4;
const SPEC = { bins: 48, x: [-2.5, 2.5], y: [-2, 2.5] } as const;
const mixture = datasetMixture('gaussians8')!;

let device: GPUDevice;
let metrics: Metrics;
const buffers: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  metrics = Metrics.create(device, shaderSources, {
    radius: RADIUS,
    temperature: 0.7,
    entropy: { points: POINTS, k: K },
    marginals: SPEC,
  });
  await metrics.prepare();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

afterAll(() => {
  metrics.destroy();
  for (const b of buffers) b.destroy();
});

const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => uploadInput(device, data, buffers);

interface Lane {
  x: Float32Array<ArrayBuffer>;
  energy: Float32Array<ArrayBuffer>;
  v: Float32Array<ArrayBuffer>;
  accept: Float32Array<ArrayBuffer>;
  heat: Float32Array<ArrayBuffer>;
  inputs: MetricsInputs;
}

/** n samples of gaussians8 with energies, velocities, flags and heat; a few NaN and escaped. */
function lane(n: number, offset: number): Lane {
  const x = sampleMixture(mixture, n, rng) as Float32Array<ArrayBuffer>;
  const f = (count: number, draw: () => number): Float32Array<ArrayBuffer> =>
    Float32Array.from({ length: count }, draw);
  const energy = f(n, () => offset + rng.normal());
  const v = f(2 * n, () => 0.8 * rng.normal());
  const accept = f(n, () => (rng.uniform() < 0.3 ? 1 : 0));
  const heat = f(n, () => rng.normal() - 0.5);
  for (let i = 0; i < 5; i++) {
    x[2 * (POINTS + rng.int(n - POINTS)) + rng.int(2)] = NaN;
    x[2 * rng.int(n)] = 1e4;
    energy[rng.int(n)] = Infinity;
  }
  const inputs = { n, x: upload(x), energy: upload(energy) };
  const optional = { v: upload(v), accept: upload(accept), heat: upload(heat) };
  return { x, energy, v, accept, heat, inputs: { ...inputs, ...optional } };
}

/**
 * The sample a read of lane l should give, in float64, and the bound on each value's error;
 * `measured` false: an encode that skipped the entropy.
 */
function expected(
  l: Lane,
  temperature: number,
  measured = true,
): { want: MetricsSample; tol: Partial<Record<keyof MetricsSample, number>> } {
  const o = particleObservables(l, RADIUS);
  const sub = l.x.subarray(0, 2 * POINTS);
  const entropy = measured ? klEntropy(sub, K, RADIUS) : NaN;
  const t = observablesTolerance(l, RADIUS);
  const tEntropy = entropyTolerance(sub, K, RADIUS);
  const want = {
    energy: o.meanEnergy,
    energyVariance: o.energyVariance,
    heatCapacity: o.energyVariance / temperature ** 2,
    kineticTemperature: o.kineticTemperature,
    acceptance: o.acceptance,
    heat: o.heat,
    nonFinite: o.nonFinite,
    escaped: o.escaped,
    count: o.count,
    entropy,
    freeEnergy: o.meanEnergy - temperature * entropy,
    temperature,
    // No path given here: tests/gpu/straightness.test.ts measures it.
    straightness: NaN,
  };
  // The float32 reductions' bounds (tests/gpu/reductionErrors.ts), carried through the float64
  // arithmetic of a read; the rest (counts, flags' mean, T) are exact.
  const tol = {
    energy: t.meanEnergy,
    energyVariance: t.energyVariance,
    heatCapacity: t.energyVariance / temperature ** 2,
    kineticTemperature: t.kineticTemperature,
    heat: t.heat,
    entropy: tEntropy,
    freeEnergy: t.meanEnergy + temperature * tEntropy,
  };
  return { want, tol };
}

function expectSample(got: MetricsSample | null, { want, tol }: ReturnType<typeof expected>): void {
  expect(got).not.toBeNull();
  for (const key of Object.keys(want) as (keyof MetricsSample)[]) {
    const t = tol[key];
    if (t === undefined || Number.isNaN(want[key])) expect(got![key], key).toBe(want[key]);
    else within(Math.abs(got![key] - want[key]), t, `${key}: float32 reductions`);
  }
}

function submit(inputs: MetricsInputs): void {
  const encoder = device.createCommandEncoder({ label: 'frame' });
  metrics.encode(encoder, inputs);
  device.queue.submit([encoder.finish()]);
}

describe(`metrics (SEED=${seed})`, () => {
  test('nothing is ready before the first encode', async () => {
    expect(await metrics.read()).toBeNull();
    expect(await metrics.marginals()).toBeNull();
  });

  test('every value of a read against float64, two reads in flight kept apart', async () => {
    const a = lane(20_000 + rng.int(1000), 5 * rng.normal());
    const b = lane(7000 + rng.int(1000), 100 + 5 * rng.normal());
    submit({ ...a.inputs, temperature: 0.5 });
    const first = metrics.read();
    // The second skips the entropy: its read has none (NaN, and so its free energy), never
    // the first's, which belongs to other particles.
    submit({ ...b.inputs, entropy: false });
    const second = metrics.read();
    const [ra, rb] = await Promise.all([first, second]);
    expectSample(ra, expected(a, 0.5));
    expectSample(rb, expected(b, 0.7, false));
    expect(ra!.nonFinite).toBeGreaterThan(0);
    expect(ra!.escaped).toBeGreaterThan(0);
  });

  test('no optional inputs: their means are NaN', async () => {
    const a = lane(3000, 1);
    submit({ n: 3000, x: a.inputs.x, energy: a.inputs.energy });
    const r = await metrics.read();
    const o = particleObservables({ x: a.x, energy: a.energy }, RADIUS);
    expect(r!.kineticTemperature).toBeNaN();
    expect(r!.acceptance).toBeNaN();
    expect(r!.heat).toBeNaN();
    expect(r!.count).toBe(o.count);
    const tol = observablesTolerance({ x: a.x, energy: a.energy }, RADIUS).meanEnergy;
    within(Math.abs(r!.energy - o.meanEnergy), tol, 'mean energy: float32 reduction');
  });

  test('no energy (sigma = 0 of stored points): its values are NaN, and only the other inputs count', async () => {
    const a = lane(3000, 1);
    submit({ n: 3000, x: a.inputs.x });
    const r = await metrics.read();
    // The energies' infinities no longer make a particle non-finite: positions alone do.
    const o = particleObservables({ x: a.x, energy: new Float32Array(3000) }, RADIUS);
    expect(o.nonFinite).toBeLessThan(particleObservables(a, RADIUS).nonFinite);
    for (const key of ['energy', 'energyVariance', 'heatCapacity', 'freeEnergy'] as const)
      expect(r![key], key).toBeNaN();
    expect([r!.count, r!.nonFinite, r!.escaped]).toEqual([o.count, o.nonFinite, o.escaped]);
  });

  test('marginal densities equal the CPU counts and match the exact mixture marginals', async () => {
    const n = 40_000;
    const a = lane(n, 0);
    submit(a.inputs);
    const got = (await metrics.marginals())!;
    const want = histogramDensities(marginalHistograms(a.x, SPEC), n, SPEC);
    expect(got.n).toBe(n);
    expect(Array.from(got.x)).toEqual(Array.from(want.x));
    expect(Array.from(got.y)).toEqual(Array.from(want.y));
    expect(Array.from(got.xEdges)).toEqual(Array.from(want.xEdges));
    const target = mixtureMarginals(mixture, SPEC);
    // Bernstein per bin (2 B checks, all passing but with probability FALSE_FAILURE_RATE): a
    // binomial count is within c / 3 + sqrt(c^2 / 9 + 2 c n p (1 - p)) of n p, c =
    // log(4 B / rate); lane() spoils 10 particles (NaN or 1e4), which may leave any bin.
    const c = Math.log((4 * SPEC.bins) / FALSE_FAILURE_RATE);
    for (const axis of ['x', 'y'] as const) {
      const edges = axis === 'x' ? target.xEdges : target.yEdges;
      for (let b = 0; b < SPEC.bins; b++) {
        const width = edges[b + 1]! - edges[b]!;
        const p = target[axis][b]! * width;
        const count = got[axis][b]! * width * n;
        const bound = c / 3 + Math.sqrt((c * c) / 9 + 2 * c * n * p * (1 - p)) + 10;
        within(Math.abs(count - n * p), bound, `${axis} bin ${b}: Bernstein, binomial count`);
      }
    }
  });

  test('a repeated encode allocates nothing; a read after destroy is null', async () => {
    const a = lane(5000, 2);
    submit(a.inputs);
    const groups = vi.spyOn(device, 'createBindGroup');
    const creates = vi.spyOn(device, 'createBuffer');
    submit(a.inputs);
    submit({ ...a.inputs, temperature: 2 });
    expect(groups).not.toHaveBeenCalled();
    expect(creates).not.toHaveBeenCalled();
    groups.mockRestore();
    creates.mockRestore();
    expectSample(await metrics.read(), expected(a, 2));
    const other = Metrics.create(device, shaderSources, { entropy: false });
    await other.prepare();
    const encoder = device.createCommandEncoder({ label: 'frame' });
    other.encode(encoder, a.inputs);
    device.queue.submit([encoder.finish()]);
    const r = await other.read();
    expect(r!.count).toBe(particleObservables(a).count);
    expect(r!.entropy).toBeNaN();
    expect(r!.freeEnergy).toBeNaN();
    expect(await other.marginals()).toBeNull();
    other.destroy();
    expect(await other.read()).toBeNull();
  });
});
