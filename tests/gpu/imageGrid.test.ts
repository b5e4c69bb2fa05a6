/**
 * Small images drawn by three.js from GPU buffers (src/render/imageGrid.ts via ParticleView) on
 * real WebGPU: fresh random batches (greyscale 28x28, RGB 32x32) in x, x0hat, data and nearest,
 * drawn off-screen and read back pixel by pixel against (v + 1) / 2; the nearest panel's frames;
 * following an image with its filmstrip (src/sim/run/filmstrip.ts) in order; pick. The pictures go
 * to .vitest-attachments/imageGrid-*.png (git-ignored) to be looked at.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { Rng } from '../../src/maths/rng';
import { ImageGrid, type ImageBuffers } from '../../src/render/imageGrid';
import {
  cellRect,
  type ImageShape,
  type PanelKind,
  type PanelRect,
} from '../../src/render/imageLayout';
import { ParticleView } from '../../src/render/particleView';
import { Filmstrip } from '../../src/sim/run/filmstrip';
import { gpuErrors, testGpu } from './harness';
import { SEED, within } from '../random';

const seed = SEED;
const rng = new Rng(seed, 91);
/** The live canvas, in CSS pixels. */
const W = 400;
const H = 300;
const K = 12;
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const GREY: ImageShape = { width: 28, height: 28, channels: 1 };
const RGB: ImageShape = { width: 32, height: 32, channels: 3 };

let device: GPUDevice;
let canvas: HTMLCanvasElement;
let view: ParticleView;
let grid: ImageGrid;
const owned: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  canvas = document.createElement('canvas');
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  document.body.append(canvas);
  view = await ParticleView.create(canvas, device);
  grid = new ImageGrid(view.renderer);
  view.setImages(grid);
});

afterAll(() => {
  grid.dispose();
  view.dispose();
  for (const b of owned) b.destroy();
});

beforeEach(() => {
  grid.follow(null);
});

afterEach(() => {
  expect(gpuErrors).toEqual([]);
});

interface Batch {
  shape: ImageShape;
  d: number;
  n: number;
  m: number;
  x: Float32Array;
  x0hat: Float32Array;
  data: Float32Array;
  /** The index each tile of the nearest panel should show (clamped), and whether it is framed. */
  shown: number[];
  memorised: boolean[];
  buffers: ImageBuffers;
  filmstrip: Filmstrip;
}

/** Values in [-1.2, 1.2]: some past [-1, 1], to check the clamp. */
const randomImages = (count: number) =>
  Float32Array.from({ length: count }, () => 2.4 * rng.uniform() - 1.2);

const gpu = (label: string, data: Float32Array | Uint32Array) => {
  const b = createBuffer(device, { label, size: 0, usage: USAGE, data });
  owned.push(b);
  return b;
};

function makeBatch(shape: ImageShape, n: number, m: number): Batch {
  const d = shape.width * shape.height * shape.channels;
  const x = randomImages(n * d);
  const x0hat = randomImages(n * d);
  const data = randomImages(m * d);
  const words = new Uint32Array(4 * n);
  const floats = new Float32Array(words.buffer);
  const shown: number[] = [];
  const memorised: boolean[] = [];
  for (let i = 0; i < n; i++) {
    // Garbage (as before the first measurement) in the first two: clamped to the last image.
    const index = i === 0 ? 0xffffffff : i === 1 ? m : rng.int(m);
    const d2 = 1 + rng.uniform();
    const close = rng.uniform() < 0.5;
    floats[4 * i] = d2 * (close ? 0.01 + 0.08 * rng.uniform() : 0.15 + 0.85 * rng.uniform());
    floats[4 * i + 1] = d2;
    words[4 * i + 2] = index;
    shown.push(Math.min(index, m - 1));
    memorised.push(close);
  }
  const filmstrip = new Filmstrip();
  filmstrip.setup(device, d, K);
  const buffers: ImageBuffers = {
    x: gpu('x', x),
    x0hat: gpu('x0hat', x0hat),
    data: gpu('data', data),
    nearest: gpu('nearest', words),
    n,
    m,
    shape,
    filmstrip,
  };
  return { shape, d, n, m, x, x0hat, data, shown, memorised, buffers, filmstrip };
}

interface Picture {
  pixels: Uint8ClampedArray;
  width: number;
}

/** The grid drawn off-screen at width x height, as RGBA bytes; also written as a PNG. */
async function draw(name: string, width: number, height: number): Promise<Picture> {
  const out = view.renderOffscreen(width, height);
  // The layout the picture was drawn with (renderOffscreen lays out for the clip, then back).
  grid.resize(width, height);
  const copy = document.createElement('canvas');
  copy.width = width;
  copy.height = height;
  const ctx = copy.getContext('2d')!;
  ctx.drawImage(out, 0, 0);
  const pixels = ctx.getImageData(0, 0, width, height).data;
  const png = copy.toDataURL('image/png').split(',')[1]!;
  await commands.writeFile(`.vitest-attachments/imageGrid-${name}.png`, png, 'base64');
  return { pixels, width };
}

const panel = (kind: PanelKind): PanelRect => {
  const p = grid.layout.panels.find((r) => r.kind === kind);
  if (!p) throw new Error(`no ${kind} panel in the layout`);
  return p;
};

const rgbAt = (pic: Picture, x: number, y: number): number[] => {
  const at = 4 * (Math.floor(y) * pic.width + Math.floor(x));
  return [pic.pixels[at]!, pic.pixels[at + 1]!, pic.pixels[at + 2]!];
};

/**
 * Largest difference (0 to 255) between tile `tile` of a panel and image `image` of `source`,
 * every image pixel sampled at its centre: greyscale on all three channels, RGB per channel.
 */
function tileError(
  pic: Picture,
  rect: PanelRect,
  tile: number,
  source: Float32Array,
  image: number,
  shape: ImageShape,
): number {
  const r = cellRect(rect, tile);
  // At least two drawn pixels per image pixel, so that a centre sample is unambiguous.
  expect(r.width / shape.width).toBeGreaterThan(2);
  const d = shape.width * shape.height * shape.channels;
  let worst = 0;
  for (let py = 0; py < shape.height; py++) {
    for (let px = 0; px < shape.width; px++) {
      const got = rgbAt(
        pic,
        r.left + ((px + 0.5) * r.width) / shape.width,
        r.top + ((py + 0.5) * r.height) / shape.height,
      );
      for (let c = 0; c < 3; c++) {
        const v =
          source[
            image * d + (py * shape.width + px) * shape.channels + (shape.channels === 3 ? c : 0)
          ]!;
        const want = 255 * Math.min(1, Math.max(0, (v + 1) / 2));
        worst = Math.max(worst, Math.abs(got[c]! - want));
      }
    }
  }
  return worst;
}

const BACKGROUND = [11, 13, 18];
const MEMORISED = [255, 90, 54];
const distance = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

// 8-bit: either nearest level (1), after a half-float buffer (255 (1.055/2.4) 2^-11) and f32 pow.
const LEVELS = 1 + 255 * (1.055 / 2.4) * 2 ** -11 + 0.01;
const PIXEL_MODEL = 'one 8-bit level after a half-float linear buffer';

/** Drawn within LEVELS of its value: a tile's worst pixel, or a colour (an exact byte triple). */
const expectPixels = (error: number, what: string) =>
  within(error, LEVELS, `${what}: ${PIXEL_MODEL}`);

/** Every grid panel shown matches its buffers; the nearest panel's frames and empty cells too. */
function checkGrid(pic: Picture, b: Batch): void {
  const kinds = grid.layout.panels.map((p) => p.kind);
  for (const kind of kinds) {
    const rect = panel(kind);
    let worst = 0;
    for (let i = 0; i < b.n; i++) {
      if (kind === 'x') worst = Math.max(worst, tileError(pic, rect, i, b.x, i, b.shape));
      if (kind === 'x0hat') worst = Math.max(worst, tileError(pic, rect, i, b.x0hat, i, b.shape));
      if (kind === 'nearest') {
        worst = Math.max(worst, tileError(pic, rect, i, b.data, b.shown[i]!, b.shape));
        // The left half-gap of the cell: framed when memorised, else background.
        const c = cellRect(rect, i);
        const rim = rgbAt(pic, c.left - rect.gap / 4, c.top + c.height / 2);
        expectPixels(distance(rim, b.memorised[i] ? MEMORISED : BACKGROUND), `rim ${i}`);
      }
    }
    expectPixels(worst, `${kind} panel`);
    for (let t = b.n; t < rect.cols * rect.rows; t++) {
      const c = cellRect(rect, t);
      expectPixels(
        distance(rgbAt(pic, c.left + c.width / 2, c.top + c.height / 2), BACKGROUND),
        `empty cell ${t}`,
      );
    }
  }
}

describe(`image grid (SEED=${seed})`, () => {
  test('greyscale 28x28: x, x0hat and nearest panels match the buffers pixel for pixel', async () => {
    const b = makeBatch(GREY, 12, 64);
    grid.setBuffers(b.buffers);
    grid.setPanels({ x0hat: true, nearest: true });
    const all = await draw('grey', 1100, 300);
    expect(grid.layout.panels.map((p) => p.kind)).toEqual(['x', 'x0hat', 'nearest']);
    checkGrid(all, b);
    grid.setPanels({ x0hat: false, nearest: false });
    const alone = await draw('grey-x', 300, 380);
    expect(grid.layout.panels.map((p) => p.kind)).toEqual(['x']);
    checkGrid(alone, b);
  });

  test('RGB 32x32: side by side when wide, stacked when tall', async () => {
    const b = makeBatch(RGB, 7, 80);
    grid.setBuffers(b.buffers);
    grid.setPanels({ x0hat: true, nearest: true });
    checkGrid(await draw('rgb', 1100, 340), b);
    const [x, x0hat, nearest] = grid.layout.panels;
    expect(x!.top).toBe(x0hat!.top);
    expect(nearest!.left).toBeGreaterThan(x0hat!.left);
    checkGrid(await draw('rgb-tall', 340, 1100), b);
    const [tx, tx0hat] = grid.layout.panels;
    expect(tx!.left).toBe(tx0hat!.left);
    expect(tx0hat!.top).toBeGreaterThan(tx!.top);
  });

  test('following an image: it, its x0hat and nearest large, its filmstrip oldest to newest', async () => {
    const b = makeBatch(GREY, 9, 50);
    grid.setBuffers(b.buffers);
    grid.setPanels({ x0hat: true, nearest: true });
    const followed = 2 + rng.int(b.n - 2);
    const frames: Float32Array[] = [];
    const record = (count: number) => {
      for (let r = 0; r < count; r++) {
        const x = randomImages(b.n * b.d);
        frames.push(x.slice(followed * b.d, (followed + 1) * b.d));
        device.queue.writeBuffer(b.buffers.x, 0, x);
        b.x.set(x);
        const encoder = device.createCommandEncoder();
        b.filmstrip.record(encoder, b.buffers.x, followed, b.d);
        device.queue.submit([encoder.finish()]);
      }
    };
    record(K + 3);
    const state = new Uint32Array(await readback(device, b.filmstrip.state!));
    expect([...state]).toEqual([b.filmstrip.head, b.filmstrip.frames]);
    expect(b.filmstrip.frames).toBe(K);
    grid.follow(followed);
    const pic = await draw('follow', 800, 600);
    expect(grid.layout.panels.map((p) => p.kind)).toEqual([
      'big-x',
      'big-x0hat',
      'big-nearest',
      'strip',
    ]);
    expectPixels(tileError(pic, panel('big-x'), 0, b.x, followed, GREY), 'big x');
    expectPixels(tileError(pic, panel('big-x0hat'), 0, b.x0hat, followed, GREY), 'big x0hat');
    expectPixels(
      tileError(pic, panel('big-nearest'), 0, b.data, b.shown[followed]!, GREY),
      'big nearest',
    );
    const recent = frames.slice(-K);
    for (let t = 0; t < K; t++) {
      expectPixels(tileError(pic, panel('strip'), t, recent[t]!, 0, GREY), `frame ${t}`);
    }
    // After a reset, a short trajectory: its frames first, then empty cells.
    b.filmstrip.reset();
    frames.length = 0;
    record(5);
    const short = await draw('follow-short', 800, 600);
    for (let t = 0; t < 5; t++) {
      expectPixels(tileError(short, panel('strip'), t, frames[t]!, 0, GREY), `frame ${t}`);
    }
    for (let t = 5; t < K; t++) {
      const c = cellRect(panel('strip'), t);
      expectPixels(
        distance(rgbAt(short, c.left + c.width / 2, c.top + c.height / 2), BACKGROUND),
        `empty frame ${t}`,
      );
    }
    grid.follow(null);
  });

  test('pick maps tile centres to their image; while following, elsewhere returns to the grid', () => {
    const b = makeBatch(GREY, 10, 64);
    grid.setBuffers(b.buffers);
    grid.setPanels({ x0hat: true, nearest: true });
    // Laid out for the live canvas again (draw leaves the last picture's layout).
    view.resize();
    const rect = canvas.getBoundingClientRect();
    expect(grid.layout.width).toBe(rect.width);
    const client = (x: number, y: number): [number, number] => [
      rect.left + (x * rect.width) / grid.layout.width,
      rect.top + (y * rect.height) / grid.layout.height,
    ];
    const centre = (p: PanelRect, t: number) => {
      const c = cellRect(p, t);
      return client(c.left + c.width / 2, c.top + c.height / 2);
    };
    for (const p of grid.layout.panels) {
      for (let t = 0; t < p.cols * p.rows; t++) {
        expect(grid.pick(...centre(p, t), rect), `${p.kind} ${t}`).toBe(t < b.n ? t : null);
      }
    }
    expect(grid.pick(...client(1, 1), rect)).toBeNull();
    const target = rng.int(b.n);
    grid.follow(grid.pick(...centre(panel('x0hat'), target), rect));
    expect(grid.following).toBe(target);
    expect(grid.pick(...centre(panel('big-x'), 0), rect)).toBe(target);
    expect(grid.pick(...centre(panel('big-x0hat'), 0), rect)).toBe(target);
    grid.follow(grid.pick(...centre(panel('strip'), 3), rect));
    expect(grid.following).toBeNull();
    expect(grid.layout.panels.map((p) => p.kind)).toEqual(['x', 'x0hat', 'nearest']);
  });
});
