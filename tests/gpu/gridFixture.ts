/**
 * The setup the landscape grid's GPU tests share (energyGrid.test.ts, velocityGrid.test.ts): an
 * EnergyGrid of G x G points over +-half on the test device, buffers uploaded for a test and
 * destroyed with the grid, no WebGPU error after any test; and a random Gaussian mixture.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Mixture } from '../../src/maths/datasets';
import type { Rng } from '../../src/maths/rng';
import { EnergyGrid } from '../../src/sim/field/energyGrid';
import { gpuErrors, testGpu } from './harness';

export interface GridFixture {
  readonly device: GPUDevice;
  readonly grid: EnergyGrid;
  /** A storage buffer holding `data`, destroyed after the file's tests. */
  upload(data: Float32Array<ArrayBuffer>): GPUBuffer;
}

/** Registers the file's hooks; the fixture's device and grid exist once beforeAll has run. */
export function useGrid(size: number, halfWidth: number): GridFixture {
  const owned: GPUBuffer[] = [];
  const usage = (): GPUBufferUsageFlags =>
    GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const fixture = {
    device: null as unknown as GPUDevice,
    grid: null as unknown as EnergyGrid,
    upload(data: Float32Array<ArrayBuffer>): GPUBuffer {
      const b = createBuffer(fixture.device, { label: 'test', size: 0, usage: usage(), data });
      owned.push(b);
      return b;
    },
  };
  beforeAll(async () => {
    fixture.device = (await testGpu()).device;
    fixture.grid = await EnergyGrid.create(fixture.device, shaderSources, { size, halfWidth });
  });
  afterAll(() => {
    fixture.grid.destroy();
    for (const b of owned) b.destroy();
  });
  afterEach(() => {
    expect(gpuErrors).toEqual([]);
  });
  return fixture;
}

/** k components of random weights, means (sd 1.5) and covariances (variances 0.05 to 0.35). */
export function randomMixture(rng: Rng, k: number): Mixture {
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
