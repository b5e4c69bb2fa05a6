/**
 * Readings belong to the particles shown: for every mode and sampler, at step 0, step 1, mid-run
 * and the last step, metrics() describes exactly the particles positions() returns, at the level
 * of the t status() reports, and memorisation() the images images() returns; each checked
 * against a float64 computation on those particles.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { datasetMixture } from '../../src/maths/datasets';
import { denoiseEmpirical, denoiseMixture } from '../../src/maths/denoisers';
import { denoiseImagesEmpirical, nearestImages } from '../../src/maths/imageDenoisers';
import { MEMORISED_BELOW } from '../../src/maths/memorisation';
import { forwardLevels, levelAt, reverseLevels, type Level } from '../../src/maths/schedules';
import type { Settings } from '../../src/settings/settings';
import { EPS32 } from '../random';
import { SharedPage, useBrowser } from './browser';

const base = inject('baseUrl');
const STEPS = 6;
const N = 512;
/** One page for every run (each configures what it needs). */
const shared = new SharedPage(`${base}#n=${N}&steps=${STEPS}&loop=false&m=1000`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

/** The levels of a run as src/sandbox/lane.ts runLevels builds them (pure functions of the settings). */
function levelsOf(s: Settings): Level[] {
  if (s.mode === 'langevin' && s.langevin !== 'annealed' && s.langevin !== 'pc') {
    const level = levelAt(s.schedule, s, s.noiseLevel);
    return Array.from({ length: s.steps + 1 }, () => level);
  }
  return s.mode === 'forward'
    ? forwardLevels(s.schedule, s, s.steps)
    : reverseLevels(s.schedule, s, s.steps);
}

/** The level the particles are at after k steps (annealed: the level being sampled). */
function levelAfter(s: Settings, k: number): Level {
  const levels = levelsOf(s);
  const annealed = s.mode === 'langevin' && s.langevin === 'annealed';
  return levels[annealed ? Math.min(k, levels.length - 2) : k]!;
}

/** Mean and population variance in float64. */
function meanVariance(u: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < u.length; i++) mean += u[i]!;
  mean /= u.length;
  let variance = 0;
  for (let i = 0; i < u.length; i++) variance += (u[i]! - mean) ** 2;
  return { mean, variance: variance / u.length };
}

interface Reading {
  status: { t: number; step: number; nfe: number };
  positions: number[];
  metrics: { energy: number; energyVariance: number; heatCapacity: number; temperature: number };
}

/** What the page reports after k more steps (k = 0: now). */
async function readAfter(page: import('playwright-core').Page, k: number): Promise<Reading> {
  return page.evaluate(async (steps) => {
    const s = window.sandbox;
    if (steps > 0) await s.step(steps);
    const metrics = await s.metrics();
    return {
      status: s.status(),
      positions: Array.from(await s.positions()),
      metrics: {
        energy: metrics.energy,
        energyVariance: metrics.energyVariance,
        heatCapacity: metrics.heatCapacity,
        temperature: metrics.temperature,
      },
    };
  }, k);
}

const RUNS: Partial<Settings>[] = [
  ...(['ddpm', 'ddim', 'euler', 'heun', 'em', 'dpmpp2m'] as const).map((sampler) => ({
    mode: 'reverse' as const,
    sampler,
  })),
  ...(['ula', 'mala', 'underdamped', 'annealed', 'pc'] as const).map((langevin) => ({
    mode: 'langevin' as const,
    langevin,
    // Annealed: e_i = h sigma_i^2 / sigma_L^2, stable while h / sigma_L^2 < 2 (sigma_L ~ 2e-3).
    stepSize: langevin === 'annealed' ? 1e-6 : 0.002,
    temperature: 0.7,
  })),
  { mode: 'forward', schedule: 'linear' },
  // No mixture: the exact denoiser is the empirical one over the stored points.
  { mode: 'reverse', sampler: 'ddim', dataset: 'moons' },
];

describe('metrics() reads the particles shown', () => {
  for (const run of RUNS) {
    const name = Object.entries(run)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    test(`${name}: at step 0, 1, mid-run and the last, against float64 on the particles`, async () => {
      const { page, errors } = await shared.get(browser);
      const settings = await page.evaluate(async (patch) => {
        await window.sandbox.configure({ dataset: 'gaussians8', ...patch });
        await window.sandbox.reset();
        return window.sandbox.settings();
      }, run);
      const mixture = settings.dataset === 'moons' ? null : datasetMixture('gaussians8');
      const data = mixture
        ? null
        : await page.evaluate(async () => Array.from(await window.sandbox.data()));
      let step = 0;
      for (const k of [0, 1, STEPS / 2 - 1, STEPS / 2]) {
        const r = await readAfter(page, k);
        step += k;
        const level = levelAfter(settings, step);
        expect(r.status.step).toBe(step);
        expect(r.status.t).toBe(level.t);
        const where = `${name}, step ${step}, t ${level.t}`;
        if (!mixture && level.sigma === 0) {
          // The stored points have no density: no energy at sigma = 0.
          expect(r.metrics.energy, where).toBeNaN();
          continue;
        }
        const exact = mixture
          ? denoiseMixture(r.positions, mixture, level.alpha, level.sigma)
          : denoiseEmpirical(r.positions, data!, level.alpha, level.sigma);
        const { mean, variance } = meanVariance(exact.energy);
        // Error model: each U_i is a logsumexp of float32 logits; its rounding error is at most
        // c eps32 times the magnitudes it is formed from: |U_i| and the largest logit, which is
        // |x - alpha mu|^2 / (2 sigma^2) at most (bounded here by |U_i| + |x_i|^2 / sigma^2 + 10),
        // c = 32 for the dozen operations and exp/log's few ulp. The mean inherits the largest
        // per-particle error plus the reduction's log2(N) eps32 max|U|; the variance
        // 2 std delta + delta^2 plus its own reduction's share.
        let delta = 0;
        let largest = 0;
        for (let i = 0; i < exact.energy.length; i++) {
          const u = Math.abs(exact.energy[i]!);
          const x2 = r.positions[2 * i]! ** 2 + r.positions[2 * i + 1]! ** 2;
          const scale = level.sigma > 0 ? (x2 + 10) / level.sigma ** 2 : x2 + 10;
          delta = Math.max(delta, 32 * EPS32 * (u + scale + 10));
          largest = Math.max(largest, u);
        }
        const reduction = 2 * Math.log2(N) * EPS32;
        expect(Math.abs(r.metrics.energy - mean), where).toBeLessThanOrEqual(
          delta + reduction * largest,
        );
        const std = Math.sqrt(variance);
        expect(Math.abs(r.metrics.energyVariance - variance), where).toBeLessThanOrEqual(
          2 * std * delta + delta ** 2 + reduction * (variance + largest ** 2),
        );
        const T = settings.mode === 'langevin' ? settings.temperature : 1;
        expect(r.metrics.temperature).toBe(T);
        expect(r.metrics.heatCapacity).toBe(r.metrics.energyVariance / (T * T));
      }
      expect(errors).toEqual([]);
    });
  }
});

/** One of each way a run's slots are laid out (src/sim/run/plan.ts): step, corrector, Langevin. */
const IMAGE_RUNS: Partial<Settings>[] = [
  { mode: 'reverse', sampler: 'ddim' },
  { mode: 'reverse', sampler: 'heun' },
  { mode: 'langevin', langevin: 'ula' },
];

describe('memorisation() reads the images shown', () => {
  for (const run of IMAGE_RUNS) {
    const name = Object.values(run).join(' ');
    test(`MNIST, empirical denoiser, ${name}: at step 0, 1, mid-run and the last, against float64`, async () => {
      const { page, errors } = await shared.get(browser);
      const settings = await page.evaluate(async (patch) => {
        await window.sandbox.configure({
          dataset: 'mnist',
          m: 64,
          n: 6,
          denoiser: 'empirical',
          ...patch,
        });
        await window.sandbox.reset();
        return window.sandbox.settings();
      }, run);
      const d = 784;
      const data = await page.evaluate(async () => Array.from(await window.sandbox.data()));
      const m = data.length / d;
      let step = 0;
      for (const k of [0, 1, STEPS / 2 - 1, STEPS / 2]) {
        const r = await page.evaluate(async (steps) => {
          const s = window.sandbox;
          if (steps > 0) await s.step(steps);
          return {
            memorisation: (await s.memorisation())!,
            status: s.status(),
            images: Array.from(await s.images()),
          };
        }, k);
        step += k;
        const level = levelAfter(settings, step);
        expect(r.status.step).toBe(step);
        expect(r.memorisation.step).toBe(step);
        expect(r.memorisation.t).toBe(level.t);
        const n = settings.n;
        // x0_hat of the images shown at their level (x itself at sigma = 0), then each one's
        // nearest training images, as the GPU does.
        const x0hat =
          level.sigma === 0
            ? r.images
            : denoiseImagesEmpirical(r.images, n, data, m, d, level.alpha, level.sigma).x0hat;
        const near = nearestImages(x0hat, n, data, m, d);
        // Error model: a ratio within 1e-4 of 1/3 could fall either side in float32 (distances of
        // ~100 carry ~1e-5 relative error, x0_hat ~1e-5 more); only those may disagree.
        let memorised = 0;
        let unsure = 0;
        for (let i = 0; i < n; i++) {
          const ratio = Math.sqrt(near.d1[i]! / near.d2[i]!);
          if (Math.abs(ratio - MEMORISED_BELOW) < 1e-4) unsure++;
          else if (ratio < MEMORISED_BELOW) memorised++;
        }
        const where = `step ${step}, t ${level.t}`;
        expect(r.memorisation.memorised * n, where).toBeGreaterThanOrEqual(memorised - 1e-9);
        expect(r.memorisation.memorised * n, where).toBeLessThanOrEqual(memorised + unsure + 1e-9);
      }
      expect(errors).toEqual([]);
    });
  }
});
