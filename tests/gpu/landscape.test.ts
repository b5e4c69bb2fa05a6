/**
 * The physics view drawn by three.js on real WebGPU (src/render/landscape.ts via ParticleView):
 * a run three quarters through, its landscape, arrows and trails, drawn in 2D and in 3D
 * off-screen and read back as pixels; the quiver's arrows measured in the pixels against the
 * float64 maps of src/maths/landscapeMaps.ts on the grid's own scores, and a trail across a jump. The pictures are written to
 * .vitest-attachments/landscape-*.png (git-ignored) to be looked at.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { shaderSources } from '../../src/gpu/shaderSources';
import { readback } from '../../src/gpu/readback';
import { generateDataset } from '../../src/maths/datasets';
import {
  ARROW_CAP,
  arrowLength,
  arrowLevel,
  quiverColour,
  TRAIL_BREAK,
} from '../../src/maths/landscapeMaps';
import { DEFAULT_SCHEDULE_PARAMS, reverseLevels } from '../../src/maths/schedules';
import { ARROWS } from '../../src/render/landscape';
import { ParticleView, type PhysicsView } from '../../src/render/particleView';
import { VIEW_HEIGHT } from '../../src/render/viewport';
import { EnergyGrid } from '../../src/sim/field/energyGrid';
import { Trails } from '../../src/sim/field/trails';
import { Simulation } from '../../src/sim/run/simulation';
import { gpuErrors, testGpu, setRun } from './harness';
import { SEED, within } from '../random';

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

/** World units per pixel of the off-screen 2D view (unpanned, unzoomed), and a pixel's centre. */
const UNIT = VIEW_HEIGHT / H;
const worldOf = (px: number, py: number): [number, number] => [
  (px + 0.5 - W / 2) * UNIT,
  (H / 2 - py - 0.5) * UNIT,
];

/** sRGB 8-bit level of a linear-light channel. */
function srgb8(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(255 * Math.min(Math.max(v, 0), 1));
}

/** Lit pixels (any light over the background), as [x, y, green] in world units. */
function litPixels(pixels: Uint8ClampedArray): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let py = 0; py < H; py++)
    for (let px = 0; px < W; px++) {
      const i = 4 * (py * W + px);
      if (pixels[i]! + pixels[i + 1]! + pixels[i + 2]! > 60)
        out.push([...worldOf(px, py), pixels[i + 1]!]);
    }
  return out;
}

/** Only what is under test: particles and data drawn with no light. */
const DARK = { pointSize: 3, brightness: 0, showData: false };
const LIGHT = { pointSize: 3, brightness: 1, showData: true };

// A 1-pixel line lights pixels whose centres lie within a pixel of the segment, and its last
// pixel may stop up to a pixel short of the end (diamond-exit rule): 1.5 pixels either way.
const RASTER = 1.5 * UNIT;
const RASTER_MODEL = 'line rasterisation: lit pixel centres within 1.5 pixels of the segment';

describe(`quiver and trails (SEED=${seed})`, () => {
  test('each arrow is centred on its cell, as long and as bright as the log scale of |score| says', async () => {
    const score = new Float32Array(await readback(device, grid.score));
    const stats = new Float32Array(await readback(device, grid.stats));
    const top = stats[grid.statsLayout.score_max]!;
    view.setStyle(DARK);
    const pixels = await draw('quiver', { landscape: 'off', arrows: true, trails: 0 });
    view.setStyle(LIGHT);
    const lit = litPixels(pixels);
    const step = (grid.spacing * (grid.size - 1)) / ARROWS;
    const last = grid.size - 1;
    // The grid's score at a point, bilinear in its cells as the renderer reads it, in float64.
    const scoreAt = (x: number, y: number): number => {
      const f = [x, y].map((v, c) =>
        Math.min(Math.max((v - grid.origin[c]!) / grid.spacing, 0), last),
      );
      const i = f.map((v) => Math.min(Math.floor(v), last - 1));
      const t = f.map((v, c) => v - i[c]!);
      const at = (di: number, dj: number, c: number) =>
        score[2 * ((i[1]! + dj) * grid.size + i[0]! + di) + c]!;
      const s = [0, 1].map(
        (c) =>
          (1 - t[1]!) * ((1 - t[0]!) * at(0, 0, c) + t[0]! * at(1, 0, c)) +
          t[1]! * ((1 - t[0]!) * at(0, 1, c) + t[0]! * at(1, 1, c)),
      );
      return Math.hypot(s[0]!, s[1]!);
    };
    const halves: number[] = [];
    let worst = 0;
    const colours: string[] = [];
    for (let j = 0; j < ARROWS; j++)
      for (let i = 0; i < ARROWS; i++) {
        const cx = grid.origin[0] + (i + 0.5) * step;
        const cy = grid.origin[1] + (j + 0.5) * step;
        // Cells wholly in the picture.
        if (Math.abs(cx) + step / 2 > (W / 2) * UNIT || Math.abs(cy) + step / 2 > (H / 2) * UNIT)
          continue;
        const magnitude = scoreAt(cx, cy);
        const half = arrowLength(magnitude, top, step) / 2;
        halves.push(half);
        const mine = lit.filter(([x, y]) => Math.hypot(x - cx, y - cy) <= step / 2);
        const extent = Math.max(0, ...mine.map(([x, y]) => Math.hypot(x - cx, y - cy)));
        worst = Math.max(worst, Math.abs(extent - half));
        // The median green of the arrow's pixels against the ramp at its level (+-2 levels:
        // 8-bit rounding and float32 in the ramp's pow).
        const greens = mine.map((p) => p[2]).sort((a, b) => a - b);
        const green = greens[Math.floor(greens.length / 2)] ?? -1;
        const expected = srgb8(quiverColour(arrowLevel(magnitude, top))[1]);
        if (Math.abs(green - expected) > 2) colours.push(`(${i}, ${j}): ${green} not ${expected}`);
      }
    within(worst, RASTER, RASTER_MODEL);
    expect(colours).toEqual([]);
    // Enough arrows, of lengths far enough apart, for the comparison to tell maps apart; none
    // near its neighbours.
    expect(halves.length).toBeGreaterThan(100);
    expect(Math.max(...halves) - Math.min(...halves)).toBeGreaterThan(2 * RASTER);
    expect(Math.max(...halves)).toBeLessThanOrEqual((ARROW_CAP * step) / 2);
  });

  test('with no landscape chosen, 3D still draws the surface the particles sit on', async () => {
    view.setStyle(DARK);
    const flat = await draw('2d-dark', { landscape: 'off', arrows: false, trails: 0 });
    const plain = await draw('3d-plain', {
      view: '3d',
      landscape: 'off',
      arrows: false,
      trails: 0,
    });
    view.setStyle(LIGHT);
    // With nothing else lit, the 2D view is the bare background; in 3D the plain surface lights
    // its basin (here 0.68 of the view, 12.6 levels from the background: the landscape and camera
    // come from the mixture alone, not the seed), thresholds at half that.
    expect(lit(flat)).toBe(0);
    expect(lit(plain)).toBeGreaterThan(0.34);
    expect(difference(plain, flat)).toBeGreaterThan(6);
  });

  test('a trail that jumps further than TRAIL_BREAK of the grid is not drawn across the jump', async () => {
    // Two particles walk in steps of 0.05; the first jumps 3.5 across the view after 3 records.
    const path = (k: number): number[] => {
      const x0 = k < 3 ? -2 + 0.05 * k : 1.5 + 0.05 * (k - 3);
      return [x0, -1, -2 + 0.05 * k, 1];
    };
    const jump = 1.5 - (-2 + 0.1);
    expect(jump).toBeGreaterThan(TRAIL_BREAK * grid.spacing * (grid.size - 1));
    const x = device.createBuffer({
      label: 'test trail positions',
      size: 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const ring = await Trails.create(device, shaderSources);
    try {
      ring.setup(x, 2, 2, 16);
      for (let k = 0; k < 6; k++) {
        device.queue.writeBuffer(x, 0, new Float32Array(path(k)));
        const encoder = device.createCommandEncoder();
        ring.record(encoder);
        device.queue.submit([encoder.finish()]);
      }
      view.setTrails(ring);
      view.setStyle(DARK);
      const pixels = await draw('trail-jump', { landscape: 'off', arrows: false, trails: 16 });
      const lit = litPixels(pixels);
      const near = (x0: number, x1: number, y: number) =>
        lit.filter(([px, py]) => px >= x0 && px <= x1 && Math.abs(py - y) <= 2 * UNIT).length;
      // Both walks are drawn (each segment 0.05 long: 2 to 3 pixels), ...
      expect(near(-2.05, -1.85, -1)).toBeGreaterThan(3);
      expect(near(1.45, 1.65, -1)).toBeGreaterThan(2);
      expect(near(-2.05, -1.7, 1)).toBeGreaterThan(5);
      // ... and nothing between the two ends of the jump.
      expect(near(-1.8, 1.45, -1)).toBe(0);
    } finally {
      view.setStyle(LIGHT);
      view.setTrails(trails);
      ring.destroy();
      x.destroy();
    }
  });
});
