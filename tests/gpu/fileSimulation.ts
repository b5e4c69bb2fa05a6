/**
 * One Simulation for a whole GPU test file, as the app builds it: made before the file's tests
 * (then `prepare` sets its data and particles), destroyed after them, and no WebGPU error left
 * after each test.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { Simulation } from '../../src/sim/run/simulation';
import { gpuErrors, testGpu } from './harness';

export function useSimulation(prepare: (sim: Simulation, device: GPUDevice) => void): void {
  let sim: Simulation | undefined;
  beforeAll(async () => {
    const { device } = await testGpu();
    sim = await Simulation.create(device, shaderSources);
    prepare(sim, device);
  });
  afterAll(() => sim?.destroy());
  afterEach(() => {
    expect(gpuErrors).toEqual([]);
  });
}
