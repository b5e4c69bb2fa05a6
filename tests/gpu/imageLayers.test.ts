/**
 * The U-Net's non-convolution kernels (shaders/learn/, dispatched by src/sim/learn/imageLayers.ts)
 * on real WebGPU against their float64 references (src/maths/learn/imageLayers.ts), on fresh
 * random inputs (seed in the names; SEED=... replays). Tolerances come from float32 error models
 * of each kernel's own arithmetic, in its own order, u = 2^-24 (F32 of ./harness.ts: + - *
 * correctly rounded, / 2.5 ulp, 1 / sqrt as inverseSqrt's 2 ulp and more):
 *   - a sum over a workgroup: sum of the terms' own bounds + L u sum|terms|, L = ceil(m / lanes)
 *     + log2(lanes), the serial chain of a lane then the tree (lib/reduce.wgsl);
 *   - GroupNorm: the shifted two-pass statistics (x - p, shift, the squares, var, 1 / sqrt),
 *     then the affine step, each operation through F32; its backward the same way from the
 *     forward's own statistics (their bounds carried);
 *   - pooling and up-sampling's backward: the 4-term sum in its order; the copies, 0.25 dy and
 *     the per-channel add (correctly rounded, WGSL section 15.7.4) exact.
 * Values of grads outside the layer's part must stay as they were, exactly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  addPerChannel,
  addPerChannelBackward,
  avgPoolDown,
  avgPoolDownBackward,
  concatChannels,
  GROUP_NORM_EPS,
  groupNormBackward,
  groupNormForward,
  groupNormParameters,
  groupNormStats,
  splitChannels,
  upsampleNearest,
  upsampleNearestBackward,
  type GroupNormShape,
  type ImageShape,
} from '../../src/maths/learn/imageLayers';
import { Rng } from '../../src/maths/rng';
import {
  compileImageKernels,
  createAddPerChannel,
  createAvgPoolDown,
  createConcatChannels,
  createGroupNorm,
  createUpsampleNearest,
  GROUP_NORM_STATS,
  PLANE_SIZE,
  type ImageKernels,
} from '../../src/sim/learn/imageLayers';
import { SEED } from '../random';
import { F32, gpuErrors, testGpu, expectWithin, scratch, type Scratch } from './harness';
import { chain, groupNormBackwardModel, groupNormModel, sumF32 } from './imageModels';

const rng = new Rng(SEED, 143);
let device: GPUDevice;
let kernels: ImageKernels;
let io: Scratch;

beforeAll(async () => {
  device = (await testGpu()).device;
  io = scratch(device, 'image layers test');
  kernels = await compileImageKernels(device, shaderSources);
});
afterEach(() => expect(gpuErrors).toEqual([]));
afterAll(() => io.destroy());
const buffer = (data: Float32Array<ArrayBuffer> | number): GPUBuffer => io.buffer(data);
const run = (record: (pass: GPUComputePassEncoder) => void): Promise<void> => io.run(record);
const read = (b: GPUBuffer, n: number): Promise<Float32Array> => io.read(b, n);

const normals = (n: number, scale = 1, shift = 0): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: n }, () => shift + scale * rng.normal());

describe(`U-Net layers on the GPU (SEED=${SEED})`, () => {
  for (const [batch, channels, groups, height, width, shift] of [
    [3, 6, 3, 7, 7, 0],
    [2, 5, 5, 2, 2, 0],
    // A group of 3136 values: 13 a lane before the tree.
    [2, 4, 1, 28, 28, 0],
    [4, 12, 4, 9, 9, 0],
    // Mean 1000 against a spread of 1: |mean| / std = 1000, which a one-pass sum of squares (or
    // x - mean with the mean rounded) would pay in full. The shifted two passes' bound holds
    // |x - p|, of the spread's size: this case checks that the kernel keeps it (with the pivot
    // set to 0, y was off by 4e-5 against a bound of 4e-7, while the mean-0 cases passed).
    [2, 6, 2, 5, 3, 1000],
  ] as const) {
    const name = `GroupNorm forward and backward, ${batch} x ${channels} channels in ${groups} groups, ${height} x ${width}, mean ${shift}`;
    test(name, async () => {
      const s: GroupNormShape = {
        batch,
        channels,
        groups,
        height,
        width,
        offset: 3,
        eps: GROUP_NORM_EPS,
      };
      const n = batch * channels * height * width;
      const total = s.offset + groupNormParameters(channels) + 2;
      const params = normals(total);
      const x = normals(n, 1, shift);
      const dy = normals(n);
      const grads = normals(total);
      const before = grads.slice();
      const norm = createGroupNorm(device, kernels, s);
      const b = {
        x: buffer(x),
        params: buffer(params),
        dy: buffer(dy),
        grads: buffer(grads),
        y: buffer(n),
        dx: buffer(n),
        stats: buffer(norm.statsFloats),
        sums: buffer(norm.sumsFloats),
      };
      await run((pass) => {
        norm.forward(pass, b);
        norm.backward(pass, b);
      });
      norm.destroy();
      const model = groupNormModel(s, x, params);
      const f64 = groupNormStats(s, x);
      const stats = await read(b.stats, norm.statsFloats);
      const m = (channels / groups) * height * width;
      const k3 = (i: number): number => Math.floor(i / GROUP_NORM_STATS);
      expectWithin(
        'stats (pivot, shift, r)',
        stats,
        Array.from(stats, (_, i) => {
          const k = k3(i);
          const p = x[k * m]!;
          return [p, f64.mean[k]! - p, f64.rstd[k]!][i % GROUP_NORM_STATS]!;
        }),
        (i) => {
          const k = k3(i);
          // The pivot is the group's first value, exactly.
          return [0, model.shift[k]!.e, model.r[k]!.e][i % GROUP_NORM_STATS]!;
        },
        'F32: shifted two passes, workgroup sums (L + log2 lanes) u sum|terms|',
      );
      expectWithin(
        'y',
        await read(b.y, n),
        groupNormForward(s, x, params),
        (i) => model.y[i]!.e,
        'F32: ((x - p) - shift) r gamma + beta from the bounded statistics',
      );

      const bounds = groupNormBackwardModel(s, dy, params, model);
      const dxBound = bounds.dx;
      const cpuGrads = Float64Array.from(before);
      const dx = groupNormBackward(s, x, dy, params, cpuGrads);
      expectWithin(
        'dx',
        await read(b.dx, n),
        dx,
        (i) => dxBound[i]!,
        'F32: r ((dy gamma - a / m) - xhat (b / m)), a and b from the plane sums',
      );
      const gradBound = bounds.grads;
      expectWithin(
        '[dgamma | dbeta]',
        await read(b.grads, total),
        cpuGrads,
        gradBound,
        'plane sums, then added over the batch in order; exact outside the layer',
      );
    });
  }

  for (const [batch, channels, height, width] of [
    [2, 3, 2, 2],
    [2, 3, 6, 10],
    [3, 5, 28, 28],
  ] as const) {
    test(`2x average pooling and nearest up-sampling, ${batch} x ${channels} x ${height} x ${width}`, async () => {
      const s: ImageShape = { batch, channels, height, width };
      const coarse: ImageShape = { ...s, height: height / 2, width: width / 2 };
      const n = batch * channels * height * width;
      const x = normals(n);
      const dyCoarse = normals(n / 4);
      const xCoarse = normals(n / 4);
      const dyFine = normals(n);
      const pool = createAvgPoolDown(device, kernels, s);
      const up = createUpsampleNearest(device, kernels, coarse);
      const out = {
        pooled: buffer(n / 4),
        poolDx: buffer(n),
        upsampled: buffer(n),
        upDx: buffer(n / 4),
      };
      await run((pass) => {
        pool.forward(pass, { x: buffer(x), y: out.pooled });
        pool.backward(pass, { dy: buffer(dyCoarse), dx: out.poolDx });
        up.forward(pass, { x: buffer(xCoarse), y: out.upsampled });
        up.backward(pass, { dy: buffer(dyFine), dx: out.upDx });
      });
      pool.destroy();
      up.destroy();
      // The kernels' order: ((top-left + top-right) + (bottom-left + bottom-right)). Three
      // roundings of at most u |value| each, with no slack: 28 x 28 reaches 0.9 of the bound.
      const four = (v: Float32Array, o: number): F32 => {
        const t = Math.floor(o / (width / 2)) * 2 * width + 2 * (o % (width / 2));
        const at = (i: number): F32 => new F32(v[i]!);
        return at(t)
          .add(at(t + 1))
          .add(at(t + width).add(at(t + width + 1)));
      };
      expectWithin(
        'pooled',
        await read(out.pooled, n / 4),
        avgPoolDown(s, x),
        (o) => four(x, o).mul(0.25).e,
        'F32: the 4-term sum in order, times 0.25',
      );
      // 0.25 dy and copies: a power-of-two scale of a normal float32 (no underflow at these
      // sizes) and a copy are exact.
      expect(Array.from(await read(out.poolDx, n))).toEqual(
        Array.from(avgPoolDownBackward(s, dyCoarse)),
      );
      expect(Array.from(await read(out.upsampled, n))).toEqual(
        Array.from(upsampleNearest(coarse, xCoarse)),
      );
      expectWithin(
        'up-sampling dx',
        await read(out.upDx, n / 4),
        upsampleNearestBackward(coarse, dyFine),
        (o) => four(dyFine, o).e,
        'F32: the 4 children summed in order',
      );
    });
  }

  test('skip concatenation along channels and its split, 3 x (3 + 5) x 7 x 7', async () => {
    const s = { batch: 3, pixels: 49, channelsA: 3, channelsB: 5 };
    const a = normals(3 * 3 * 49);
    const b = normals(3 * 5 * 49);
    const dy = normals(3 * 8 * 49);
    const cat = createConcatChannels(device, kernels, s);
    const [y, da, db] = [buffer(dy.length), buffer(a.length), buffer(b.length)];
    await run((pass) => {
      cat.forward(pass, { a: buffer(a), b: buffer(b), y });
      cat.backward(pass, { dy: buffer(dy), da, db });
    });
    cat.destroy();
    // Copies: exact.
    expect(Array.from(await read(y, dy.length))).toEqual(Array.from(concatChannels(s, a, b)));
    const split = splitChannels(s, dy);
    expect(Array.from(await read(da, a.length))).toEqual(Array.from(split.da));
    expect(Array.from(await read(db, b.length))).toEqual(Array.from(split.db));
  });

  for (const [batch, channels, height, width] of [
    [3, 7, 9, 9],
    [2, 5, 28, 28],
  ] as const) {
    test(`time embedding added per channel, ${batch} x ${channels} x ${height} x ${width}`, async () => {
      const s: ImageShape = { batch, channels, height, width };
      const pixels = height * width;
      const n = batch * channels * pixels;
      const x = normals(n);
      const t = normals(batch * channels);
      const dy = normals(n);
      const add = createAddPerChannel(device, kernels, s);
      const [y, dt] = [buffer(n), buffer(t.length)];
      await run((pass) => {
        add.forward(pass, { x: buffer(x), t: buffer(t), y });
        add.backward(pass, { dy: buffer(dy), dt });
      });
      add.destroy();
      // One correctly rounded addition (WGSL section 15.7.4): exactly fround(x + t).
      expect(Array.from(await read(y, n))).toEqual(
        Array.from(addPerChannel(s, x, t), (v) => Math.fround(v)),
      );
      const l = chain(pixels, PLANE_SIZE);
      expectWithin(
        'dt',
        await read(dt, t.length),
        addPerChannelBackward(s, dy).dt,
        (plane) =>
          sumF32(
            Array.from(dy.subarray(plane * pixels, (plane + 1) * pixels), (v) => new F32(v)),
            l,
          ).e,
        'workgroup sum: (ceil(HW / lanes) + log2 lanes) u sum|dy|',
      );
    });
  }

  test("GroupNorm's statistics layout: GROUP_NORM_STATS is lib/group_norm.wgsl's STATS", () => {
    const wgsl = /const STATS = (\d+)u;/.exec(shaderSources['lib/group_norm.wgsl'] ?? '');
    expect(Number(wgsl?.[1])).toBe(GROUP_NORM_STATS);
  });

  test('layers refuse shapes they cannot take', () => {
    const s: ImageShape = { batch: 1, channels: 2, height: 7, width: 8 };
    expect(() => createAvgPoolDown(device, kernels, s)).toThrow(/not even/);
    const g = { ...s, groups: 3, offset: 0, eps: GROUP_NORM_EPS };
    expect(() => createGroupNorm(device, kernels, g)).toThrow(/do not divide/);
  });
});
