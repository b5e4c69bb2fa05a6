/**
 * Training works: from a fixed seed, a small network trained on the GPU for a documented number of
 * steps samples (DDIM, 50 steps) within LEARNED_FACTOR of the exact denoiser's sliced-Wasserstein
 * distance to the data (3 on gaussians8, 4.5 on moons: see LEARNED_FACTOR), on gaussians8 (M = 10,000, its mixture's exact denoiser) and moons
 * (M = 2,000, the empirical one); trained long on M = 16 points its samples memorise them, and on
 * M = 10,000 they do not. Flow matching too: the same network trained on the velocity u = eps - x0
 * over rectified levels, sampled by DDIM on the rectified schedule (flow matching's Euler), is
 * held to gaussians8's factor of the exact denoiser's distance on that schedule (measured 1.65:
 * 0.109 against 0.066). Classifier-free guidance: the network conditioned on gaussians8's modes
 * with label dropout samples its class at w = 1, more of it at w = 3, and all the modes with no
 * class (CFG_IN_CLASS).
 *
 * The network is small so that training fits SwiftShader's speed (tens of steps a second): 32
 * wide, 2 blocks, 8 frequencies, v-prediction, batch 256 (64 for M = 16), lr 1e-2. The training
 * seed is fixed, so each network is the code's, not a draw's; the sampling noise and the fresh data
 * the distances are measured against come from the run's SEED.
 *
 * Tolerances. SW2 of 2,000 samples against 2,000 fresh data points has a floor of its own, which
 * the exact denoiser's run measures in the same test; the learned run is held to a factor of it
 * (measured 1.40 and 2.09 to 3.3). Memorisation (Yoon et al. 2023, Gu et al. 2023): d1 / d2 <
 * 1/3 to the two nearest stored points. Samples of a smooth density over many points meet that
 * rule with probability about (1/3)^2 = 0.11 (a Poisson process's nearest-neighbour ratio), and
 * measured 0.09 here; M = 16 after 1,500 steps measured 0.36. With 2,000 samples a fraction's
 * standard error is at most 0.011, so the bounds 0.15 and 0.25 sit 5 and 10 of them away.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import {
  datasetClasses,
  generateDataset,
  type Dataset,
  type GeneratedDatasetId,
  type Mixture,
} from '../../src/maths/datasets';
import type { Condition } from '../../src/maths/guidance';
import type { NetworkArch } from '../../src/maths/learn/network';
import { DEFAULT_SCHEDULE_PARAMS, levelAt, type ScheduleId } from '../../src/maths/schedules';
import { slicedWasserstein2 } from '../../src/maths/stats';
import { memorisedFraction } from '../../src/maths/memorisation';
import type { DenoiserId } from '../../src/settings/settings';
import { Trainer } from '../../src/sim/learn/trainer';
import { Simulation } from '../../src/sim/run/simulation';
import { Rng } from '../../src/maths/rng';
import { SEED, within } from '../random';
import { ddimSamples, testGpu } from './harness';

const TRAIN_SEED = 7;
const ARCH: NetworkArch = {
  width: 32,
  depth: 2,
  frequencies: 8,
  activation: 'gelu',
  target: 'v',
};
const N = 2000;
const SAMPLE_STEPS = 50;
let device: GPUDevice;
let sim: Simulation;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
  sim.setParticles(N);
});
afterAll(() => sim.destroy());

function levels(schedule: ScheduleId): Float32Array<ArrayBuffer> {
  const out = new Float32Array(2000);
  for (let k = 0; k < 1000; k++) {
    const l = levelAt(schedule, DEFAULT_SCHEDULE_PARAMS, (k + 1) / 1000);
    out[2 * k] = l.alpha;
    out[2 * k + 1] = l.sigma;
  }
  return out;
}

/** The network trained on `data` (v-prediction on cosine levels unless `flow`). */
async function train(
  data: Dataset,
  steps: number,
  lr: number,
  batch = 256,
  flow = false,
  labelDropout?: number,
): Promise<Trainer> {
  const classes = labelDropout === undefined ? {} : { classes: datasetClasses(data.id) };
  const t = await Trainer.create(device, shaderSources, {
    arch: { ...(flow ? { ...ARCH, target: 'velocity' } : ARCH), ...classes },
    ...(labelDropout === undefined ? {} : { labelDropout }),
    batch,
    lr,
    weightDecay: 0,
    emaDecay: 0.99,
    maxGradNorm: 1,
    weighting: 'none',
    seed: TRAIN_SEED,
  });
  t.setData(sim.data, data.points.length / 2, sim.labels);
  t.setLevels(levels(flow ? 'rectified' : 'cosine'));
  for (let done = 0; done < steps;) {
    const encoder = device.createCommandEncoder();
    done += t.encode(encoder, Math.min(100, steps - done));
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  return t;
}

async function sample(
  denoiser: DenoiserId,
  trainer: Trainer | null,
  schedule: ScheduleId = 'cosine',
  condition?: Condition,
): Promise<Float32Array> {
  if (trainer) sim.setModel({ net: trainer.net, model: trainer.ema, turns: trainer.turns });
  const run = { denoiser, steps: SAMPLE_STEPS, seed: SEED, schedule };
  return ddimSamples(sim, device, condition ? { ...run, condition } : run);
}

/**
 * The stated factors. SW2 of the learned samples is about sqrt(b^2 + f^2), b the network's own
 * error and f the 2,000-against-2,000 sampling floor that the exact run measures, so the ratio is
 * sqrt(1 + (b / f)^2) and it is f's spread, not the network, that moves it from seed to seed.
 * Measured b: 0.087 (gaussians8, f 0.09) and 0.11 (moons, f 0.037 to 0.045 over three seeds, one
 * ratio 3.3). With f down to 0.03 on moons (a quarter below its lowest seen) the ratio is 3.8.
 */
const LEARNED_FACTOR: Partial<Record<GeneratedDatasetId, number>> = { gaussians8: 3, moons: 4.5 };
const GENERALISED_BELOW = 0.15;
/**
 * Classifier-free guidance on gaussians8 (400 steps, label dropout CFG_DROPOUT): at w = 1 the
 * samples nearest their class's mode measured 0.93 to 0.975 over the 8 classes (2,000 samples: a
 * standard error of 0.006, so 0.9 is 5 of them below the worst class), and at w = 3 0.966 to 1,
 * above w = 1 in every class by 0.02 to 0.06 (4 to 10 standard errors of the difference). The
 * dropout is 0.5, not Ho & Salimans' 0.1 to 0.2, because 400 steps train the dropped rows' model
 * too little at 0.1: its unconditional SW2 measured 4.7x the exact's, and w = 3 then sampled no
 * more of the class than w = 1 (0.98 against 0.995).
 */
const CFG_DROPOUT = 0.5;
const CFG_IN_CLASS = 0.9;
const MEMORISED_ABOVE = 0.25;

describe('the learned denoiser after training', () => {
  test.each<[GeneratedDatasetId, number, number]>([
    ['gaussians8', 10000, 400],
    ['moons', 2000, 400],
  ])(
    '%s (M = %i): %i steps bring DDIM-50 samples near the exact denoiser',
    async (id, m, steps) => {
      const data = generateDataset(id, m, TRAIN_SEED);
      sim.setData(data);
      sim.setParticles(N);
      const trainer = await train(data, steps, 1e-2);
      const fresh = generateDataset(id, N, SEED ^ 0x5bd1e995).points;
      const samples = await sample('learned', trainer);
      const learned = slicedWasserstein2(samples, fresh, 64, SEED);
      const exact = slicedWasserstein2(await sample('exact', null), fresh, 64, SEED);
      trainer.destroy();
      const factor = LEARNED_FACTOR[id]!;
      within(
        learned,
        factor * exact,
        `${id}: SW2 of the learned samples vs ${factor} x the exact's`,
      );
      // Trained on many points, the samples generalise: not copies of stored points.
      if (m === 10000)
        within(
          memorisedFraction(samples, data.points),
          GENERALISED_BELOW,
          `M = ${m}: memorised fraction`,
        );
    },
    300_000,
  );

  test('flow matching: trained on the velocity over rectified levels, gaussians8 as near', async () => {
    const data = generateDataset('gaussians8', 10000, TRAIN_SEED);
    sim.setData(data);
    sim.setParticles(N);
    const trainer = await train(data, 400, 1e-2, 256, true);
    const fresh = generateDataset('gaussians8', N, SEED ^ 0x5bd1e995).points;
    const learned = slicedWasserstein2(
      await sample('learned', trainer, 'rectified'),
      fresh,
      64,
      SEED,
    );
    const exact = slicedWasserstein2(await sample('exact', null, 'rectified'), fresh, 64, SEED);
    trainer.destroy();
    console.log(`flow matching: SW2 learned ${learned.toFixed(4)}, exact ${exact.toFixed(4)}`);
    const factor = LEARNED_FACTOR.gaussians8!;
    within(
      learned,
      factor * exact,
      `velocity target: SW2 of the learned vs ${factor} x the exact's`,
    );
  }, 300_000);

  test('classifier-free guidance: the class-conditional network lands its class, more so at w = 3', async () => {
    const data = generateDataset('gaussians8', 10000, TRAIN_SEED);
    const means = (data.mixture as Mixture).components.map((k) => k.mean);
    sim.setData(data);
    sim.setParticles(N);
    const trainer = await train(data, 400, 1e-2, 256, false, CFG_DROPOUT);
    const label = new Rng(SEED, 153).int(8);
    /** The share of samples nearest the class's mode. */
    const share = (x: Float32Array): number => {
      let hits = 0;
      for (let i = 0; i < N; i++) {
        const d = means.map(([mx, my]) => Math.hypot(x[2 * i]! - mx, x[2 * i + 1]! - my));
        if (d.indexOf(Math.min(...d)) === label) hits++;
      }
      return hits / N;
    };
    const at = async (guidance: number): Promise<number> =>
      share(await sample('learned', trainer, 'cosine', { label, guidance, interval: [0, 1] }));
    const [w1, w3] = [await at(1), await at(3)];
    const fresh = generateDataset('gaussians8', N, SEED ^ 0x5bd1e995).points;
    const uncond = slicedWasserstein2(await sample('learned', trainer), fresh, 64, SEED);
    const exact = slicedWasserstein2(await sample('exact', null), fresh, 64, SEED);
    trainer.destroy();
    console.log(
      `guided learned, class ${label}: in class ${w1} (w 1), ${w3} (w 3); unconditional SW2 ${uncond.toFixed(4)} against the exact's ${exact.toFixed(4)}`,
    );
    within(1 - w1, 1 - CFG_IN_CLASS, `class ${label} at w = 1: share outside the class`);
    expect(w3, `class ${label}: w = 3 puts more samples in the class than w = 1`).toBeGreaterThan(
      w1,
    );
    const factor = LEARNED_FACTOR.gaussians8!;
    within(
      uncond,
      factor * exact,
      `no class (the dropped labels' model): SW2 vs ${factor} x the exact's`,
    );
  }, 300_000);

  test('M = 16: after 1,500 steps the samples memorise the stored points', async () => {
    const data = generateDataset('gaussians8', 16, TRAIN_SEED);
    sim.setData(data);
    sim.setParticles(N);
    const trainer = await train(data, 1500, 1e-2, 64);
    const fraction = memorisedFraction(await sample('learned', trainer), data.points);
    trainer.destroy();
    expect(fraction, 'memorised fraction, M = 16').toBeGreaterThan(MEMORISED_ABOVE);
  }, 300_000);
});
