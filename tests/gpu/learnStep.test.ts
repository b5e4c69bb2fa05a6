/**
 * One whole training step of a tiny network on the GPU, from the layers of src/sim/learn/layers.ts
 * in one compute pass: embed x, y, t -> linear -> SiLU -> linear -> weighted MSE, backward, AdamW
 * and the EMA over the flat parameters. Against the float64 step (src/maths/learn/mlp.ts,
 * optim.ts) within a first-order float32 error model carried through the network, and bit for
 * bit the same when run twice from the same inputs. The model: each stage's own bound (the gamma_K
 * and F32 bounds of ./learnLayers.test.ts) plus its inputs' bounds carried through |W| (a linear
 * layer: sum_k |w| e_x), the F32 operations (SiLU, the loss, AdamW), or both factors of a product
 * (dW = dY^T X: sum |dy| e_x + e_dy |x|).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { shaderSources } from '../../src/gpu/shaderSources';
import { transformerTurns } from '../../src/maths/learn/embedding';
import {
  linearBackwardInput,
  linearBackwardWeight,
  linearForward,
  type LinearShape,
} from '../../src/maths/learn/linear';
import {
  tinyMlpParameters,
  tinyMlpPass,
  tinyMlpShapes,
  type TinyMlp,
} from '../../src/maths/learn/mlp';
import { adamCorrections, adamwStep, DEFAULT_ADAM, emaStep } from '../../src/maths/learn/optim';
import { Rng } from '../../src/maths/rng';
import {
  compileLearnKernels,
  createAdamW,
  createEma,
  createEmbedding,
  createLinear,
  createMseLoss,
  createSilu,
  type LearnKernels,
} from '../../src/sim/learn/layers';
import { TrainTable } from '../../src/sim/learn/trainTable';
import { SEED, within } from '../random';
import { cosSin2piF32, F32, gpuErrors, testGpu } from './harness';

const U = 2 ** -24;
const rng = new Rng(SEED, 134);
let device: GPUDevice;
let kernels: LearnKernels;
const kept: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  kernels = await compileLearnKernels(device, shaderSources);
});
afterEach(() => expect(gpuErrors).toEqual([]));
afterAll(() => kept.forEach((b) => b.destroy()));

function buffer(data: Float32Array<ArrayBuffer> | number): GPUBuffer {
  const b = createBuffer(device, {
    label: 'learn step test',
    size: typeof data === 'number' ? 4 * data : 0,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    ...(typeof data === 'number' ? {} : { data }),
  });
  kept.push(b);
  return b;
}

const read = async (b: GPUBuffer, n: number): Promise<Float32Array> =>
  new Float32Array(await readback(device, b, 4 * n));
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);
const add = (a: ArrayLike<number>, b: ArrayLike<number>): Float64Array =>
  Float64Array.from(a, (v, i) => v + b[i]!);
const scaled = (c: number, a: ArrayLike<number>): Float64Array =>
  Float64Array.from(a, (v) => c * v);

/** The parameters with every bias zeroed: |W| carries errors, biases carry none. */
function weightsOnly(shapes: readonly LinearShape[], params: ArrayLike<number>): Float64Array {
  const w = abs(params);
  for (const s of shapes)
    w.fill(0, s.offset + s.outputs * s.inputs, s.offset + s.outputs * (s.inputs + 1));
  return w;
}

const BATCH = 24;
const K = 4;
const HIDDEN = 32;
/** The tiny MLP's reference takes one frequency table for every column. */
const TURNS = transformerTurns(K, 8);

interface Step {
  loss: number;
  grads: Float32Array;
  params: Float32Array;
  average: Float32Array;
}

/** Uploads the inputs and runs one training step (step 1 of AdamW) in one compute pass. */
async function trainStep(net: TinyMlp, p0: Float32Array, decay: number): Promise<Step> {
  const [first, second] = tinyMlpShapes(net);
  const count = p0.length;
  const width = first.inputs;
  const b = {
    inputs: buffer(Float32Array.from(net.inputs)),
    target: buffer(Float32Array.from(net.target)),
    weight: buffer(Float32Array.from(net.weight)),
    params: buffer(Float32Array.from(p0)),
    average: buffer(Float32Array.from(p0)),
    e: buffer(BATCH * width),
    h: buffer(BATCH * HIDDEN),
    a: buffer(BATCH * HIDDEN),
    pred: buffer(BATCH * 2),
    dPred: buffer(BATCH * 2),
    da: buffer(BATCH * HIDDEN),
    dh: buffer(BATCH * HIDDEN),
    grads: buffer(count),
    m: buffer(count),
    v: buffer(count),
    losses: buffer(1),
  };
  const embeds = [0, 1, 2].map((column) => ({
    layer: createEmbedding(
      device,
      kernels,
      { batch: BATCH, inStride: 3, column, outStride: width, outOffset: 2 * K * column },
      K,
    ),
    turns: buffer(TURNS.slice()),
  }));
  const lin1 = createLinear(device, kernels, first);
  const lin2 = createLinear(device, kernels, second);
  const act = createSilu(device, kernels, BATCH * HIDDEN);
  const loss = createMseLoss(device, kernels, { batch: BATCH, width: 2 });
  const partials = buffer(loss.partialBytes / 4);
  const adam = createAdamW(device, kernels, count, DEFAULT_ADAM);
  const ema = createEma(device, kernels, count, decay);
  const table = new TrainTable(device, kernels.adamw, 1);
  table.set(0, 1, DEFAULT_ADAM);
  table.flush(1);
  const clip = buffer(Float32Array.of(1, 0));
  const encoder = device.createCommandEncoder({ label: 'learn step' });
  const pass = encoder.beginComputePass({ label: 'learn step' });
  for (const { layer, turns } of embeds) layer.forward(pass, { s: b.inputs, turns, out: b.e });
  lin1.forward(pass, { x: b.e, params: b.params, y: b.h });
  act.forward(pass, { x: b.h, y: b.a });
  lin2.forward(pass, { x: b.a, params: b.params, y: b.pred });
  loss.encode(pass, {
    pred: b.pred,
    goal: b.target,
    weight: b.weight,
    grad: b.dPred,
    partials,
    losses: b.losses,
  });
  lin2.backward(pass, { x: b.a, dy: b.dPred, params: b.params, grads: b.grads, dx: b.da });
  act.backward(pass, { x: b.h, dy: b.da, dx: b.dh });
  lin1.backward(pass, { x: b.e, dy: b.dh, params: b.params, grads: b.grads });
  adam.encode(
    pass,
    { params: b.params, grads: b.grads, m: b.m, v: b.v, clip, train: table.binding },
    table.offset(0, new Uint32Array(1)),
  );
  ema.encode(pass, { params: b.params, average: b.average });
  pass.end();
  device.queue.submit([encoder.finish()]);
  for (const o of [lin1, lin2, act, loss, adam, ema, table, ...embeds.map((e) => e.layer)])
    o.destroy();
  return {
    loss: (await read(b.losses, 1))[0]!,
    grads: await read(b.grads, count),
    params: await read(b.params, count),
    average: await read(b.average, count),
  };
}

const EMA_DECAY = 0.9;

/** First-order float32 bounds on every GPU result of the step, from the float64 pass. */
function stepBounds(
  net: TinyMlp,
  p0: Float32Array,
): { loss: number; grads: Float64Array; params: F32[]; average: F32[] } {
  const P = tinyMlpPass(net, p0);
  const [first, second] = tinyMlpShapes(net);
  const width = first.inputs;
  const count = p0.length;
  const w = weightsOnly([first, second], p0);
  const one = new F32(1);
  // Embedding: u = g |s| rounded, then cos_sin_2pi.
  const eE = new Float64Array(BATCH * width);
  for (let r = 0; r < BATCH; r++)
    for (let c = 0; c < 3; c++)
      for (let j = 0; j < K; j++) {
        const [cos, sin] = cosSin2piF32(F32.of(Math.abs(TURNS[j]! * net.inputs[3 * r + c]!)));
        eE[r * width + 2 * K * c + j] = sin.e;
        eE[r * width + 2 * K * c + K + j] = cos.e;
      }
  const own = (k: number, a: Float64Array): Float64Array => scaled((k + 2) * U, a);
  const eH = add(own(width, linearForward(first, abs(P.e), abs(p0))), linearForward(first, eE, w));
  const h = Array.from(P.h, (v, i) => new F32(v, eH[i]));
  const sigmoid = (x: F32): F32 => one.div(one.add(x.neg().exp()));
  const eA = Float64Array.from(h, (x) => x.div(one.add(x.neg().exp())).e);
  const eP = add(
    own(HIDDEN, linearForward(second, abs(P.a), abs(p0))),
    linearForward(second, eA, w),
  );
  const scale = F32.of(1 / BATCH);
  const terms = Array.from(P.pred, (v, i) => {
    const d = new F32(v, eP[i]).sub(new F32(net.target[i]!));
    const wd = new F32(net.weight[Math.floor(i / 2)]!).mul(d);
    return { grad: scale.mul(2).mul(wd), term: wd.mul(d) };
  });
  const eDP = Float64Array.from(terms, (t) => t.grad.e);
  const groups = Math.ceil((2 * BATCH) / 256);
  let sum = 0;
  let err = 0;
  for (const { term } of terms) {
    sum += Math.abs(term.v);
    err += term.e;
  }
  const chain = Math.ceil((2 * BATCH) / (256 * groups)) + Math.ceil(groups / 256) + 16;
  const loss = new F32(P.loss / scale.v, err + chain * U * sum).mul(scale).e;
  const eDA = add(
    own(2, linearBackwardInput(second, abs(P.dPred), abs(p0))),
    linearBackwardInput(second, eDP, w),
  );
  const eDh = Float64Array.from(h, (x, i) => {
    const s = sigmoid(x);
    return new F32(P.da[i]!, eDA[i]).mul(s.mul(one.add(x.mul(one.sub(s))))).e;
  });
  // [dW | db] = dY^T [X | 1]: its own rounding, then dY's and X's errors (X's column of ones has none).
  const weightGrad = (
    s: LinearShape,
    x: Float64Array,
    eX: Float64Array,
    dy: Float64Array,
    eDy: Float64Array,
  ): Float64Array => {
    const g = new Float64Array(count);
    const out = new Float64Array(count);
    linearBackwardWeight(s, abs(x), abs(dy), g);
    for (let i = 0; i < count; i++) out[i] = (BATCH + 2) * U * g[i]!;
    linearBackwardWeight(s, abs(x), eDy, g);
    for (let i = 0; i < count; i++) out[i] = out[i]! + g[i]!;
    linearBackwardWeight(s, eX, abs(dy), g);
    g.fill(0, s.offset + s.outputs * s.inputs, s.offset + s.outputs * (s.inputs + 1));
    for (let i = 0; i < count; i++) out[i] = out[i]! + g[i]!;
    return out;
  };
  const grads = add(
    weightGrad(first, P.e, eE, P.dh, eDh),
    weightGrad(second, P.a, eA, P.dPred, eDP),
  );
  // AdamW step 1 from m = v = 0, then the EMA from p0.
  const h0 = DEFAULT_ADAM;
  const [c1, c2] = adamCorrections(h0, 1);
  const c = (x: number): F32 => F32.of(x);
  const params = Array.from(p0, (p, i) => {
    const g = new F32(P.grad[i]!, grads[i]);
    const m = c(h0.beta1)
      .mul(new F32(0))
      .add(c(1 - h0.beta1).mul(g));
    const v = c(h0.beta2)
      .mul(new F32(0))
      .add(c(1 - h0.beta2).mul(g.mul(g)));
    const den = v.mul(c(c2)).sqrt().add(c(h0.eps));
    return c(1 - h0.lr * h0.weightDecay)
      .mul(new F32(p))
      .sub(c(h0.lr).mul(m.mul(c(c1)).div(den)));
  });
  const average = params.map((p, i) =>
    new F32(p0[i]!).add(c(1 - EMA_DECAY).mul(p.sub(new F32(p0[i]!)))),
  );
  return { loss, grads, params, average };
}

function expectAll(
  what: string,
  gpu: ArrayLike<number>,
  cpu: ArrayLike<number>,
  bound: (i: number) => number,
): void {
  let worst = { error: 0, tolerance: 1, ratio: -1, i: 0 };
  for (let i = 0; i < cpu.length; i++) {
    const error = Math.abs(gpu[i]! - cpu[i]!);
    const tolerance = bound(i);
    if (!(error / tolerance <= worst.ratio))
      worst = { error, tolerance, ratio: error / tolerance, i };
  }
  within(
    worst.error,
    worst.tolerance,
    `${what}[${worst.i}]: first-order float32 bound through the step`,
  );
}

describe(`one training step of a tiny MLP on the GPU (SEED=${SEED})`, () => {
  test('within float32 error of the float64 step, and bit for bit the same twice', async () => {
    const net: TinyMlp = {
      batch: BATCH,
      columns: 3,
      turns: TURNS,
      hidden: HIDDEN,
      outputs: 2,
      inputs: Float32Array.from({ length: 3 * BATCH }, (_, i) =>
        i % 3 === 2 ? rng.uniform() : 2 * rng.normal(),
      ),
      target: Float32Array.from({ length: 2 * BATCH }, () => rng.normal()),
      weight: Float32Array.from({ length: BATCH }, () => 0.2 + rng.uniform()),
    };
    const width = 2 * K * 3;
    const p0 = Float32Array.from(
      { length: tinyMlpParameters(net) },
      () => rng.normal() / Math.sqrt(width),
    );
    const gpu = await trainStep(net, p0, EMA_DECAY);
    const P = tinyMlpPass(net, p0);
    const bound = stepBounds(net, p0);
    within(
      Math.abs(gpu.loss - P.loss),
      bound.loss,
      'loss: first-order float32 bound through the step',
    );
    expectAll('grads', gpu.grads, P.grad, (i) => bound.grads[i]!);
    const p64 = Float64Array.from(p0);
    adamwStep(
      DEFAULT_ADAM,
      1,
      p64,
      P.grad,
      new Float64Array(p0.length),
      new Float64Array(p0.length),
    );
    expectAll('params', gpu.params, p64, (i) => bound.params[i]!.e);
    const e64 = Float64Array.from(p0);
    emaStep(EMA_DECAY, p64, e64);
    expectAll('EMA', gpu.average, e64, (i) => bound.average[i]!.e);
    // The same inputs again: the same bits (no atomics, a fixed order of every sum).
    const again = await trainStep(net, p0, EMA_DECAY);
    expect(again.loss).toBe(gpu.loss);
    for (const key of ['grads', 'params', 'average'] as const)
      expect(new Uint32Array(again[key].buffer), key).toEqual(new Uint32Array(gpu[key].buffer));
  });
});
