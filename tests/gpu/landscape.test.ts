/**
 * The physics view drawn by three.js on real WebGPU (src/render/landscape.ts via ParticleView):
 * a run three quarters through, its landscape, arrows and trails, drawn in 2D and in 3D
 * off-screen and read back as pixels. The pictures are written to
 * .vitest-attachments/landscape-*.png (git-ignored) to be looked at.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateDataset } from '../../src/maths/datasets';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import { ParticleView, type PhysicsView } from '../../src/render/particleView';
import { EnergyGrid, Trails } from '../../src/sim/field/energyGrid';
import { Simulation } from '../../src/sim/run/simulation';
import { gpuErrors, testGpu, setRun } from './harness';
import { SEED } from '../random';

const seed = SEED;
const W = 320;
const H = 240;
const N = 4000;
const STEPS = 40;

let device: GPUDevice;
let sim: Simulation;
let grid: EnergyGrid;
let trails: Trails;
let view: ParticleView;

beforeAll(async () => {
  device = (await testGpu()).device;
  const canvas = document.createElement('canvas');
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  document.body.append(canvas);
  [sim, grid, trails, view] = await Promise.all([
    Simulation.create(device, shaderSources),
    EnergyGrid.create(device, shaderSources),
    Trails.create(device, shaderSources),
    ParticleView.create(canvas, device),
  ]);
  const dataset = generateDataset('gaussians8', 2000, seed);
  sim.setParticles(N);
  sim.setData(dataset);
  const levels = reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, STEPS);
  await setRun(sim, { mode: 'reverse', sampler: 'ddim', denoiser: 'exact', levels, eta: 0, seed });
  trails.setup(sim.x, N, 300, 24);
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  for (let i = 0; i < (3 * STEPS) / 4; i++) {
    sim.encodeSteps(encoder, 1);
    trails.record(encoder);
  }
  const level = levels[sim.status().step]!;
  grid.update(encoder, {
    denoiser: 'exact',
    alpha: level.alpha,
    sigma: level.sigma,
    temperature: 1,
    m: dataset.points.length / 2,
    k: dataset.mixture!.components.length,
    data: sim.data,
    mixture: sim.mixture,
  });
  device.queue.submit([encoder.finish()]);
  view.setParticles(sim.x, N);
  view.setData(sim.data, dataset.points.length / 2);
  view.setGrid(grid);
  view.setEnergy(sim.energy);
  view.setTrails(trails);
});

afterAll(() => {
  view.dispose();
  sim.destroy();
  grid.destroy();
  trails.destroy();
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

const PHYSICS: PhysicsView = {
  view: '2d',
  landscape: 'energy',
  arrows: true,
  trails: 24,
  trailParticles: 300,
};

/** The view drawn off-screen with these settings, as RGBA bytes; also written as a PNG. */
async function draw(name: string, physics: Partial<PhysicsView>): Promise<Uint8ClampedArray> {
  view.setPhysics({ ...PHYSICS, ...physics });
  const canvas = view.renderOffscreen(W, H);
  const copy = document.createElement('canvas');
  copy.width = W;
  copy.height = H;
  const ctx = copy.getContext('2d')!;
  ctx.drawImage(canvas, 0, 0);
  const pixels = ctx.getImageData(0, 0, W, H).data;
  const png = copy.toDataURL('image/png').split(',')[1]!;
  await commands.writeFile(`.vitest-attachments/landscape-${name}.png`, png, 'base64');
  return pixels;
}

/** Mean absolute difference per channel, 0 to 255. */
function difference(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) sum += Math.abs(a[i]! - b[i]!);
  return sum / ((3 * a.length) / 4);
}

/** Fraction of pixels brighter than the background. */
function lit(a: Uint8ClampedArray): number {
  let count = 0;
  for (let i = 0; i < a.length; i += 4) if (a[i]! + a[i + 1]! + a[i + 2]! > 60) count++;
  return count / (a.length / 4);
}

describe(`physics view (SEED=${seed})`, () => {
  test('the heat map fills the 2D view behind the particles; 3D draws a different picture', async () => {
    const off = await draw('off', { landscape: 'off', arrows: false, trails: 0 });
    const flat = await draw('2d', {});
    const density = await draw('density', { landscape: 'density' });
    const surface = await draw('3d', { view: '3d' });
    const peaks = await draw('3d-density', { view: '3d', landscape: 'density' });
    // Without a landscape only the particles light pixels; with it the wells glow around them
    // (the high-energy plateau stays dark, so it lights much of the view, not all of it).
    // The seed moves only what the particles, data and trails draw: the landscape, its arrows
    // and the camera come from the mixture alone (exact denoiser). Particles and data, on the
    // eight modes, light about a quarter of the view, and each landscape's effect (0.6 of the
    // view lit more, differences of 33 to 64 levels) is at least twice its threshold here.
    expect(lit(off)).toBeLessThan(0.5);
    expect(lit(flat)).toBeGreaterThan(lit(off) + 0.25);
    expect(difference(flat, off)).toBeGreaterThan(20);
    expect(difference(density, flat)).toBeGreaterThan(10);
    expect(difference(surface, flat)).toBeGreaterThan(10);
    expect(difference(peaks, surface)).toBeGreaterThan(10);
    // Back to 2D: the same picture as before, pixel for pixel (the run and its buffers untouched,
    // the renderer deterministic).
    const again = await draw('2d-again', {});
    expect(difference(again, flat)).toBe(0);
  });
});
