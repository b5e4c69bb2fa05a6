/**
 * The learned denoiser on real WebGPU: its training batch (learn/sample_batch), its fused
 * evaluation (run/denoise_learned) and the Trainer's steps, against float64 references
 * (src/maths/learn/network.ts) on fresh random inputs (SEED=... replays).
 *
 * Error models: the batch's draws are exact integers and the same Threefry bits as the CPU's, its
 * normals carry normal2F32's bound and its arithmetic F32's. The network is carried through F32
 * operation by operation in the kernel's order (embedding through cosSin2piF32, each dot product
 * sequentially in k, GELU through its exp), so the bound is first order in u = 2^-24 and fails
 * only on a wrong formula or order. The Trainer is checked bit for bit against itself (the same
 * seed twice) and its first loss against the float64 loss of the same batch within the bound of
 * the forward pass carried through the MSE's sums.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { readback } from '../../src/gpu/readback';
import { shaderSources } from '../../src/gpu/shaderSources';
import type { Condition } from '../../src/maths/guidance';
import { generateDataset } from '../../src/maths/datasets';
import {
  embeddingWidth,
  initialParameters,
  networkForward,
  lossWeight,
  networkLoss,
  NO_CLASS,
  OUTPUTS,
  TARGETS,
  type NetworkArch,
} from '../../src/maths/learn/network';
import { Rng, Stream, threefry2x32, toUniform } from '../../src/maths/rng';
import { DEFAULT_SCHEDULE_PARAMS, levelAt, reverseLevels } from '../../src/maths/schedules';
import { Trainer, type TrainSettings } from '../../src/sim/learn/trainer';
import { Simulation } from '../../src/sim/run/simulation';
import { SEED, within } from '../random';
import { F32, gpuErrors, normal2F32, setRun, testGpu } from './harness';
import { forwardF32, noiseAngleF32, targetOfF32, x0FromOutputF32 } from './networkModels';

const U = 2 ** -24;
const rng = new Rng(SEED, 141);
let device: GPUDevice;

beforeAll(async () => {
  device = (await testGpu()).device;
});
afterEach(() => expect(gpuErrors).toEqual([]));

const ARCH: NetworkArch = {
  width: 24,
  depth: 2,
  frequencies: 6,
  activation: 'gelu',
  target: 'eps',
};
const LEVELS = 1000;

function trainingLevels(): Float32Array<ArrayBuffer> {
  const levels = new Float32Array(2 * LEVELS);
  for (let k = 0; k < LEVELS; k++) {
    const l = levelAt('cosine', DEFAULT_SCHEDULE_PARAMS, (k + 1) / LEVELS);
    levels[2 * k] = l.alpha;
    levels[2 * k + 1] = l.sigma;
  }
  return levels;
}

function settings(over: Partial<TrainSettings> = {}): TrainSettings {
  return {
    arch: ARCH,
    batch: 64,
    lr: 1e-3,
    weightDecay: 0.01,
    emaDecay: 0.9,
    maxGradNorm: 1,
    weighting: 'none',
    seed: SEED,
    ...over,
  };
}

// The network in F32, in the kernels' order: forwardF32 (./networkModels.ts).

// --- the batch ------------------------------------------------------------------------------------

describe('learn/sample_batch draws the training batch of Ho et al. algorithm 1', () => {
  test('points, levels, noise, inputs, targets and weights against float64', async () => {
    const data = generateDataset('moons', 50 + rng.int(50), SEED).points;
    const levels = trainingLevels();
    for (const target of TARGETS) {
      const trainer = await Trainer.create(
        device,
        shaderSources,
        settings({ arch: { ...ARCH, target }, weighting: 'min-snr', batch: 96 }),
      );
      const dataBuffer = device.createBuffer({
        size: data.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(dataBuffer, 0, new Float32Array(data));
      trainer.setData(dataBuffer, data.length / 2);
      trainer.setLevels(levels);
      const encoder = device.createCommandEncoder();
      trainer.encode(encoder, 1);
      device.queue.submit([encoder.finish()]);
      const batch = await trainer.readBatch();
      let worst = 0;
      for (let r = 0; r < 96; r++) {
        const bits = threefry2x32(SEED, Stream.train, r, 1);
        const k = bits[1]! % LEVELS;
        const i = bits[0]! % (data.length / 2);
        const alpha = new F32(levels[2 * k]!);
        const sigma = new F32(levels[2 * k + 1]!);
        const eps = normal2F32(SEED, Stream.trainNoise, r, 1);
        const x0 = [new F32(data[2 * i]!), new F32(data[2 * i + 1]!)];
        const x = x0.map((v, j) => alpha.mul(v).add(sigma.mul(eps[j]!)));
        const cIn = new F32(1).div(alpha.mul(alpha).add(sigma.mul(sigma)).sqrt());
        const expect = [
          x[0]!.mul(cIn),
          x[1]!.mul(cIn),
          noiseAngleF32(alpha, sigma),
          ...x0.map((v, j) => targetOfF32(target, v, eps[j]!, alpha, sigma)),
        ];
        const got = [batch.rows[3 * r]!, batch.rows[3 * r + 1]!, batch.rows[3 * r + 2]!];
        got.push(batch.goal[2 * r]!, batch.goal[2 * r + 1]!);
        expect.forEach((f, j) => {
          const error = Math.abs(got[j]! - f.v);
          worst = Math.max(worst, error === 0 ? 0 : error / f.e);
        });
        // The weight: Min-SNR-5 of the level (float32 of a float64 formula: a few roundings).
        const w = lossWeight('min-snr', target, alpha.v, sigma.v);
        worst = Math.max(worst, Math.abs(batch.weight[r]! - w) / (8 * U * w + 1e-30));
      }
      within(worst, 1, `sample_batch (${target}): error / F32 bound`);
      trainer.destroy();
      dataBuffer.destroy();
    }
  });
});

describe('learn/sample_batch: the class one-hot and its label dropout', () => {
  test("each row's class is its point's, dropped exactly where its uniform is below the dropout", async () => {
    const dataset = generateDataset('gaussians8', 60 + rng.int(40), SEED);
    const data = dataset.points;
    const labels = Uint32Array.from(dataset.labels!);
    const levels = trainingLevels();
    const drop = 0.3;
    const B = 128;
    const arch = { ...ARCH, classes: 8 };
    const trainer = await Trainer.create(
      device,
      shaderSources,
      settings({ arch, batch: B, labelDropout: drop }),
    );
    const buffer = (bytes: ArrayBufferView<ArrayBuffer>): GPUBuffer => {
      const b = device.createBuffer({
        size: bytes.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(b, 0, bytes);
      return b;
    };
    const dataBuffer = buffer(new Float32Array(data));
    const labelBuffer = buffer(labels);
    expect(() => trainer.setData(dataBuffer, data.length / 2)).toThrow('labelled points');
    trainer.setData(dataBuffer, data.length / 2, labelBuffer);
    trainer.setLevels(levels);
    let dropped = 0;
    for (let step = 1; step <= 2; step++) {
      const encoder = device.createCommandEncoder();
      trainer.encode(encoder, 1);
      device.queue.submit([encoder.finish()]);
      const batch = await trainer.readBatch();
      for (let r = 0; r < B; r++) {
        const i = threefry2x32(SEED, Stream.train, r, step)[0]! % (data.length / 2);
        const u = toUniform(threefry2x32(SEED, Stream.trainLabel, r, step)[0]!);
        const expected = u < drop ? NO_CLASS : labels[i]!;
        if (batch.labels[r] !== expected)
          throw new Error(`step ${step} row ${r}: class ${batch.labels[r]}, not ${expected}`);
        dropped += u < drop ? 1 : 0;
      }
    }
    // Both kinds of row occur (2 B rows at 0.3: none dropped has probability 1e-31).
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(2 * B);
    trainer.destroy();
    dataBuffer.destroy();
    labelBuffer.destroy();
  });
});

/**
 * Two DDIM steps of a learned run (cosine, 6 steps; conditioned when `condition` says so), then
 * the measurement there: the particles, the network's x0_hat at them, and the network's inputs
 * (x c_in, y c_in, tau) per particle in F32, with the level's alpha and sigma.
 */
async function measuredAfterTwoSteps(
  sim: Simulation,
  n: number,
  condition?: Condition,
): Promise<{ x0hat: Float32Array; xs: F32[][]; rows: F32[][]; alpha: F32; sigma: F32 }> {
  await setRun(sim, {
    mode: 'reverse',
    sampler: 'ddim',
    denoiser: 'learned',
    levels: reverseLevels('cosine', DEFAULT_SCHEDULE_PARAMS, 6),
    eta: 0,
    seed: SEED,
    ...(condition ? { condition } : {}),
  });
  const encoder = device.createCommandEncoder();
  sim.reset(encoder);
  sim.encodeSteps(encoder, 2);
  device.queue.submit([encoder.finish()]);
  // The measurement: the network at the particles as they are, at the current level.
  const measure = device.createCommandEncoder();
  sim.measureDenoiser(measure);
  device.queue.submit([measure.finish()]);
  const x = await sim.positions();
  const x0hat = new Float32Array(await readback(device, sim.measuredX0hat));
  const level = sim.level()!;
  const alpha = new F32(Math.fround(level.alpha));
  const sigma = new F32(Math.fround(level.sigma));
  const cIn = new F32(1).div(alpha.mul(alpha).add(sigma.mul(sigma)).sqrt());
  const xs = Array.from({ length: n }, (_, i) => [new F32(x[2 * i]!), new F32(x[2 * i + 1]!)]);
  const rows = xs.map((xi) => [xi[0]!.mul(cIn), xi[1]!.mul(cIn), noiseAngleF32(alpha, sigma)]);
  return { x0hat, xs, rows, alpha, sigma };
}

// --- the fused denoiser ---------------------------------------------------------------------------

describe('run/denoise_learned evaluates the network at every particle', () => {
  test('x0_hat against the float64 network within its F32 bound, for each target', async () => {
    const sim = await Simulation.create(device, shaderSources);
    const n = 48;
    sim.setParticles(n);
    sim.setData(generateDataset('gaussians8', 64, SEED));
    for (const target of TARGETS) {
      const arch = { ...ARCH, target };
      const trainer = await Trainer.create(device, shaderSources, settings({ arch }));
      // Weights of a trained scale (the initial ones, doubled: outputs of order 1).
      const params = initialParameters(arch, SEED + 7).map((v) => 2 * v);
      trainer.setWeights(params);
      sim.setModel({ net: trainer.net, model: trainer.ema, turns: trainer.turns });
      const { x0hat, xs, rows, alpha, sigma } = await measuredAfterTwoSteps(sim, n);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const xi = xs[i]!;
        const row = rows[i]!;
        const out = forwardF32(arch, params, row);
        // The float64 network from the same inputs lies within the F32 model's bound of its value:
        // the model's value takes sin and cos through the kernel's polynomials (their truncation
        // is in the bound), so the two agree only to the bound, not to float64 round-off.
        const ref = networkForward(arch, params, [row[0]!.v, row[1]!.v, row[2]!.v], 1).out;
        for (let j = 0; j < OUTPUTS; j++)
          expect(Math.abs(ref[j]! - out[j]!.v)).toBeLessThanOrEqual(out[j]!.e);
        for (let j = 0; j < OUTPUTS; j++) {
          const o = out[j]!;
          const x0 = x0FromOutputF32(target, xi[j]!, o, alpha, sigma);
          worst = Math.max(worst, Math.abs(x0hat[2 * i + j]! - x0.v) / x0.e);
        }
      }
      within(worst, 1, `denoise_learned (${target}): error / F32 bound`);
      trainer.destroy();
    }
    sim.destroy();
  });
});

describe('run/denoise_learned with a class-conditional network', () => {
  test('a class adds its column; guidance mixes the class and no class, within the F32 bounds', async () => {
    const sim = await Simulation.create(device, shaderSources);
    const n = 40;
    sim.setParticles(n);
    sim.setData(generateDataset('gaussians8', 64, SEED));
    const arch: NetworkArch = { ...ARCH, target: 'v', classes: 8 };
    const trainer = await Trainer.create(device, shaderSources, settings({ arch }));
    // A fresh network's class columns are 0 (every class the unconditional output); given
    // values of the others' scale here, so that the class shows.
    const params = initialParameters(arch, SEED + 9).map((v) => 2 * v);
    const inputs = 6 * arch.frequencies + 8;
    const columns = Array.from({ length: arch.width * 8 }, (_, i) => {
      const at = (Math.floor(i / 8) + 1) * inputs - 8 + (i % 8);
      const fresh = params[at]!;
      params[at] = 0.2 * (2 * rng.uniform() - 1);
      return fresh;
    });
    expect(columns.every((v) => v === 0)).toBe(true);
    trainer.setWeights(params);
    sim.setModel({ net: trainer.net, model: trainer.ema, turns: trainer.turns });
    const label = rng.int(8);
    // w = 1 (the class alone), w = 0 (no class alone) and a guided w > 1.
    for (const guidance of [1, 0, 1 + 3 * rng.uniform()]) {
      const condition = { label, guidance, interval: [0, 1] as [number, number] };
      const { x0hat, xs, rows, alpha, sigma } = await measuredAfterTwoSteps(sim, n, condition);
      const w = new F32(Math.fround(guidance));
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const xi = xs[i]!;
        const row = rows[i]!;
        const cond = forwardF32(arch, params, row, label);
        const uncond = forwardF32(arch, params, row);
        for (let j = 0; j < OUTPUTS; j++) {
          const c = x0FromOutputF32('v', xi[j]!, cond[j]!, alpha, sigma);
          const u = x0FromOutputF32('v', xi[j]!, uncond[j]!, alpha, sigma);
          // run/guide.wgsl: w c + (1 - w) u; w = 1 is c itself (no unconditional pass).
          const want = guidance === 1 ? c : w.mul(c).add(new F32(1).sub(w).mul(u));
          worst = Math.max(worst, Math.abs(x0hat[2 * i + j]! - want.v) / want.e);
        }
      }
      within(worst, 1, `denoise_learned, class ${label}, w ${guidance}: error / F32 bound`);
    }
    // The class changes the output: the conditional and unconditional evaluations differ.
    const row = [new F32(0.3), new F32(-0.2), new F32(0.5)];
    expect(forwardF32(arch, params, row, label)[0]!.v).not.toBe(
      forwardF32(arch, params, row)[0]!.v,
    );
    trainer.destroy();
    sim.destroy();
  });
});

// --- the trainer ----------------------------------------------------------------------------------

describe('Trainer', () => {
  const data = generateDataset('gaussians8', 200, SEED).points;
  let dataBuffer: GPUBuffer;
  beforeAll(() => {
    dataBuffer = device.createBuffer({
      size: data.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(dataBuffer, 0, new Float32Array(data));
  });
  afterAll(() => dataBuffer.destroy());

  async function trained(steps: number, batch = 64): Promise<{ t: Trainer; losses: Float32Array }> {
    const t = await Trainer.create(device, shaderSources, settings({ batch }));
    t.setData(dataBuffer, data.length / 2);
    t.setLevels(trainingLevels());
    const encoder = device.createCommandEncoder();
    t.encode(encoder, steps);
    device.queue.submit([encoder.finish()]);
    return { t, losses: (await t.readLosses()).losses };
  }

  test('a seed trains the same weights bit for bit, many steps in one submission', async () => {
    // A batch of 150: the weights' gradients sum it in 3 chunks, added by learn/grad_reduce.
    const a = await trained(12, 150);
    const b = await trained(12, 150);
    expect(a.t.weightSplits).toBe(3);
    expect(a.losses.length).toBe(12);
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    expect(await b.t.readWeights('ema')).toEqual(await a.t.readWeights('ema'));
    expect(await b.t.readWeights('params')).toEqual(await a.t.readWeights('params'));
    // Training moved the weights: they are not the initial ones.
    const init = initialParameters(ARCH, SEED);
    expect(await a.t.readWeights('params')).not.toEqual(init);
    a.t.destroy();
    b.t.destroy();
  });

  test("the first step's loss is the float64 loss of its batch, within the forward's bound", async () => {
    const { t, losses } = await trained(1);
    const batch = await t.readBatch();
    const B = 64;
    const init = initialParameters(ARCH, SEED);
    const ref = networkLoss(ARCH, init, batch, B);
    // The bound: each row's outputs through F32, then the sums (B terms, two trees of 256).
    let bound = 0;
    let terms = 0;
    for (let r = 0; r < B; r++) {
      const row = [0, 1, 2].map((j) => new F32(batch.rows[3 * r + j]!));
      const out = forwardF32(ARCH, init, row);
      const w = batch.weight[r]!;
      for (let j = 0; j < OUTPUTS; j++) {
        const d = Math.abs(ref.pass.out[2 * r + j]! - batch.goal[2 * r + j]!);
        bound += (w * (2 * d * out[j]!.e + out[j]!.e ** 2)) / B;
        terms += (w * d * d) / B;
      }
    }
    bound += (B + 16) * U * terms;
    within(Math.abs(losses[0]! - ref.loss), bound, 'trainer loss vs float64');
    expect(embeddingWidth(ARCH)).toBe(36);
    t.destroy();
  });
});
