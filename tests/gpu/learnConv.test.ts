/**
 * The 3x3 convolution's kernels (shaders/learn/conv3x3_*.wgsl, dispatched by
 * src/sim/learn/conv.ts) on real WebGPU against their float64 reference
 * (src/maths/learn/conv.ts), on fresh random inputs (seed in the names; SEED=... replays).
 * Error model, u = 2^-24, each sum in float32 in a fixed order (fused or not, each step rounds at
 * most once per operation), so within gamma_K = (K + 2) u of sum|terms| (the dot-product bound of
 * Higham 2002, eq. 3.5, with a rounding more for the bias), sum|terms| being the float64 reference
 * run on |inputs|:
 *   - Y:  K = 9 cin products (over i, then ky, then kx), then + b:  gamma_{9 cin} (sum|x w| + |b|);
 *   - dX: K = 9 cout products (over o, then ky, then kx):           gamma_{9 cout} sum|dy w|;
 *   - [dW | db]: each chunk a chain of chunk W products, then the chunks' sums added in order
 *     (learn/grad_reduce): depth chunk W + splits - 1 <= P = batch H W, so gamma_P sum|dy x|.
 * Terms past the image's edge are exact zeros (0 x w), which add no rounding. What a kernel must
 * not write (the rest of `grads`, floats past the end of Y and dX) is checked exactly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  conv3x3BackwardInput,
  conv3x3BackwardWeight,
  conv3x3Forward,
  convParameters,
  type ConvShape,
} from '../../src/maths/learn/conv';
import { Rng } from '../../src/maths/rng';
import {
  compileConvKernels,
  createConv3x3,
  splitRows,
  type ConvKernels,
} from '../../src/sim/learn/conv';
import { SEED } from '../random';
import { gpuErrors, testGpu, expectWithin, scratch, type Scratch } from './harness';

const U = 2 ** -24;
const rng = new Rng(SEED, 139);
let device: GPUDevice;
let kernels: ConvKernels;
let io: Scratch;

beforeAll(async () => {
  device = (await testGpu()).device;
  io = scratch(device, 'conv test');
  kernels = await compileConvKernels(device, shaderSources);
});
afterEach(() => expect(gpuErrors).toEqual([]));
afterAll(() => io.destroy());
const buffer = (data: Float32Array<ArrayBuffer> | number): GPUBuffer => io.buffer(data);
const run = (record: (pass: GPUComputePassEncoder) => void): Promise<void> => io.run(record);
const read = (b: GPUBuffer, n: number): Promise<Float32Array> => io.read(b, n);

const normals = (n: number, scale = 1): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: n }, () => scale * rng.normal());
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

/** Floats after each output that no kernel may write: a bounds guard missing shows there. */
const TAIL = 3;
const MARK = 12345.5;

/** `values`, then TAIL marks. */
function withTail(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length + TAIL).fill(MARK);
  out.set(values);
  return out;
}

describe(`3x3 convolution kernels on the GPU (SEED=${SEED})`, () => {
  for (const { batch, cin, cout, height, width, chunk } of [
    { batch: 2, cin: 3, cout: 5, height: 7, width: 7 },
    // Rows of 3 in chunks of 2: 8 chunks, most across two images, the last one short.
    { batch: 3, cin: 2, cout: 4, height: 5, width: 3, chunk: 2 },
    // Past CONV_CHUNK_PIXELS: split by splitRows (4 chunks of 14 rows).
    { batch: 2, cin: 3, cout: 5, height: 28, width: 28 },
    // Channels past one staged block and one workgroup's (o, i) pairs; rows past one segment.
    { batch: 2, cin: 9, cout: 10, height: 9, width: 40 },
    { batch: 1, cin: 1, cout: 1, height: 1, width: 1 },
  ]) {
    const name = `batch ${batch}, ${cin} -> ${cout}, ${height}x${width}`;
    test(`forward, dX and [dW | db]: ${name}`, async () => {
      const offset = 3;
      const s: ConvShape = { batch, channelsIn: cin, channelsOut: cout, height, width, offset };
      const total = offset + convParameters(cin, cout) + 2;
      const params = normals(total, 1 / Math.sqrt(9 * cin));
      const pixels = batch * height * width;
      const x = normals(pixels * cin);
      const dy = normals(pixels * cout);
      const grads = normals(total);
      const rows = batch * height;
      const { splits, chunk: rowsPerChunk } =
        chunk === undefined
          ? splitRows(rows, width, total)
          : { splits: Math.ceil(rows / chunk), chunk };
      const split =
        splits > 1
          ? {
              splits,
              chunk: rowsPerChunk,
              slice: total,
              partials: buffer(new Float32Array(splits * total)),
              reduce: true,
            }
          : undefined;
      if (height === 28 || chunk !== undefined) expect(splits).toBeGreaterThan(2);
      const b = { x: buffer(x), params: buffer(params), dy: buffer(dy), grads: buffer(grads) };
      const y = buffer(new Float32Array(pixels * cout + TAIL).fill(MARK));
      const dx = buffer(new Float32Array(pixels * cin + TAIL).fill(MARK));
      const layer = createConv3x3(device, kernels, s, split);
      await run((pass) => {
        layer.forward(pass, { x: b.x, params: b.params, y });
        layer.backward(pass, { ...b, dx });
      });
      layer.destroy();
      const gamma = (k: number): number => (k + 2) * U;
      const yAbs = conv3x3Forward(s, abs(x), abs(params));
      expectWithin(
        'Y',
        await read(y, pixels * cout + TAIL),
        withTail(conv3x3Forward(s, x, params)),
        (i) => (i < yAbs.length ? gamma(9 * cin) * yAbs[i]! : 0),
        'gamma_{9 cin} (sum|x w| + |b|), nothing written past the end',
      );
      const dxAbs = conv3x3BackwardInput(s, abs(dy), abs(params));
      expectWithin(
        'dX',
        await read(dx, pixels * cin + TAIL),
        withTail(conv3x3BackwardInput(s, dy, params)),
        (i) => (i < dxAbs.length ? gamma(9 * cout) * dxAbs[i]! : 0),
        'gamma_{9 cout} sum|dy w|, nothing written past the end',
      );
      const cpu = Float64Array.from(grads);
      conv3x3BackwardWeight(s, x, dy, cpu);
      const gAbs = new Float64Array(total);
      conv3x3BackwardWeight(s, abs(x), abs(dy), gAbs);
      const inside = (i: number): boolean => i >= offset && i < offset + convParameters(cin, cout);
      expectWithin(
        '[dW | db]',
        await read(b.grads, total),
        cpu,
        (i) => (inside(i) ? gamma(pixels) * gAbs[i]! : 0),
        `gamma_P sum|dy x| (P = ${pixels}, ${splits} chunks), exact outside the layer`,
      );
    });
  }
});
