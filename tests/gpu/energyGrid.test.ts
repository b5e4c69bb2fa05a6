/**
 * The physics view's fields on real WebGPU (src/sim/energyGrid.ts): the landscape kernels against
 * float64 U, p and score (src/maths/denoisers.ts, the score by Tweedie from x0_hat) on the same
 * grid, for a mixture and for stored data, fresh random each run (seed in the names); the score
 * against minus the finite-difference gradient of the GPU's own U; and the trails ring buffer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer, readback } from '../../src/gpu/buffers';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Mixture } from '../../src/maths/datasets';
import { denoiseEmpirical, denoiseMixture, type Denoised } from '../../src/maths/denoisers';
import { Rng } from '../../src/maths/rng';
import { EnergyGrid, Trails, type FieldParams } from '../../src/sim/energyGrid';
import { packMixture } from '../../src/sim/simulation';
import { gpuErrors, relativeError, testGpu } from './harness';
import { SEED } from '../random';

const seed = SEED;
const rng = new Rng(seed, 77);
/** Grid points per side: 33^2 is not a multiple of the workgroup, so past-end lanes run too. */
const G = 33;
const HALF = 2.5;
/** Grid points per side for finite differences. */
const FINE = 97;
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

let device: GPUDevice;
let grid: EnergyGrid;
const owned: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  grid = await EnergyGrid.create(device, shaderSources, { size: G, halfWidth: HALF });
});

afterAll(() => {
  grid.destroy();
  for (const b of owned) b.destroy();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

function upload(data: Float32Array<ArrayBuffer>): GPUBuffer {
  const b = createBuffer(device, { label: 'test', size: 0, usage: USAGE, data });
  owned.push(b);
  return b;
}

function randomMixture(k: number): Mixture {
  const weights = Array.from({ length: k }, () => 0.2 + rng.uniform());
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    components: weights.map((w) => {
      const a = 0.05 + 0.3 * rng.uniform();
      const b = 0.05 + 0.3 * rng.uniform();
      const c = 0.9 * Math.sqrt(a * b) * (2 * rng.uniform() - 1);
      return {
        weight: w / total,
        mean: [1.5 * rng.normal(), 1.5 * rng.normal()] as const,
        cov: [a, c, b] as const,
      };
    }),
  };
}

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
}

/** The float64 field: E = U / T, score = (alpha D - x) / (sigma^2 T), p = exp(-E) / Z. */
function reference(
  d: Denoised,
  alpha: number,
  sigma: number,
  temperature: number,
  g: EnergyGrid = grid,
): Field {
  const x = gridPoints(g);
  const energy = d.energy.map((u) => u / temperature);
  const score = x.map((xi, c) => (alpha * d.x0hat[c]! - xi) / (sigma * sigma * temperature));
  const min = Math.min(...energy);
  const max = Math.max(...energy);
  const sum = energy.reduce((s, e) => s + Math.exp(min - e), 0);
  const logZ = temperature === 1 ? 0 : Math.log(sum * g.spacing ** 2) - min;
  return { energy, score, density: energy.map((e) => Math.exp(-e - logZ)), min, max, logZ };
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
    },
  };
}

function expectField(gpu: Field, cpu: Field): void {
  expect(relativeError(gpu.energy, cpu.energy)).toBeLessThan(2e-5);
  expect(relativeError(gpu.score, cpu.score)).toBeLessThan(1e-4);
  expect(relativeError(gpu.density, cpu.density)).toBeLessThan(1e-4);
  const scale = Math.max(Math.abs(cpu.min), Math.abs(cpu.max));
  expect(Math.abs(gpu.min - cpu.min)).toBeLessThan(2e-5 * scale);
  expect(Math.abs(gpu.max - cpu.max)).toBeLessThan(2e-5 * scale);
  expect(Math.abs(gpu.logZ - cpu.logZ)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.logZ)));
}

describe(`energy grid (SEED=${seed})`, () => {
  test('every field kernel reads struct Grid with the same layout', () => {
    const [a, ...rest] = grid.gridLayouts();
    expect(a).toBeDefined();
    for (const b of rest) expect(b).toEqual(a);
  });

  for (const temperature of [1, 0.5 + 1.5 * rng.uniform()]) {
    test(`mixture at T = ${temperature.toFixed(3)} matches float64`, async () => {
      const mixture = randomMixture(5);
      const alpha = 0.3 + 0.7 * rng.uniform();
      const sigma = 0.1 + 0.6 * rng.uniform();
      const { field, recorded } = await run({
        denoiser: 'exact',
        alpha,
        sigma,
        temperature,
        m: 1,
        k: 5,
        data: upload(new Float32Array(2)),
        mixture: upload(packMixture(mixture)),
      });
      expect(recorded).toBe(true);
      const d = denoiseMixture(gridPoints(), mixture, alpha, sigma);
      expectField(field, reference(d, alpha, sigma, temperature));
    });

    test(`empirical data at T = ${temperature.toFixed(3)} matches float64`, async () => {
      const m = 300;
      const points = Float32Array.from({ length: 2 * m }, () => rng.normal());
      const alpha = 0.3 + 0.7 * rng.uniform();
      const sigma = 0.15 + 0.5 * rng.uniform();
      const { field } = await run({
        denoiser: 'empirical',
        alpha,
        sigma,
        temperature,
        m,
        k: 0,
        data: upload(points),
        mixture: upload(new Float32Array(8)),
      });
      const d = denoiseEmpirical(gridPoints(), points, alpha, sigma);
      expectField(field, reference(d, alpha, sigma, temperature));
    });
  }

  test('update does nothing when nothing changed, and recomputes when sigma does', async () => {
    const p: FieldParams = {
      denoiser: 'empirical',
      alpha: 1,
      sigma: 0.5,
      temperature: 1,
      m: 50,
      k: 0,
      data: upload(Float32Array.from({ length: 100 }, () => rng.normal())),
      mixture: upload(new Float32Array(8)),
    };
    expect((await run(p)).recorded).toBe(true);
    const before = await run({ ...p });
    expect(before.recorded).toBe(false);
    const after = await run({ ...p, sigma: 0.25 });
    expect(after.recorded).toBe(true);
    expect(after.field.min).toBeLessThan(before.field.min);
  });

  test('the score is minus the finite-difference gradient of the energy', async () => {
    // A finer grid than the others, so that central differences resolve the landscape.
    const fine = await EnergyGrid.create(device, shaderSources, { size: FINE, halfWidth: HALF });
    const mixture = randomMixture(4);
    const alpha = 0.5 + 0.5 * rng.uniform();
    const sigma = 0.5 + 0.4 * rng.uniform();
    const temperature = 0.5 + rng.uniform();
    const { field } = await run(
      {
        alpha,
        sigma,
        temperature,
        m: 1,
        k: 4,
        denoiser: 'exact',
        data: upload(new Float32Array(2)),
        mixture: upload(packMixture(mixture)),
      },
      fine,
    );
    const d = denoiseMixture(gridPoints(fine), mixture, alpha, sigma);
    const cpu = reference(d, alpha, sigma, temperature, fine);
    fine.destroy();
    // Central differences over interior points, of the GPU's and of the float64 energy: the
    // GPU's may differ from the true score by the float64 one's truncation error plus float32
    // rounding of E divided by the step.
    const h = fine.spacing;
    let gpuErr = 0;
    let truncation = 0;
    let scale = 0;
    for (let j = 1; j < FINE - 1; j++)
      for (let i = 1; i < FINE - 1; i++) {
        const g = j * FINE + i;
        for (const [axis, step] of [
          [0, 1],
          [1, FINE],
        ] as const) {
          const fd = (e: Float64Array) => -(e[g + step]! - e[g - step]!) / (2 * h);
          const s = cpu.score[2 * g + axis]!;
          gpuErr = Math.max(gpuErr, Math.abs(fd(field.energy) - field.score[2 * g + axis]!));
          truncation = Math.max(truncation, Math.abs(fd(cpu.energy) - s));
          scale = Math.max(scale, Math.abs(s));
        }
      }
    const rounding = (4 * 2 ** -23 * Math.max(Math.abs(cpu.min), Math.abs(cpu.max))) / h;
    expect(truncation).toBeLessThan(0.05 * scale);
    expect(gpuErr).toBeLessThan(1.5 * truncation + rounding + 1e-5 * scale);
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
