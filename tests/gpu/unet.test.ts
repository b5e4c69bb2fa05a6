/**
 * A whole U-Net on the GPU (src/sim/learn/unetPasses.ts running the plan of
 * src/maths/learn/unet.ts): forward, the image MSE, backward into the flat gradient, on a tiny
 * configuration with every kind of layer (2 levels: down, up, skip and merge). Every op is checked
 * from its own float32 inputs as the GPU holds them (read back by slot name) against its float64
 * reference, within that kernel's float32 bound; every gradient a slot gets from several readers
 * against their float64 sum; the loss against the float64 MSE of the GPU's output. So each
 * layer of the network is the right kernel, on the right buffers, within float32 error, and the
 * composition is the float64 reference's own (src/maths/learn/unetPass.ts, checked against finite
 * differences in tests/unit/unetPass.test.ts).
 *
 * Bounds (u = 2^-24, gamma(k) = (k + 2) u): a sum of k products, in any order, within gamma(k)
 * sum|terms| (linear, convolution, their backwards and weights' gradients, with the chunks of a
 * split sum counted in k); SiLU through F32; GroupNorm through its kernels' model
 * (./imageModels.ts); the embedding through cos_sin_2pi's model; one rounding (the adds) u |y|;
 * copies (up-sampling, concatenation and their splits, 0.25 dy) exact.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { shaderSources } from '../../src/gpu/shaderSources';
import { silu, siluBackward } from '../../src/maths/learn/activations';
import {
  conv3x3BackwardInput,
  conv3x3BackwardWeight,
  conv3x3Forward,
  convParameters,
  type ConvShape,
} from '../../src/maths/learn/conv';
import { embed } from '../../src/maths/learn/embedding';
import {
  addPerChannelBackward,
  avgPoolDown,
  avgPoolDownBackward,
  concatChannels,
  groupNormBackward,
  groupNormForward,
  splitChannels,
  upsampleNearest,
  upsampleNearestBackward,
  type GroupNormShape,
} from '../../src/maths/learn/imageLayers';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  linearParameters,
  type LinearShape,
} from '../../src/maths/learn/linear';
import {
  NORM_EPS,
  slotSize,
  unetPlan,
  type UNetArch,
  type UNetOp,
} from '../../src/maths/learn/unet';
import { unetTurns } from '../../src/maths/learn/unetPass';
import { Rng } from '../../src/maths/rng';
import { createMseLoss, record } from '../../src/sim/learn/layers';
import {
  compileUNetKernels,
  createUNetPasses,
  type UNetKernels,
} from '../../src/sim/learn/unetPasses';
import { SEED, within } from '../random';
import { cosSin2piF32, F32, gpuErrors, testGpu, expectWithin } from './harness';
import { groupNormBackwardModel, groupNormModel } from './imageModels';

const U = 2 ** -24;
const gamma = (k: number): number => (k + 2) * U;
const rng = new Rng(SEED, 161);
let device: GPUDevice;
let kernels: UNetKernels;

beforeAll(async () => {
  device = (await testGpu()).device;
  kernels = await compileUNetKernels(device, shaderSources);
});
afterEach(() => expect(gpuErrors).toEqual([]));

const normals = (n: number, scale = 1): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: n }, () => scale * rng.normal());
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

function buffer(data: Float32Array<ArrayBuffer>): GPUBuffer {
  return createBuffer(device, {
    label: 'unet test',
    size: 0,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    data,
  });
}
const read = async (b: GPUBuffer, n: number): Promise<Float32Array> =>
  new Float32Array(await readback(device, b, 4 * n));

describe(`a whole U-Net on the GPU, each layer from its own float32 inputs (SEED=${SEED})`, () => {
  test('2 levels, 4 and 8 channels, a 2 x 6 x 8 image, batch 3: forward, loss and backward', async () => {
    const arch: UNetArch = { channels: 4, levels: 2, groups: 2, frequencies: 3, target: 'v' };
    const image = { channels: 2, height: 6, width: 8 };
    const plan = unetPlan(arch, image);
    const batch = 3;
    const P = slotSize(image);
    const params = normals(plan.parameters, 0.3);
    for (const t of plan.tensors)
      if (/norm\d?\.weight$/.test(t.name))
        for (let i = 0; i < t.shape[0]!; i++) params[t.offset + i] = 1 + 0.2 * rng.normal();
    const x = normals(batch * P);
    const tau = Float32Array.from({ length: batch }, () => rng.uniform());
    const goal = normals(batch * P);
    const weight = Float32Array.from({ length: batch }, () => 0.2 + rng.uniform());

    const paramsBuffer = buffer(params);
    const grads = buffer(new Float32Array(plan.parameters).fill(Number.NaN));
    const passes = createUNetPasses(device, kernels, plan, batch, paramsBuffer, grads);
    device.queue.writeBuffer(passes.values.get('x')!, 0, x);
    device.queue.writeBuffer(passes.values.get('tau')!, 0, tau);
    const loss = createMseLoss(device, kernels.learn, { batch, width: P, scale: 1 / (batch * P) });
    const losses = buffer(new Float32Array(1));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const op of passes.forward) record(pass, op);
    loss.encode(pass, {
      pred: passes.values.get(plan.output)!,
      goal: buffer(goal),
      weight: buffer(weight),
      grad: passes.dOut,
      partials: buffer(new Float32Array(loss.partialBytes / 4)),
      losses,
    });
    for (const op of passes.backward) record(pass, op);
    pass.end();
    device.queue.submit([encoder.finish()]);

    const value = new Map<string, Float32Array>();
    for (const [slot, b] of passes.values)
      value.set(slot, await read(b, batch * slotSize(plan.slots.get(slot)!)));
    const val = (slot: string): Float32Array => value.get(slot)!;
    const image3 = (slot: string) => ({ batch, ...plan.slots.get(slot)! });

    // --- forward, op by op ---
    for (const o of plan.ops) {
      const y = val(o.y);
      const what = `${o.op} -> ${o.y}`;
      forwardCheck(o, y, what);
    }
    function forwardCheck(o: UNetOp, y: Float32Array, what: string): void {
      switch (o.op) {
        case 'embed': {
          const turns = unetTurns(o.frequencies);
          const K = o.frequencies;
          const shape = { batch, inStride: 1, column: 0, outStride: 2 * K, outOffset: 0 };
          const cpu = new Float64Array(batch * 2 * K);
          embed(shape, val('tau'), turns, cpu);
          const bounds = new Float64Array(cpu.length);
          for (let n = 0; n < batch; n++)
            for (let j = 0; j < K; j++) {
              const [c, s] = cosSin2piF32(F32.of(Math.abs(turns[j]! * val('tau')[n]!)));
              bounds[n * 2 * K + j] = s.e;
              bounds[n * 2 * K + K + j] = c.e;
            }
          expectWithin(what, y, cpu, (i) => bounds[i]!, 'cos_sin_2pi of u = g tau rounded');
          break;
        }
        case 'linear': {
          const s: LinearShape = { batch, inputs: o.inputs, outputs: o.outputs, offset: o.offset };
          const a = linearForward(s, abs(val(o.x)), abs(params));
          const cpu = linearForward(s, val(o.x), params);
          expectWithin(what, y, cpu, (i) => gamma(o.inputs + 1) * a[i]!, 'gamma_K sum|x w|');
          break;
        }
        case 'silu': {
          const xs = val(o.x);
          const one = new F32(1);
          const bound = (i: number): number =>
            new F32(xs[i]!).div(one.add(new F32(-xs[i]!).exp())).e;
          expectWithin(what, y, silu(xs), bound, 'F32: x / (1 + exp(-x))');
          break;
        }
        case 'conv': {
          const s = convShape(o);
          const a = conv3x3Forward(s, abs(val(o.x)), abs(params));
          const cpu = conv3x3Forward(s, val(o.x), params);
          expectWithin(what, y, cpu, (i) => gamma(9 * o.cin + 1) * a[i]!, 'gamma_9cin sum|x w|');
          break;
        }
        case 'norm': {
          const s = normShape(o);
          const model = groupNormModel(s, val(o.x), params);
          const cpu = groupNormForward(s, val(o.x), params);
          expectWithin(what, y, cpu, (i) => model.y[i]!.e, 'GroupNorm F32 model');
          break;
        }
        case 'addChannel': {
          const pixels = image3(o.x).height * image3(o.x).width;
          const cpu = Float64Array.from(val(o.x), (v, i) => v + val(o.t)[Math.floor(i / pixels)]!);
          expectWithin(what, y, cpu, (i) => U * Math.abs(cpu[i]!), 'one rounding');
          break;
        }
        case 'add': {
          const cpu = Float64Array.from(val(o.a), (v, i) => v + val(o.b)[i]!);
          expectWithin(what, y, cpu, (i) => U * Math.abs(cpu[i]!), 'one rounding');
          break;
        }
        case 'down': {
          const a = avgPoolDown(image3(o.x), abs(val(o.x)));
          const cpu = avgPoolDown(image3(o.x), val(o.x));
          expectWithin(what, y, cpu, (i) => gamma(3) * a[i]!, 'gamma_3 mean|x|');
          break;
        }
        case 'up':
          expectWithin(what, y, upsampleNearest(image3(o.x), val(o.x)), () => 0, 'copies');
          break;
        case 'concat':
          expectWithin(
            what,
            y,
            concatChannels(concatShape(o), val(o.a), val(o.b)),
            () => 0,
            'copies',
          );
          break;
      }
    }

    // --- the loss ---
    const out = val(plan.output);
    const scale = 1 / (batch * P);
    let cpuLoss = 0;
    let lossTerms = 0;
    const dOutCpu = new Float64Array(batch * P);
    for (let i = 0; i < batch * P; i++) {
      const d = out[i]! - goal[i]!;
      const w = weight[Math.floor(i / P)]!;
      cpuLoss += w * d * d * scale;
      lossTerms += Math.abs(w * d * d) * scale;
      dOutCpu[i] = 2 * scale * w * d;
    }
    within(
      Math.abs((await read(losses, 1))[0]! - cpuLoss),
      gamma(batch * P + 3) * lossTerms,
      'loss: gamma_(N P) sum of w d^2 / (N P)',
    );
    expectWithin(
      'dL/dout',
      await read(passes.dOut, batch * P),
      dOutCpu,
      (i) => gamma(3) * Math.abs(dOutCpu[i]!),
      'three roundings: d, w d, 2 scale w d',
    );

    // --- backward, op by op, from each op's own float32 dy ---
    const gpuGrads = await read(grads, plan.parameters);
    const checked = new Uint8Array(plan.parameters);
    const gradRange = (
      offset: number,
      count: number,
      cpu: Float64Array,
      a: Float64Array,
      k: number,
      what: string,
    ): void => {
      expectWithin(
        what,
        gpuGrads.subarray(offset, offset + count),
        cpu.subarray(offset, offset + count),
        (i) => gamma(k) * a[offset + i]!,
        'gamma_k sum|dy x| (k: every term, chunks included)',
      );
      checked.fill(1, offset, offset + count);
    };
    for (const { op: o, dy: dyBuffer, into } of passes.trace) {
      const dy = await read(dyBuffer, batch * slotSize(plan.slots.get(o.y)!));
      const got = new Map<string, Float32Array>();
      for (const [slot, b] of into)
        got.set(slot, await read(b, batch * slotSize(plan.slots.get(slot)!)));
      const what = `backward of ${o.op} -> ${o.y}`;
      switch (o.op) {
        case 'linear': {
          const s: LinearShape = { batch, inputs: o.inputs, outputs: o.outputs, offset: o.offset };
          const a = linearBackwardInput(s, abs(dy), abs(params));
          if (!got.has(o.x)) expect(o.x, 'only the embedding gets no gradient').toBe('time.e');
          else
            expectWithin(
              `${what}: dx`,
              got.get(o.x)!,
              linearBackwardInput(s, dy, params),
              (i) => gamma(o.outputs) * a[i]!,
              'gamma_K sum|dy w|',
            );
          const cpu = new Float64Array(plan.parameters);
          const aw = new Float64Array(plan.parameters);
          linearBackwardWeight(s, val(o.x), dy, cpu);
          linearBackwardWeight(s, abs(val(o.x)), abs(dy), aw);
          gradRange(
            o.offset,
            linearParameters(o.inputs, o.outputs),
            cpu,
            aw,
            2 * batch,
            `${what}: [dW | db]`,
          );
          break;
        }
        case 'silu': {
          const xs = val(o.x);
          const one = new F32(1);
          const bound = (i: number): number => {
            const v = new F32(xs[i]!);
            const sg = one.div(one.add(new F32(-xs[i]!).exp()));
            return new F32(dy[i]!).mul(sg.mul(one.add(v.mul(one.sub(sg))))).e;
          };
          expectWithin(
            `${what}: dx`,
            got.get(o.x)!,
            siluBackward(xs, dy),
            bound,
            'F32: dy s (1 + x (1 - s))',
          );
          break;
        }
        case 'conv': {
          const s = convShape(o);
          if (got.has(o.x)) {
            const a = conv3x3BackwardInput(s, abs(dy), abs(params));
            expectWithin(
              `${what}: dx`,
              got.get(o.x)!,
              conv3x3BackwardInput(s, dy, params),
              (i) => gamma(9 * o.cout) * a[i]!,
              'gamma_9cout sum|dy w|',
            );
          } else expect(o.x, 'only the image gets no gradient').toBe('x');
          const cpu = new Float64Array(plan.parameters);
          const aw = new Float64Array(plan.parameters);
          conv3x3BackwardWeight(s, val(o.x), dy, cpu);
          conv3x3BackwardWeight(s, abs(val(o.x)), abs(dy), aw);
          gradRange(
            o.offset,
            convParameters(o.cin, o.cout),
            cpu,
            aw,
            2 * batch * s.height * s.width,
            `${what}: [dW | db]`,
          );
          break;
        }
        case 'norm': {
          const s = normShape(o);
          const model = groupNormModel(s, val(o.x), params);
          const bounds = groupNormBackwardModel(s, dy, params, model);
          const cpu = new Float64Array(plan.parameters);
          const dx = groupNormBackward(s, val(o.x), dy, params, cpu);
          expectWithin(
            `${what}: dx`,
            got.get(o.x)!,
            dx,
            (i) => bounds.dx[i]!,
            'GroupNorm backward F32 model',
          );
          const c = s.channels;
          expectWithin(
            `${what}: [dgamma | dbeta]`,
            gpuGrads.subarray(o.offset, o.offset + 2 * c),
            cpu.subarray(o.offset, o.offset + 2 * c),
            (i) => bounds.grads(o.offset + i),
            'GroupNorm backward F32 model',
          );
          checked.fill(1, o.offset, o.offset + 2 * c);
          break;
        }
        case 'addChannel': {
          // The image's gradient is dy itself (the same buffer); t's is the sum over each plane.
          expect(into.find(([slot]) => slot === o.x)![1]).toBe(dyBuffer);
          const s = image3(o.x);
          const { dt } = addPerChannelBackward(s, dy);
          const a = addPerChannelBackward(s, abs(dy)).dt;
          expectWithin(
            `${what}: dt`,
            got.get(o.t)!,
            dt,
            (i) => gamma(s.height * s.width) * a[i]!,
            'gamma_HW sum|dy|',
          );
          break;
        }
        case 'add':
          expect(into.map(([, b]) => b)).toEqual([dyBuffer, dyBuffer]);
          break;
        case 'down':
          expectWithin(
            `${what}: dx`,
            got.get(o.x)!,
            avgPoolDownBackward(image3(o.x), dy),
            () => 0,
            'dy / 4, exact',
          );
          break;
        case 'up': {
          const a = upsampleNearestBackward(image3(o.x), abs(dy));
          expectWithin(
            `${what}: dx`,
            got.get(o.x)!,
            upsampleNearestBackward(image3(o.x), dy),
            (i) => gamma(3) * a[i]!,
            'gamma_3 sum of the 4 children',
          );
          break;
        }
        case 'concat': {
          const { da, db } = splitChannels(concatShape(o), dy);
          expectWithin(`${what}: da`, got.get(o.a)!, da, () => 0, 'copies');
          expectWithin(`${what}: db`, got.get(o.b)!, db, () => 0, 'copies');
          break;
        }
        case 'embed':
          throw new Error('the embedding is data: no backward is run for it');
      }
    }
    // Every parameter's gradient was checked, through the op that owns it.
    expect(checked.every((c) => c === 1)).toBe(true);

    // --- gradients of slots read more than once: their contributions summed ---
    let sums = 0;
    for (const [slot, list] of passes.contributions) {
      if (list.length < 2) continue;
      sums++;
      const n = batch * slotSize(plan.slots.get(slot)!);
      const parts = await Promise.all(list.map((b) => read(b, n)));
      const cpu = Float64Array.from({ length: n }, (_, i) => parts.reduce((s, p) => s + p[i]!, 0));
      const a = Float64Array.from({ length: n }, (_, i) =>
        parts.reduce((s, p) => s + Math.abs(p[i]!), 0),
      );
      expectWithin(
        `d ${slot} (${list.length} readers)`,
        await read(passes.gradients.get(slot)!, n),
        cpu,
        (i) => gamma(list.length) * a[i]!,
        'gamma_k sum|contributions|',
      );
    }
    // The res blocks' inputs, the skips and silu(t) (read by every res block).
    expect(sums).toBeGreaterThanOrEqual(5);
    passes.destroy();
    loss.destroy();

    function convShape(o: Extract<UNetOp, { op: 'conv' }>): ConvShape {
      const s = image3(o.x);
      return {
        batch,
        channelsIn: o.cin,
        channelsOut: o.cout,
        height: s.height,
        width: s.width,
        offset: o.offset,
      };
    }
    function normShape(o: Extract<UNetOp, { op: 'norm' }>): GroupNormShape {
      return { ...image3(o.x), groups: o.groups, offset: o.offset, eps: NORM_EPS };
    }
    function concatShape(o: Extract<UNetOp, { op: 'concat' }>) {
      const a = image3(o.a);
      return {
        batch,
        pixels: a.height * a.width,
        channelsA: a.channels,
        channelsB: image3(o.b).channels,
      };
    }
  });
});
