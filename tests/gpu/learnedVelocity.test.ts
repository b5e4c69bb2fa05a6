/**
 * The learned denoiser's velocity arrows on real WebGPU (field/field_learned.wgsl, run by
 * src/sim/field/energyGrid.ts when FieldParams.network is set): the 2D network evaluated at the
 * grid points, v = alpha' x0_hat + (sigma sigma' / sigma^2) (x - alpha x0_hat), against float64
 * (src/maths/learn/network.ts networkForward, x0FromOutput; alpha' and sigma' by central
 * differences of the schedule) for each prediction target, on cosine and rectified at random t
 * (SEED=... replays).
 *
 * Error model: the kernel replayed through F32 operation by operation (./networkModels.ts
 * forwardF32, as tests/gpu/learnedDenoiser.test.ts checks run/denoise_learned), then the
 * velocity's own operations; the float64 value lies within that bound of the replay's, and the
 * GPU's within it too, so |GPU - float64| <= 2 bounds (worstElement's REASSOCIATION_SLACK).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createBuffer } from '../../src/gpu/buffers';
import { readback } from '../../src/gpu/readback';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  initialParameters,
  networkForward,
  TARGETS,
  x0FromOutput,
  type NetworkArch,
} from '../../src/maths/learn/network';
import { levelRateAt } from '../../src/maths/scheduleRates';
import { DEFAULT_SCHEDULE_PARAMS, levelAt, type ScheduleId } from '../../src/maths/schedules';
import { EnergyGrid, type FieldParams } from '../../src/sim/field/energyGrid';
import { Trainer } from '../../src/sim/learn/trainer';
import { packMixture } from '../../src/sim/run/mixture';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';
import { F32, gpuErrors, testGpu, worstElement } from './harness';
import { forwardF32, inputScaleF32, noiseAngleF32, x0FromOutputF32 } from './networkModels';

const rng = new Rng(SEED, 83);
const G = 17;
const HALF = 2.5;
const P = DEFAULT_SCHEDULE_PARAMS;
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const ARCH: NetworkArch = {
  width: 24,
  depth: 2,
  frequencies: 6,
  activation: 'gelu',
  target: 'eps',
};

let device: GPUDevice;
let grid: EnergyGrid;
const owned: GPUBuffer[] = [];

beforeAll(async () => {
  device = (await testGpu()).device;
  grid = await EnergyGrid.create(device, shaderSources, { size: G, halfWidth: HALF });
});
afterAll(() => {
  grid.destroy();
  for (const b of owned) b.destroy();
});
afterEach(() => expect(gpuErrors).toEqual([]));

function upload(data: Float32Array<ArrayBuffer>): GPUBuffer {
  const b = createBuffer(device, { label: 'test', size: 0, usage: USAGE, data });
  owned.push(b);
  return b;
}

describe(`learned velocity on the grid (SEED=${SEED})`, () => {
  for (const schedule of ['cosine', 'rectified'] as const satisfies readonly ScheduleId[])
    for (const target of TARGETS) {
      const t = 0.05 + 0.9 * rng.uniform();
      test(`${schedule}, ${target}-prediction, t = ${t.toFixed(4)}: the network's v`, async () => {
        const arch = { ...ARCH, target };
        const trainer = await Trainer.create(device, shaderSources, {
          arch,
          batch: 64,
          lr: 1e-3,
          weightDecay: 0.01,
          emaDecay: 0.9,
          maxGradNorm: 1,
          weighting: 'none',
          seed: SEED,
        });
        // Weights of a trained scale (the initial ones, doubled: outputs of order 1).
        const params = initialParameters(arch, SEED + 11).map((v) => 2 * v);
        trainer.setWeights(params);
        const { alpha, sigma } = levelAt(schedule, P, t);
        const { alphaDot, halfVarianceDot } = levelRateAt(schedule, P, t);
        const points = Float32Array.from({ length: 40 }, () => rng.normal());
        const p: FieldParams = {
          denoiser: 'empirical',
          alpha,
          sigma,
          temperature: 1,
          m: 20,
          k: 0,
          data: upload(points),
          mixture: upload(packMixture(null)),
          arrows: 'velocity',
          alphaDot,
          halfVarianceDot,
          network: { net: trainer.net, model: trainer.ema, turns: trainer.turns },
          networkStep: 1,
        };
        const encoder = device.createCommandEncoder();
        expect(grid.update(encoder, p)).toBe(true);
        device.queue.submit([encoder.finish()]);
        const gpu = Float64Array.from(new Float32Array(await readback(device, grid.score)));
        trainer.destroy();

        const h = 1e-6;
        const [lo, hi] = [levelAt(schedule, P, t - h), levelAt(schedule, P, t + h)];
        const [rateA, rateS] = [(hi.alpha - lo.alpha) / (2 * h), (hi.sigma - lo.sigma) / (2 * h)];
        const [a, s, ad, hv] = [alpha, sigma, alphaDot, halfVarianceDot].map((v) => F32.of(v));
        const cIn = inputScaleF32(a!, s!);
        const tau = noiseAngleF32(a!, s!);
        const cpu = new Float64Array(2 * G * G);
        const bound = new Float64Array(2 * G * G);
        for (let k = 0; k < G * G; k++) {
          const at = [k % G, Math.floor(k / G)];
          const x = at.map((i, c) => F32.of(grid.origin[c]!).add(F32.of(grid.spacing).mul(i)));
          const out = forwardF32(arch, params, [x[0]!.mul(cIn), x[1]!.mul(cIn), tau]);
          const x64 = at.map((i, c) => grid.origin[c]! + grid.spacing * i);
          const c64 = 1 / Math.sqrt(alpha * alpha + sigma * sigma);
          const tau64 = (2 / Math.PI) * Math.atan2(sigma, alpha);
          const row = [x64[0]! * c64, x64[1]! * c64, tau64];
          const out64 = networkForward(arch, params, row, 1).out;
          for (let c = 0; c < 2; c++) {
            const x0 = x0FromOutputF32(target, x[c]!, out[c]!, a!, s!);
            const rate = hv!.div(s!.mul(s!));
            const v = ad!.mul(x0).add(rate.mul(x[c]!.sub(a!.mul(x0))));
            bound[2 * k + c] = v.e;
            const x064 = x0FromOutput(target, x64[c]!, out64[c]!, alpha, sigma);
            cpu[2 * k + c] = rateA * x064 + (rateS * (x64[c]! - alpha * x064)) / sigma;
          }
        }
        const { error, tolerance } = worstElement(gpu, cpu, bound);
        within(error, tolerance, `${schedule} ${target}: 2x the F32 replay's bound`);
      });
    }
});
