/**
 * The learned denoiser's layer kernels (shaders/learn/, dispatched by src/sim/learn/layers.ts) on
 * real WebGPU against their float64 references (src/maths/learn/), on fresh random inputs (seed in
 * the names; SEED=... replays). Tolerances come from float32 error models of each kernel's own
 * arithmetic, u = 2^-24 (the F32 running bounds of ./harness.ts where there is a transcendental):
 *   - a tiled product in the order of k: |err| <= (K + 2) u sum_k |a_mk b_kn| (+ |b_n| for the bias),
 *     the dot-product bound gamma_K (Higham 2002, eq. 3.5) with one rounding more for the bias;
 *     sum |a b| is the float64 reference run on |inputs|;
 *   - the MSE loss and the gradient's squared norm: every term's own bound plus
 *     (L + 16) u sum|terms| for the sums, L the longest serial chain (per lane, then per workgroup
 *     of partials) and 16 the two trees of 256; the norm and the clipping factor on from there
 *     with F32;
 *   - SiLU, GELU, the embedding, AdamW and the EMA: operation by operation with F32;
 *   - the residual add: correctly rounded, so equal to Math.fround(a + b).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { gelu, geluBackward, silu, siluBackward } from '../../src/maths/learn/activations';
import { embed, transformerTurns, type EmbedShape } from '../../src/maths/learn/embedding';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  linearParameters,
  type LinearShape,
} from '../../src/maths/learn/linear';
import { mseLoss } from '../../src/maths/learn/loss';
import {
  adamCorrections,
  adamwStep,
  clipScale,
  DEFAULT_ADAM,
  emaStep,
} from '../../src/maths/learn/optim';
import { Rng } from '../../src/maths/rng';
import {
  compileLearnKernels,
  createActivation,
  createAdamW,
  createAdamWEma,
  createAdd,
  createEma,
  createEmbedding,
  createGradNorm,
  createLinear,
  createMseLoss,
  createSilu,
  record,
  type LearnKernels,
} from '../../src/sim/learn/layers';
import { TrainTable } from '../../src/sim/learn/trainTable';
import { splitBatch, WEIGHT_CHUNK } from '../../src/sim/learn/ops';
import { SEED, within } from '../random';
import {
  cosSin2piF32,
  F32,
  gpuErrors,
  testGpu,
  expectWithin,
  scratch,
  type Scratch,
} from './harness';

const U = 2 ** -24;
const rng = new Rng(SEED, 133);
let device: GPUDevice;
let kernels: LearnKernels;
let io: Scratch;

beforeAll(async () => {
  device = (await testGpu()).device;
  io = scratch(device, 'learn test');
  kernels = await compileLearnKernels(device, shaderSources);
});
afterEach(() => expect(gpuErrors).toEqual([]));
afterAll(() => io.destroy());
const buffer = (data: Float32Array<ArrayBuffer> | number): GPUBuffer => io.buffer(data);
const run = (record: (pass: GPUComputePassEncoder) => void): Promise<void> => io.run(record);
const read = (b: GPUBuffer, n: number): Promise<Float32Array> => io.read(b, n);

const normals = (n: number, scale = 1): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: n }, () => scale * rng.normal());
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

describe(`learned denoiser layers on the GPU (SEED=${SEED})`, () => {
  for (const [batch, inputs, outputs] of [
    [37, 13, 29],
    [50, 128, 128],
    [1, 1, 1],
    // Past WEIGHT_CHUNK rows: the weights' gradient in 3 chunks of 50, then learn/grad_reduce.
    [150, 13, 29],
  ] as const) {
    test(`linear forward and backward, batch ${batch}, ${inputs} -> ${outputs}`, async () => {
      const offset = 3;
      const s: LinearShape = { batch, inputs, outputs, offset };
      const total = offset + linearParameters(inputs, outputs) + 2;
      const params = normals(total, 1 / Math.sqrt(inputs));
      const x = normals(batch * inputs);
      const dy = normals(batch * outputs);
      const grads = normals(total);
      const before = grads.slice();
      const b = { x: buffer(x), params: buffer(params), dy: buffer(dy), grads: buffer(grads) };
      const y = buffer(batch * outputs);
      const dx = buffer(batch * inputs);
      const { splits, chunk } = splitBatch(batch, total);
      const split =
        splits > 1
          ? { splits, chunk, slice: total, partials: buffer(splits * total), reduce: true }
          : undefined;
      expect(splits).toBe(batch > WEIGHT_CHUNK ? Math.ceil(batch / WEIGHT_CHUNK) : 1);
      const layer = createLinear(device, kernels, s, split);
      await run((pass) => {
        layer.forward(pass, { x: b.x, params: b.params, y });
        layer.backward(pass, { ...b, dx });
      });
      layer.destroy();
      const gamma = (k: number): number => (k + 2) * U;
      const yAbs = linearForward(s, abs(x), abs(params));
      expectWithin(
        'Y',
        await read(y, batch * outputs),
        linearForward(s, x, params),
        (i) => gamma(inputs) * yAbs[i]!,
        'gamma_K sum|x w| + u|b|',
      );
      const dxAbs = linearBackwardInput(s, abs(dy), abs(params));
      expectWithin(
        'dX',
        await read(dx, batch * inputs),
        linearBackwardInput(s, dy, params),
        (i) => gamma(outputs) * dxAbs[i]!,
        'gamma_K sum|dy w|',
      );
      const cpu = Float64Array.from(before);
      linearBackwardWeight(s, x, dy, cpu);
      const gAbs = new Float64Array(total);
      linearBackwardWeight(s, abs(x), abs(dy), gAbs);
      // Outside the layer's part, grads keeps its values exactly.
      expectWithin(
        '[dW | db]',
        await read(b.grads, total),
        cpu,
        (i) => gamma(batch) * gAbs[i]!,
        'gamma_B sum|dy x|, exact outside the layer',
      );
    });
  }

  test('SiLU forward and backward, inputs from -20 to 20', async () => {
    const n = 1000 + rng.int(100);
    const x = normals(n, 4);
    x.set([0, -20, 20, -1e-30, 88, -88]);
    const dy = normals(n);
    const yb = buffer(n);
    const dxb = buffer(n);
    const layer = createSilu(device, kernels, n);
    const xb = buffer(x);
    await run((pass) => {
      layer.forward(pass, { x: xb, y: yb });
      layer.backward(pass, { x: xb, dy: buffer(dy), dx: dxb });
    });
    layer.destroy();
    const one = new F32(1);
    const sigmoid = (v: number): F32 => one.div(one.add(new F32(-v).exp()));
    const yBound = (i: number): number => new F32(x[i]!).div(one.add(new F32(-x[i]!).exp())).e;
    expectWithin('y', await read(yb, n), silu(x), yBound, 'F32: x / (1 + exp(-x))');
    const dxBound = (i: number): number => {
      const v = new F32(x[i]!);
      const s = sigmoid(x[i]!);
      return new F32(dy[i]!).mul(s.mul(one.add(v.mul(one.sub(s))))).e;
    };
    expectWithin(
      'dx',
      await read(dxb, n),
      siluBackward(x, dy),
      dxBound,
      'F32: dy s (1 + x (1 - s))',
    );
  });

  test('GELU (tanh form) forward and backward, inputs normal x 4 and out to +-100', async () => {
    const n = 1000 + rng.int(100);
    const x = normals(n, 4);
    x.set([0, -1e-30, 1e-30, -30, 30, -100, 100, -5, 5, -10, 10]);
    const dy = normals(n);
    const yb = buffer(n);
    const dxb = buffer(n);
    const layer = createActivation(device, kernels, n, 'gelu');
    const xb = buffer(x);
    await run((pass) => {
      layer.forward(pass, { x: xb, y: yb });
      layer.backward(pass, { x: xb, dy: buffer(dy), dx: dxb });
    });
    layer.destroy();
    // shaders/lib/gelu.wgsl: u = C (x + A ((x x) x)), e = exp(-2|u|), s = (u >= 0 ? 1 : e) / (1 + e).
    const one = new F32(1);
    const c = F32.of(Math.sqrt(2 / Math.PI));
    const parts = (v: number): { e: F32; d: F32; s: F32 } => {
      const xv = new F32(v);
      const u = c.mul(xv.add(F32.of(0.044715).mul(xv.mul(xv).mul(xv))));
      const e = new F32(-2 * Math.abs(u.v), 2 * u.e).exp();
      const d = one.add(e);
      return { e, d, s: (u.v >= 0 ? one : e).div(d) };
    };
    const yBound = (i: number): number => new F32(x[i]!).mul(parts(x[i]!).s).e;
    expectWithin('y', await read(yb, n), gelu(x), yBound, 'F32: x s, s from e = exp(-2|u|)');
    const dxBound = (i: number): number => {
      const v = new F32(x[i]!);
      const { e, d, s } = parts(x[i]!);
      const du = c.mul(one.add(F32.of(0.134145).mul(v.mul(v))));
      return new F32(dy[i]!).mul(s.add(v.mul(du.mul(2)).mul(e.div(d.mul(d))))).e;
    };
    expectWithin(
      'dx',
      await read(dxb, n),
      geluBackward(x, dy),
      dxBound,
      'F32: dy (s + x (2 du) (e / (d d)))',
    );
  });

  test('residual add: a + b, correctly rounded (WGSL section 15.7.4)', async () => {
    const n = 777;
    const a = normals(n);
    const b = normals(n, 1e-3);
    const y = buffer(n);
    const add = createAdd(device, kernels, n);
    await run((pass) => add.encode(pass, { a: buffer(a), b: buffer(b), y }));
    add.destroy();
    expect(Array.from(await read(y, n))).toEqual(Array.from(a, (v, i) => Math.fround(v + b[i]!)));
  });

  test('sinusoidal embedding of the columns x, y, t into one row', async () => {
    const batch = 45;
    const k = 8;
    const inputs = Float32Array.from({ length: 3 * batch }, (_, i) =>
      i % 3 === 2 ? rng.uniform() : 3 * rng.normal(),
    );
    const width = 2 * k * 3;
    const out = buffer(batch * width);
    const xb = buffer(inputs);
    const cpu = new Float64Array(batch * width);
    const bounds = new Float64Array(batch * width);
    const layers = [25, 25, 1].map((scale, column) => {
      const turns = transformerTurns(k, scale);
      const shape: EmbedShape = {
        batch,
        inStride: 3,
        column,
        outStride: width,
        outOffset: 2 * k * column,
      };
      embed(shape, inputs, turns, cpu);
      for (let r = 0; r < batch; r++)
        for (let j = 0; j < k; j++) {
          const u = F32.of(Math.abs(turns[j]! * inputs[3 * r + column]!));
          const [c, s] = cosSin2piF32(u);
          const at = r * width + shape.outOffset + j;
          bounds[at] = s.e;
          bounds[at + k] = c.e;
        }
      return { layer: createEmbedding(device, kernels, shape, k), turns: buffer(turns) };
    });
    // The three columns in one dispatch (as the network embeds its rows), frequencies per column.
    const all = createEmbedding(
      device,
      kernels,
      { batch, inStride: 3, column: 0, outStride: width, outOffset: 0, columns: 3 },
      k,
    );
    const allTurns = new Float32Array(3 * k);
    [25, 25, 1].forEach((scale, column) => allTurns.set(transformerTurns(k, scale), column * k));
    const together = buffer(batch * width);
    await run((pass) => {
      for (const { layer, turns } of layers) layer.forward(pass, { s: xb, turns, out });
      all.forward(pass, { s: xb, turns: buffer(allTurns), out: together });
    });
    layers.forEach(({ layer }) => layer.destroy());
    all.destroy();
    const separate = await read(out, batch * width);
    expectWithin(
      'embedding',
      separate,
      cpu,
      (i) => bounds[i]!,
      'F32: u = g s rounded, cos_sin_2pi reduction and polynomials',
    );
    // Each lane computes the same operations either way: the same floats.
    expect(Array.from(await read(together, batch * width))).toEqual(Array.from(separate));
  });

  for (const [batch, width] of [
    [37, 2],
    [700, 3],
  ] as const) {
    test(`weighted MSE loss and gradient, batch ${batch} x ${width}, reduced into a slot`, async () => {
      const pred = normals(batch * width);
      const target = normals(batch * width);
      const weight = Float32Array.from({ length: batch }, () => 0.1 + 2 * rng.uniform());
      const loss = createMseLoss(device, kernels, { batch, width, slot: 2 });
      const grad = buffer(batch * width);
      const losses = buffer(Float32Array.from([7, 7, 7, 7]));
      await run((pass) =>
        loss.encode(pass, {
          pred: buffer(pred),
          goal: buffer(target),
          weight: buffer(weight),
          grad,
          partials: buffer(loss.partialBytes / 4),
          losses,
        }),
      );
      loss.destroy();
      const cpu = mseLoss(batch, width, pred, target, weight);
      const scale = F32.of(1 / batch);
      const terms = Array.from(pred, (p, i) => {
        const wd = new F32(weight[Math.floor(i / width)]!).mul(F32.of(p - target[i]!));
        return { wd, term: wd.mul(F32.of(p - target[i]!)) };
      });
      expectWithin(
        'dL/dpred',
        await read(grad, batch * width),
        cpu.grad,
        (i) => scale.mul(2).mul(terms[i]!.wd).e,
        'F32: (2 scale) (w (p - t))',
      );
      const n = batch * width;
      const groups = loss.partialBytes / 4;
      const chain = Math.ceil(n / (256 * groups)) + Math.ceil(groups / 256) + 16;
      let sum = 0;
      let err = 0;
      for (const { term } of terms) {
        sum += Math.abs(term.v);
        err += term.e;
      }
      const total = new F32(cpu.loss / scale.v, err + chain * U * sum).mul(scale);
      const got = await read(losses, 4);
      expect([got[0], got[1], got[3]]).toEqual([7, 7, 7]);
      within(Math.abs(got[2]! - cpu.loss), total.e, 'terms, (L + 16) u sum|terms|, times scale');
    });
  }

  for (const count of [99_074, 1000]) {
    test(`gradient norm and clipping factor over ${count} gradients, clipping on and off`, async () => {
      const g = normals(count, 10 ** (2 * rng.uniform() - 1));
      const grads = buffer(g);
      const norm64 = clipScale(g, 0).norm;
      // Clipping on (max_norm below the norm), then off: above it, 0, infinite, NaN.
      const maxNorms = [0.5 * norm64, 2 * norm64, 0, Infinity, NaN];
      const runs = maxNorms.map((maxNorm) => {
        const layer = createGradNorm(device, kernels, { count, maxNorm });
        return { layer, partials: buffer(layer.partialBytes / 4), clip: buffer(2) };
      });
      await run((pass) => {
        for (const { layer, partials, clip } of runs) layer.encode(pass, { grads, partials, clip });
      });
      const groups = runs[0]!.layer.partialBytes / 4;
      runs.forEach(({ layer }) => layer.destroy());
      const chain = Math.ceil(count / (256 * groups)) + Math.ceil(groups / 256) + 16;
      let sum = 0;
      let err = 0;
      for (const v of g) {
        const term = new F32(v).mul(new F32(v));
        sum += term.v;
        err += term.e;
      }
      const norm = new F32(sum, err + chain * U * sum).sqrt();
      const reduction = 'terms, (L + 16) u sum|terms|, then F32: sqrt';
      for (const [k, maxNorm] of maxNorms.entries()) {
        const [scale, gpuNorm] = await read(runs[k]!.clip, 2);
        const cpu = clipScale(g, maxNorm);
        within(Math.abs(gpuNorm! - cpu.norm), norm.e, `|g|, max_norm ${maxNorm}: ${reduction}`);
        if (k === 0) {
          expect(cpu.scale).toBeLessThan(1);
          const model = F32.of(maxNorm).div(norm.add(F32.of(1e-6)));
          within(
            Math.abs(scale! - cpu.scale),
            model.e,
            `scale: ${reduction}, max_norm / (|g| + 1e-6)`,
          );
        } else expect(scale, `scale, max_norm ${maxNorm}`).toBe(1);
      }
    });
  }

  test('AdamW and the EMA over 5 steps against float64', async () => {
    const count = 300 + rng.int(50);
    const h = { ...DEFAULT_ADAM, lr: 0.01, weightDecay: 0.1 };
    const decay = 0.9;
    const p0 = normals(count);
    const params = buffer(p0);
    const grads = buffer(count);
    const m = buffer(count);
    const v = buffer(count);
    const average = buffer(p0);
    const adam = createAdamW(device, kernels, count, h);
    const ema = createEma(device, kernels, count, decay);
    const table = new TrainTable(device, kernels.adamw, 1);
    const clip = buffer(Float32Array.of(1, 0));
    const offset = table.offset(0, new Uint32Array(1));
    const cpu = {
      p: Float64Array.from(p0),
      m: new Float64Array(count),
      v: new Float64Array(count),
    };
    const e64 = Float64Array.from(p0);
    let model = Array.from(p0, (p) => ({
      p: new F32(p),
      m: new F32(0),
      v: new F32(0),
      e: new F32(p),
    }));
    const c = (x: number): F32 => F32.of(x);
    for (let t = 1; t <= 5; t++) {
      const g = normals(count, 10 ** (2 * rng.uniform() - 1));
      device.queue.writeBuffer(grads, 0, g);
      table.set(0, t, h);
      table.flush(1);
      await run((pass) => {
        adam.encode(pass, { params, grads, m, v, clip, train: table.binding }, offset);
        ema.encode(pass, { params, average });
      });
      adamwStep(h, t, cpu.p, g, cpu.m, cpu.v);
      emaStep(decay, cpu.p, e64);
      const [c1, c2] = adamCorrections(h, t);
      model = model.map((s, i) => {
        const gi = new F32(g[i]!);
        const mi = c(h.beta1)
          .mul(s.m)
          .add(c(1 - h.beta1).mul(gi));
        const vi = c(h.beta2)
          .mul(s.v)
          .add(c(1 - h.beta2).mul(gi.mul(gi)));
        const den = vi.mul(c(c2)).sqrt().add(c(h.eps));
        const step = c(h.lr).mul(mi.mul(c(c1)).div(den));
        const p = c(1 - h.lr * h.weightDecay)
          .mul(s.p)
          .sub(step);
        return { p, m: mi, v: vi, e: s.e.add(c(1 - decay).mul(p.sub(s.e))) };
      });
    }
    adam.destroy();
    ema.destroy();
    const model5 = 'F32 over 5 steps, every uniform rounded once';
    expectWithin('m', await read(m, count), cpu.m, (i) => model[i]!.m.e, model5);
    expectWithin('v', await read(v, count), cpu.v, (i) => model[i]!.v.e, model5);
    expectWithin('p', await read(params, count), cpu.p, (i) => model[i]!.p.e, model5);
    expectWithin('EMA', await read(average, count), e64, (i) => model[i]!.e.e, model5);
  });
});

/**
 * The fused kernels of the Trainer's step compute the same floats as the kernels they fuse, run
 * one after another: each of those is checked against float64 above, so equality bit for bit is
 * the whole check (the same operations in the same order).
 */
describe('fused kernels: the same floats as the kernels they fuse', () => {
  test.each<['gelu' | 'silu', boolean]>([
    ['gelu', false],
    ['gelu', true],
    ['silu', true],
  ])(
    'linear_act_forward (%s, skip %s) = linear_forward, the activation, add',
    async (kind, skip) => {
      const batch = 20 + rng.int(30);
      const width = 8 + rng.int(40);
      const shape = { batch, inputs: width, outputs: width, offset: rng.int(7) };
      const x = buffer(normals(batch * width, 2));
      const params = buffer(normals(shape.offset + linearParameters(width, width)));
      const make = (): GPUBuffer => buffer(batch * width);
      const [pre, h, y, g, sum] = [make(), make(), make(), make(), make()];
      const lin = createLinear(device, kernels, shape);
      const activation = createActivation(device, kernels, batch * width, kind);
      const add = createAdd(device, kernels, batch * width);
      await run((pass) => {
        record(pass, lin.forwardActOp({ x, params, pre, h, ...(skip ? { skip: x } : {}) }, kind));
        lin.forward(pass, { x, params, y });
        activation.forward(pass, { x: y, y: g });
        if (skip) add.encode(pass, { a: x, b: g, y: sum });
      });
      expect(await read(pre, batch * width)).toEqual(await read(y, batch * width));
      expect(await read(h, batch * width)).toEqual(await read(skip ? sum : g, batch * width));
      for (const o of [lin, activation, add]) o.destroy();
    },
  );

  test('adamw_ema = adamw, then the EMA', async () => {
    const count = 500 + rng.int(300);
    const h = { ...DEFAULT_ADAM, lr: 0.01, weightDecay: 0.1 };
    const p0 = normals(count);
    const g = normals(count, 0.1);
    const [pa, pb] = [buffer(p0.slice()), buffer(p0.slice())];
    const [ea, eb] = [buffer(p0.slice()), buffer(p0.slice())];
    const [ma, mb, va, vb] = [buffer(count), buffer(count), buffer(count), buffer(count)];
    const grads = buffer(g);
    const clip = buffer(Float32Array.of(0.7, 0));
    const table = new TrainTable(device, kernels.adamw, 1);
    const offset = table.offset(0, new Uint32Array(1));
    const fused = createAdamWEma(device, kernels, count, h, 0.95);
    const adam = createAdamW(device, kernels, count, h);
    const ema = createEma(device, kernels, count, 0.95);
    for (let t = 1; t <= 3; t++) {
      table.set(0, t, h);
      table.flush(1);
      await run((pass) => {
        const common = { grads, clip, train: table.binding };
        record(pass, fused.op({ ...common, params: pa, m: ma, v: va, average: ea }), offset);
        adam.encode(pass, { ...common, params: pb, m: mb, v: vb }, offset);
        ema.encode(pass, { params: pb, average: eb });
      });
    }
    for (const [a, b] of [
      [pa, pb],
      [ea, eb],
      [ma, mb],
      [va, vb],
    ] as const)
      expect(await read(a, count)).toEqual(await read(b, count));
    for (const o of [fused, adam, ema, table]) o.destroy();
  });
});

describe('the fused backward: the same floats as the kernels it fuses', () => {
  test.each<['gelu' | 'silu', boolean]>([
    ['gelu', false],
    ['gelu', true],
    ['silu', true],
  ])(
    "linear_backward_input_act (%s, skip %s) = backward to the input, add, the activation's backward",
    async (kind, skip) => {
      const batch = 20 + rng.int(30);
      const inputs = 8 + rng.int(40);
      const outputs = 8 + rng.int(40);
      const shape = { batch, inputs, outputs, offset: rng.int(7) };
      const dy = buffer(normals(batch * outputs));
      const params = buffer(normals(shape.offset + linearParameters(inputs, outputs)));
      const pre = buffer(normals(batch * inputs, 3));
      const dhSkip = buffer(normals(batch * inputs));
      const make = (): GPUBuffer => buffer(batch * inputs);
      const [dh, dpre, through, sum, dx] = [make(), make(), make(), make(), make()];
      const lin = createLinear(device, kernels, shape);
      const activation = createActivation(device, kernels, batch * inputs, kind);
      const add = createAdd(device, kernels, batch * inputs);
      await run((pass) => {
        const fusedOp = lin.backwardInputActOp(
          { dy, params, pre, dh, dpre, ...(skip ? { skip: dhSkip } : {}) },
          kind,
        );
        record(pass, fusedOp);
        for (const op of lin
          .backwardOps({ x: pre, dy, params, grads: make(), dx: through })
          .slice(1))
          record(pass, op);
        if (skip) add.encode(pass, { a: dhSkip, b: through, y: sum });
        activation.backward(pass, { x: pre, dy: skip ? sum : through, dx });
      });
      const n = batch * inputs;
      expect(await read(dh, n)).toEqual(await read(skip ? sum : through, n));
      expect(await read(dpre, n)).toEqual(await read(dx, n));
      for (const o of [lin, activation, add]) o.destroy();
    },
  );
});
