/**
 * The float64 reference of the 3x3 convolution (src/maths/learn/conv.ts), on fresh random inputs
 * (seed in the names; SEED=... replays):
 *   - its backward passes against central finite differences of a float64 loss, within the error
 *     model of ./finiteDifferences.ts, every coordinate (so every edge and corner pixel);
 *   - all three passes against the same maths written another way: the image padded explicitly
 *     with zeros, cut into 3x3 patches (im2col), and the linear layer of src/maths/learn/linear.ts
 *     over the patches (PyTorch's W[o][i][ky][kx] then b[o] is a linear layer's W (cout x 9 cin)
 *     then b). The two sum in different orders, so each is within gamma_K sum|terms| of the exact
 *     value (float64 dot-product bound, Higham 2002 eq. 3.5) and they differ by twice that;
 *   - the weights' gradient's split of the pixels into chunks (src/sim/learn/conv.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  conv3x3BackwardInput,
  conv3x3BackwardWeight,
  conv3x3Forward,
  convParameters,
  type ConvShape,
} from '../../src/maths/learn/conv';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  type LinearShape,
} from '../../src/maths/learn/linear';
import { Rng } from '../../src/maths/rng';
import {
  CONV_CHUNK_PIXELS,
  CONV_OUT,
  CONV_TILE,
  GRAD_IN,
  GRAD_OUT,
  splitRows,
} from '../../src/sim/learn/conv';
import { MAX_SPLIT_FLOATS, MAX_WEIGHT_SPLITS } from '../../src/sim/learn/ops';
import { SEED, within } from '../random';
import { centralDifference, gradientRounding } from './finiteDifferences';

const rng = new Rng(SEED, 137);
const normals = (n: number, scale = 1): Float64Array =>
  Float64Array.from({ length: n }, () => scale * rng.normal());
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);
const EPS64 = 2 ** -53;

/** Every coordinate of `grad` against the central difference of f along it. */
function expectGradient(
  what: string,
  f: () => number,
  x: Float64Array,
  grad: ArrayLike<number>,
  chain: number,
): void {
  expect(grad.length).toBe(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = centralDifference(f, x, i, chain);
    within(
      Math.abs(grad[i]! - d.value),
      d.bound + gradientRounding(grad[i]!, chain),
      `${what}[${i}]: central difference, h^2 M3 / 6 + delta / h`,
    );
  }
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe(`3x3 convolution, float64 backward against finite differences (SEED=${SEED})`, () => {
  for (const [batch, cin, cout, height, width] of [
    [2, 3, 2, 4, 5],
    [1, 2, 3, 1, 1],
    [2, 1, 2, 1, 4],
    [1, 2, 1, 3, 1],
  ] as const) {
    test(`<C, conv(X)>: dX, dW, db; batch ${batch}, ${cin} -> ${cout}, ${height}x${width}`, () => {
      const s: ConvShape = { batch, channelsIn: cin, channelsOut: cout, height, width, offset: 3 };
      const params = normals(s.offset + convParameters(cin, cout) + 2);
      const x = normals(batch * cin * height * width);
      const c = normals(batch * cout * height * width);
      const f = (): number => dot(c, conv3x3Forward(s, x, params));
      // Longest float64 chain: 9 cin products per output, then the read-out's sum.
      const chain = 9 * cin + 9 * cout + c.length;
      expectGradient('dX', f, x, conv3x3BackwardInput(s, c, params), chain);
      const grads = new Float64Array(params.length);
      conv3x3BackwardWeight(s, x, c, grads);
      // Outside the layer's part grads stays 0, and so does f's derivative there.
      expectGradient('[dW | db]', f, params, grads, chain + batch * height * width);
    });
  }

  test('two layers and a squared error: the chain rule through dX', () => {
    const first: ConvShape = {
      batch: 2,
      channelsIn: 2,
      channelsOut: 3,
      height: 3,
      width: 4,
      offset: 0,
    };
    const second: ConvShape = {
      ...first,
      channelsIn: 3,
      channelsOut: 2,
      offset: convParameters(2, 3),
    };
    const params = normals(second.offset + convParameters(3, 2), 0.5);
    const x = normals(2 * 2 * 3 * 4);
    const t = normals(2 * 2 * 3 * 4);
    const loss = (): number => {
      const y = conv3x3Forward(second, conv3x3Forward(first, x, params), params);
      let l = 0;
      for (let i = 0; i < y.length; i++) l += 0.5 * (y[i]! - t[i]!) ** 2;
      return l;
    };
    const h = conv3x3Forward(first, x, params);
    const y = conv3x3Forward(second, h, params);
    const dy = y.map((v, i) => v - t[i]!);
    const dh = conv3x3BackwardInput(second, dy, params);
    const grads = new Float64Array(params.length);
    conv3x3BackwardWeight(second, h, dy, grads);
    conv3x3BackwardWeight(first, x, dh, grads);
    const chain = 9 * 3 + 9 * 2 + 4 * y.length + 2 * 3 * 4 * 9;
    expectGradient('dθ', loss, params, grads, chain);
    expectGradient('dX', loss, x, conv3x3BackwardInput(first, dh, params), chain);
  });
});

/** The batch's 3x3 patches of the zero-padded image: one row (n, y, x) of 9 cin columns (i, ky, kx). */
function im2col(s: ConvShape, x: ArrayLike<number>): Float64Array {
  const { batch, channelsIn: cin, height: h, width: w } = s;
  const pw = w + 2;
  const padded = new Float64Array(batch * cin * (h + 2) * pw);
  for (let nc = 0; nc < batch * cin; nc++)
    for (let y = 0; y < h; y++)
      for (let q = 0; q < w; q++)
        padded[(nc * (h + 2) + y + 1) * pw + q + 1] = x[(nc * h + y) * w + q]!;
  const cols = new Float64Array(batch * h * w * cin * 9);
  let k = 0;
  for (let n = 0; n < batch; n++)
    for (let y = 0; y < h; y++)
      for (let q = 0; q < w; q++)
        for (let i = 0; i < cin; i++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++)
              cols[k++] = padded[((n * cin + i) * (h + 2) + y + ky) * pw + q + kx]!;
  return cols;
}

/** Rows (n, y, x) x channels -> NCHW, and back. */
function rowsToNchw(s: ConvShape, rows: ArrayLike<number>, channels: number): Float64Array {
  const hw = s.height * s.width;
  const out = new Float64Array(s.batch * channels * hw);
  for (let n = 0; n < s.batch; n++)
    for (let p = 0; p < hw; p++)
      for (let c = 0; c < channels; c++)
        out[(n * channels + c) * hw + p] = rows[(n * hw + p) * channels + c]!;
  return out;
}
function nchwToRows(s: ConvShape, a: ArrayLike<number>, channels: number): Float64Array {
  const hw = s.height * s.width;
  const rows = new Float64Array(a.length);
  for (let n = 0; n < s.batch; n++)
    for (let p = 0; p < hw; p++)
      for (let c = 0; c < channels; c++)
        rows[(n * hw + p) * channels + c] = a[(n * channels + c) * hw + p]!;
  return rows;
}

/** The patches' gradient added back onto the padded image, its border dropped (col2im). */
function col2im(s: ConvShape, cols: ArrayLike<number>): Float64Array {
  const { batch, channelsIn: cin, height: h, width: w } = s;
  const pw = w + 2;
  const padded = new Float64Array(batch * cin * (h + 2) * pw);
  let k = 0;
  for (let n = 0; n < batch; n++)
    for (let y = 0; y < h; y++)
      for (let q = 0; q < w; q++)
        for (let i = 0; i < cin; i++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++)
              padded[((n * cin + i) * (h + 2) + y + ky) * pw + q + kx]! += cols[k++]!;
  const x = new Float64Array(batch * cin * h * w);
  for (let nc = 0; nc < batch * cin; nc++)
    for (let y = 0; y < h; y++)
      for (let q = 0; q < w; q++)
        x[(nc * h + y) * w + q] = padded[(nc * (h + 2) + y + 1) * pw + q + 1]!;
  return x;
}

function expectClose(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  sumAbs: ArrayLike<number>,
  terms: number,
): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++)
    within(
      Math.abs(got[i]! - want[i]!),
      2 * (terms + 2) * EPS64 * sumAbs[i]!,
      `${what}[${i}]: two orders of a sum, 2 gamma_K sum|terms|`,
    );
}

describe(`3x3 convolution against im2col and a linear layer (SEED=${SEED})`, () => {
  for (const [batch, cin, cout, height, width] of [
    [2, 3, 5, 7, 7],
    [3, 2, 4, 5, 3],
    [1, 1, 1, 1, 1],
    [1, 4, 2, 2, 6],
  ] as const) {
    test(`forward, dX and [dW | db]; batch ${batch}, ${cin} -> ${cout}, ${height}x${width}`, () => {
      const s: ConvShape = { batch, channelsIn: cin, channelsOut: cout, height, width, offset: 5 };
      const total = s.offset + convParameters(cin, cout) + 3;
      const params = normals(total);
      const x = normals(batch * cin * height * width);
      const dy = normals(batch * cout * height * width);
      const lin: LinearShape = {
        batch: batch * height * width,
        inputs: 9 * cin,
        outputs: cout,
        offset: 5,
      };
      const cols = im2col(s, x);
      const colsAbs = im2col(s, abs(x));

      const y = rowsToNchw(s, linearForward(lin, cols, params), cout);
      const yAbs = conv3x3Forward(s, abs(x), abs(params));
      expectClose('Y', conv3x3Forward(s, x, params), y, yAbs, 9 * cin + 1);

      const dyRows = nchwToRows(s, dy, cout);
      const dx = col2im(s, linearBackwardInput(lin, dyRows, params));
      const dxAbs = conv3x3BackwardInput(s, abs(dy), abs(params));
      expectClose('dX', conv3x3BackwardInput(s, dy, params), dx, dxAbs, 9 * cout);

      // Both write only the layer's part: the rest keeps its marker.
      const want = new Float64Array(total).fill(7);
      linearBackwardWeight(lin, cols, dyRows, want);
      const got = new Float64Array(total).fill(7);
      conv3x3BackwardWeight(s, x, dy, got);
      const gAbs = new Float64Array(total);
      linearBackwardWeight(lin, colsAbs, abs(dyRows), gAbs);
      expectClose('[dW | db]', got, want, gAbs, batch * height * width);
      for (const i of [0, s.offset - 1, total - 3, total - 1]) expect(got[i]).toBe(7);
    });
  }

  test('a 1x1 image: only the centre tap reaches the output', () => {
    const s: ConvShape = {
      batch: 1,
      channelsIn: 2,
      channelsOut: 1,
      height: 1,
      width: 1,
      offset: 0,
    };
    const params = normals(convParameters(2, 1));
    const x = [3, -2];
    const y = conv3x3Forward(s, x, params);
    expect(y[0]).toBe(3 * params[4]! + -2 * params[13]! + params[18]!);
  });
});

describe("the weights' gradient's split of the pixels into chunks of rows", () => {
  test('chunks that are never empty, cover every row, and stay within the caps', () => {
    for (const count of [14, 50_000, 2 ** 23, 2 ** 24])
      for (const [rows, width] of [
        [1, 1],
        [7, 7],
        [56, 28],
        [28 * 256, 28],
        [3, 5000],
        [64 * 64, 64],
      ] as const) {
        const { splits, chunk } = splitRows(rows, width, count);
        const what = `${rows} rows of ${width}, ${count} parameters: ${splits} x ${chunk}`;
        expect((splits - 1) * chunk, what).toBeLessThan(rows);
        expect(splits * chunk, what).toBeGreaterThanOrEqual(rows);
        expect(splits, what).toBeLessThanOrEqual(MAX_WEIGHT_SPLITS);
        if (splits > 1) expect(splits * count, what).toBeLessThanOrEqual(MAX_SPLIT_FLOATS);
        if (rows * width <= CONV_CHUNK_PIXELS) expect(splits, what).toBe(1);
        const capped = Math.min(MAX_WEIGHT_SPLITS, Math.floor(MAX_SPLIT_FLOATS / count));
        // Uncapped, a chunk holds at most CONV_CHUNK_PIXELS pixels, or one row when a row is longer.
        const rowsPerChunk = Math.floor(CONV_CHUNK_PIXELS / width);
        if (rowsPerChunk >= 1 && Math.ceil(rows / rowsPerChunk) <= capped)
          expect(chunk * width, what).toBeLessThanOrEqual(CONV_CHUNK_PIXELS);
      }
  });
});

describe('the dispatch sizes of src/sim/learn/conv.ts and the kernels', () => {
  /** The value of `const name = ...u;` in a WGSL file of shaders/. */
  const constant = (file: string, name: string): number => {
    const wgsl = readFileSync(new URL(`../../shaders/${file}`, import.meta.url), 'utf8');
    const m = new RegExp(`^const ${name} = (\\d+)u;`, 'm').exec(wgsl);
    if (!m) throw new Error(`${file}: no const ${name}`);
    return Number(m[1]);
  };

  test('tiles and channel blocks agree, halos are a tile plus 2', () => {
    const tile = 'lib/conv_tile.wgsl';
    const weight = 'learn/conv3x3_backward_weight.wgsl';
    expect(constant(tile, 'CONV_TILE')).toBe(CONV_TILE);
    expect(constant(tile, 'CONV_OUT')).toBe(CONV_OUT);
    expect(constant(tile, 'CONV_HALO')).toBe(CONV_TILE + 2);
    expect(constant(weight, 'GRAD_IN')).toBe(GRAD_IN);
    expect(constant(weight, 'GRAD_OUT')).toBe(GRAD_OUT);
    expect(constant(weight, 'GRAD_HALO')).toBe(constant(weight, 'GRAD_SEG') + 2);
  });
});
