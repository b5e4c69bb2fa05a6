/**
 * Langevin and the physics view in the real page: switching to Langevin in the GUI, the live
 * observables and their charts, the metrics and velocities of the API, a diverging step size
 * that pauses with a message and leaves the page responsive, and the clone experiment.
 */
import { describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  control,
  frames,
  nextMessage,
  openFolder,
  screenshot,
  SharedPage,
  shownCount,
  useBrowser,
  WAIT,
} from './browser';
import { decodePng, difference, type Image } from './pixels';

/** Mean brightness over RGB, 0 to 255. */
function brightness(a: Image): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 4) sum += a.data[i]! + a.data[i + 1]! + a.data[i + 2]!;
  return sum / ((a.data.length / 4) * 3);
}

const base = inject('baseUrl');
/**
 * The page of the tests that need no fresh one (each sets what it needs on it): 1024 particles,
 * a reverse run of 400 steps. Every frame draws every particle: no more than the tests need.
 */
const shared = new SharedPage(`${base}#n=1024&loop=false&steps=400`);
let browser: Browser;

useBrowser((b) => (browser = b), [shared]);

/**
 * A Langevin run with a step size far too large, played with `hide` hidden: the error message
 * shown, and the step before and after 10 more frames. Configured while paused, so the
 * divergence is found after play(), not before it (a play() after the pause would resume).
 */
async function divergeAndWatch(
  page: Page,
  hide: string,
): Promise<{ text: string; paused: { before: number; after: number } }> {
  const shown = await shownCount(page);
  await page.evaluate(async (hidden) => {
    await window.sandbox.configure({
      hide: hidden,
      mode: 'langevin',
      langevin: 'ula',
      steps: 5000,
      stepSize: 5,
    });
    window.sandbox.play();
  }, hide);
  const text = await nextMessage(page, 'error', shown);
  const before = await page.evaluate(() => window.sandbox.status().step);
  await frames(page, 10);
  const after = await page.evaluate(() => window.sandbox.status().step);
  return { text, paused: { before, after } };
}

describe('Langevin in the page', () => {
  test('switching to Langevin in the GUI runs it, and the metrics say what the sampler does', async () => {
    const { page, errors } = await shared.get(browser);
    await control(page, 'mode').locator('select').selectOption('langevin');
    await page.waitForFunction(() => window.sandbox.settings().mode === 'langevin');
    await control(page, 'Langevin sampler').locator('select').selectOption('mala');
    await page.waitForFunction(() => window.sandbox.settings().langevin === 'mala');
    const mala = await page.evaluate(async () => {
      await window.sandbox.configure({ stepSize: 0.02 });
      await window.sandbox.run();
      return { metrics: await window.sandbox.metrics(), status: window.sandbox.status() };
    });
    expect(mala.status.step).toBe(400);
    // gaussians8 at t = 0.05: U is finite, MALA accepts a fraction of its proposals.
    expect(Number.isFinite(mala.metrics.energy)).toBe(true);
    expect(mala.metrics.acceptance).toBeGreaterThan(0.3);
    expect(mala.metrics.acceptance).toBeLessThan(1);
    expect(mala.metrics.nonFinite).toBe(0);
    expect(Number.isNaN(mala.metrics.kineticTemperature)).toBe(true);
    // The cloud sits at the data (on the ring of 8 modes), not around the origin where it started.
    const meanRadius = (xy: ArrayLike<number>): number => {
      let r = 0;
      for (let i = 0; i < xy.length; i += 2) r += Math.hypot(xy[i]!, xy[i + 1]!);
      return r / (xy.length / 2);
    };
    const [particles, data] = await page.evaluate(async () => [
      Array.from(await window.sandbox.positions()),
      Array.from(await window.sandbox.data()),
    ]);
    expect(meanRadius(particles) / meanRadius(data)).toBeCloseTo(1, 1);
    expect(errors).toEqual([]);
  });

  test('underdamped: velocities() and a kinetic temperature near T', async () => {
    const { page } = await shared.get(browser);
    const out = await page.evaluate(async () => {
      await window.sandbox.configure({
        n: 4096,
        mode: 'langevin',
        langevin: 'underdamped',
        stepSize: 0.02,
        gamma: 2,
        temperature: 0.7,
        steps: 300,
      });
      await window.sandbox.run();
      const v = await window.sandbox.velocities();
      return { v: Array.from(v), metrics: await window.sandbox.metrics() };
    });
    expect(out.v).toHaveLength(2 * 4096);
    let v2 = 0;
    for (const c of out.v) v2 += c * c;
    const fromVelocities = v2 / out.v.length;
    // The GPU's reduction agrees with the velocities read back, and both with T = 0.7
    // (standard error of <v^2>/d over 8192 coordinates: 0.7 sqrt(2 / 8192) = 0.011).
    expect(out.metrics.kineticTemperature).toBeCloseTo(fromVelocities, 3);
    expect(Math.abs(out.metrics.kineticTemperature - 0.7)).toBeLessThan(0.06);
    // Heat flows out of the particles as they fall into the wells from N(0, I).
    expect(out.metrics.heat).toBeGreaterThan(0);
    await expect(
      page.evaluate(() =>
        window.sandbox.configure({ langevin: 'ula' }).then(() => window.sandbox.velocities()),
      ),
    ).rejects.toThrow(/underdamped/);
  });

  test('the observables charts fill in as the run plays, with what metrics() measures', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(async () => {
      await window.sandbox.configure({
        mode: 'langevin',
        langevin: 'ula',
        stepSize: 0.005,
        steps: 2000,
        observables: true,
      });
      window.sandbox.play();
    });
    const visible = page.locator('.physics-charts .physics-chart:not([hidden])');
    await expect.poll(() => visible.count(), { timeout: WAIT }).toBeGreaterThanOrEqual(3);
    // Each chart's element holds its uPlot (src/ui/physicsCharts.ts): what it draws, x first.
    const plotted = (id: string): Promise<(number | null)[][]> =>
      page.evaluate(
        (c) =>
          (
            document.querySelector(`.physics-${c}`) as HTMLElement & {
              uplot: { data: (number | null)[][] };
            }
          ).uplot.data,
        id,
      );
    // Samples from two steps of the run at least, then paused. A measurement measures the
    // distance, then the observables at the step it reads then: the newest two samples at the
    // paused step make the newest one all of the paused state.
    await expect
      .poll(async () => new Set((await plotted('energy'))[0]).size, { timeout: WAIT })
      .toBeGreaterThanOrEqual(2);
    await page.evaluate(() => window.sandbox.pause());
    const step = await page.evaluate(() => window.sandbox.status().step);
    await expect
      .poll(async () => (await plotted('energy'))[0]!.slice(-2), { timeout: WAIT })
      .toEqual([step, step]);
    // Every chart read at one moment (one evaluate): a new sample between reads would make
    // them disagree.
    const [energy, capacity, distance, nonFinite] = await page.evaluate(() =>
      ['energy', 'heat-capacity', 'distance', 'non-finite'].map(
        (c) =>
          (
            document.querySelector(`.physics-${c}`) as HTMLElement & {
              uplot: { data: (number | null)[][] };
            }
          ).uplot.data,
      ),
    );
    const [metrics, status] = await page.evaluate(async () => [
      await window.sandbox.metrics(),
      window.sandbox.status(),
    ]);
    expect(status.step).toBe(step);
    expect(metrics.step).toBe(step);
    // Against the step of the run, oldest to newest: whole steps, in order, two of them at
    // least; every chart of the same samples.
    const steps = energy![0]!;
    expect(new Set(steps).size).toBeGreaterThanOrEqual(2);
    for (const [i, x] of steps.entries()) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(i === 0 ? 0 : steps[i - 1]!);
    }
    expect(steps.at(-1)).toBe(step);
    for (const chart of [capacity, distance, nonFinite]) expect(chart![0]).toEqual(steps);
    // Every sample has a finite energy and heat capacity and no particle lost; the newest,
    // measured while paused, is what metrics() measures of the same particles, and its
    // distance is the last one measured.
    for (const series of [energy![1]!, capacity![1]!]) {
      for (const v of series) expect(Number.isFinite(v)).toBe(true);
    }
    expect(nonFinite![1]!.every((v) => v === 0)).toBe(true);
    expect(nonFinite![2]!.every((v) => v === 0)).toBe(true);
    expect(energy![1]!.at(-1)).toBe(metrics.energy);
    expect(capacity![1]!.at(-1)).toBe(metrics.heatCapacity);
    expect(distance![1]!.at(-1)).toBe(status.distance);
    // And the energy chart draws that point where its scales put it: the line's colour
    // (#ff9a4a) within 2 px of it.
    const near = await page.evaluate(() => {
      const u = (
        document.querySelector('.physics-energy') as HTMLElement & {
          uplot: {
            data: number[][];
            ctx: CanvasRenderingContext2D;
            valToPos: (v: number, scale: string, canvas: boolean) => number;
          };
        }
      ).uplot;
      const x = Math.round(u.valToPos(u.data[0]!.at(-1)!, 'x', true));
      const y = Math.round(u.valToPos(u.data[1]!.at(-1)!, 'y', true));
      const { data } = u.ctx.getImageData(x - 2, y - 2, 5, 5);
      let hits = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
        if (a > 64 && Math.abs(r - 0xff) < 40 && Math.abs(g - 0x9a) < 40 && Math.abs(b - 0x4a) < 40)
          hits++;
      }
      return hits;
    });
    expect(near).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  test('an embedded run with every panel hidden still pauses when it diverges', async () => {
    const { page } = await shared.get(browser);
    const { text, paused } = await divergeAndWatch(page, 'gui,charts,hud');
    expect(text).toMatch(/diverged/);
    expect(paused.after).toBe(paused.before);
    expect(paused.before).toBeLessThan(5000);
  });

  test('a diverging step size pauses the run with what to lower, and the page stays responsive', async () => {
    const { page } = await shared.get(browser);
    const { text, paused } = await divergeAndWatch(page, '');
    expect(text).toMatch(/diverged/);
    expect(text).toMatch(/Lower stepSize/);
    // Paused: the step count stays put while the page draws on (playing, every frame would
    // take a step); the page still answers.
    expect(paused.after).toBe(paused.before);
    expect(paused.before).toBeLessThan(5000);
    // A sane step size runs again, with every particle finite.
    const m = await page.evaluate(async () => {
      await window.sandbox.configure({ stepSize: 0.005, steps: 50 });
      await window.sandbox.run();
      return window.sandbox.metrics();
    });
    expect(m.nonFinite + m.escaped).toBe(0);
  });
});

describe('the physics view', () => {
  test('the heat map, the 3D landscape, arrows and trails render, and 2D comes back unchanged', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(async () => {
      await window.sandbox.configure({
        n: 2048,
        mode: 'langevin',
        langevin: 'ula',
        stepSize: 0.002,
        steps: 30,
        trails: 16,
        trailParticles: 64,
      });
      await window.sandbox.run();
    });
    const shot = async (): Promise<Image> => {
      // Two frames drawn after the change, then the canvas as the user sees it.
      await frames(page, 2);
      return decodePng(await screenshot(page, page.locator('#view')));
    };
    const plain = await shot();
    await control(page, 'landscape').locator('select').selectOption('energy');
    await page.waitForFunction(() => window.sandbox.settings().landscape === 'energy');
    const heat = await shot();
    await control(page, 'view').locator('select').selectOption('3d');
    await page.waitForFunction(() => window.sandbox.settings().view === '3d');
    const surface = await shot();
    await page.evaluate(() => window.sandbox.configure({ arrows: true }));
    const arrows = await shot();
    await page.evaluate(() => window.sandbox.configure({ view: '2d', arrows: false }));
    const back = await shot();
    // The heat map lights the background behind the particles; the 3D view is another picture.
    expect(brightness(heat)).toBeGreaterThan(brightness(plain) + 5);
    expect(difference(heat, plain)).toBeGreaterThan(5);
    expect(difference(surface, heat)).toBeGreaterThan(5);
    expect(difference(arrows, surface)).toBeGreaterThan(0.5);
    // Back in 2D: the same picture as before (the run did not move meanwhile).
    expect(difference(back, heat)).toBeLessThan(0.5);
    expect(await page.evaluate(() => window.sandbox.status().step)).toBe(30);
    expect(errors).toEqual([]);
  });

  test('velocity arrows: greyed out in Langevin mode, another quiver than the score in a reverse run', async () => {
    const { page, errors } = await shared.get(browser);
    await page.evaluate(() =>
      window.sandbox.configure({ mode: 'langevin', arrowField: 'velocity' }),
    );
    await openFolder(page, 'Physics view');
    const disabled = (name: string): Promise<boolean> =>
      control(page, name).evaluate((el) => el.classList.contains('lil-disabled'));
    await expect.poll(() => disabled('arrows of (Langevin: score)')).toBe(true);
    await page.evaluate(async () => {
      await window.sandbox.configure({
        mode: 'reverse',
        schedule: 'rectified',
        sampler: 'euler',
        steps: 10,
        landscape: 'off',
        view: '2d',
        arrows: true,
        arrowField: 'score',
      });
      await window.sandbox.run();
    });
    expect(await disabled('arrows of')).toBe(false);
    const shot = async (): Promise<Image> => {
      await frames(page, 2);
      return decodePng(await screenshot(page, page.locator('#view')));
    };
    const score = await shot();
    await control(page, 'arrows of').locator('select').selectOption('velocity');
    await page.waitForFunction(() => window.sandbox.settings().arrowField === 'velocity');
    const velocity = await shot();
    await page.evaluate(() => window.sandbox.configure({ arrowField: 'score' }));
    const back = await shot();
    // At t = 0 on rectified, v = -x0_hat: other arrows than the score's, and the score's again after.
    expect(difference(velocity, score)).toBeGreaterThan(0.5);
    expect(difference(back, score)).toBeLessThan(0.5);
    expect(errors).toEqual([]);
  });
});

describe('measurements tied to steps', () => {
  test('a fast run still charts every steps/40-th step, the commitment is marked only when bracketed, and a reset starts afresh', async () => {
    const { page, errors } = await shared.get(browser);
    interface Charts {
      history(key: string): number[];
      commitmentT: number | null;
    }
    // 20 steps at 8 a frame: three frames, far fewer than the measurements a slow GPU can make
    // meanwhile. Playback waits at every step (ceil(20 / 40)) until it is measured.
    await page.evaluate(async () => {
      await window.sandbox.configure({ steps: 20, speed: 8, observables: true });
      window.sandbox.play();
    });
    const history = (key: string): Promise<number[]> =>
      page.evaluate(
        (k) =>
          (
            document.querySelector('.physics-charts') as HTMLElement & { charts: Charts }
          ).charts.history(k),
        key,
      );
    await expect.poll(async () => (await history('step')).at(-1), { timeout: WAIT }).toBe(20);
    const steps = await history('step');
    for (let k = 0; k <= 20; k++) expect(steps, `step ${k}`).toContain(k);
    // In order, one run: the steps never go back.
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThanOrEqual(steps[i - 1]!);
    // The heat capacity's peak is marked at its argmax, a sample on each side of it.
    const [ts, capacity, marked] = await Promise.all([
      history('t'),
      history('heatCapacity'),
      page.evaluate(
        () =>
          (document.querySelector('.physics-charts') as HTMLElement & { charts: Charts }).charts
            .commitmentT,
      ),
    ]);
    const peak = capacity.indexOf(Math.max(...capacity.filter(Number.isFinite)));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(capacity.length - 1);
    expect(marked).toBe(ts[peak]);
    // A reset: the charts hold the new run's samples only (paused at its step 0), and with one
    // point no peak is bracketed.
    await page.evaluate(() => window.sandbox.reset());
    await expect
      .poll(async () => [...new Set(await history('step'))], { timeout: WAIT })
      .toEqual([0]);
    expect(
      await page.evaluate(
        () =>
          (document.querySelector('.physics-charts') as HTMLElement & { charts: Charts }).charts
            .commitmentT,
      ),
    ).toBeNull();
    expect(errors).toEqual([]);
  });
});

describe('clone experiment', () => {
  test('clones early in a reverse run end in the same mode less often than clones late in it', async () => {
    const { page } = await shared.get(browser);
    const out = await page.evaluate(async () => {
      await window.sandbox.configure({ sampler: 'ddpm', steps: 40 });
      await window.sandbox.reset();
      const early = await window.sandbox.speciation({ count: 512 });
      await window.sandbox.step(36);
      const late = await window.sandbox.speciation({ count: 512 });
      return { early, late };
    });
    expect(out.early.points[0]!.t).toBeGreaterThan(0.9);
    expect(out.late.points[0]!.t).toBeLessThan(0.2);
    // Chance for 8 equal modes is 1/8; committed particles keep their mode.
    expect(out.early.chance).toBeCloseTo(1 / 8, 6);
    expect(out.early.points[0]!.sameMode).toBeLessThan(0.35);
    expect(out.late.points[0]!.sameMode).toBeGreaterThan(0.9);
    expect(out.early.theory).not.toBeNull();
    expect(out.early.note).toBeNull();
  });
});
