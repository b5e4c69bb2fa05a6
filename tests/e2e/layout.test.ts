/**
 * The page's layout at five sizes, in each of points, images, compare and Langevin with every
 * panel open: the boxes of the visible panels do not intersect each other or the canvas (what
 * is drawn over the canvas on purpose, the HUD, the captions, the image labels and the phone's
 * drawer button, only must clear each other and the panels); the canvas keeps at least half of
 * the viewport, the whole of it on a phone with the drawer closed. A state that fails leaves its
 * screenshot in test-results/layout/ for a person to look at; LAYOUT_SHOTS=1 keeps every state's
 * (on SwiftShader a screenshot of the larger sizes takes seconds, so the suite takes none).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { control, frames, openFolder, openPage, ready, useBrowser } from './browser';

const base = inject('baseUrl');
const ARTEFACTS = path.resolve('test-results/layout');
export const SIZES = [
  [390, 844],
  [800, 600],
  [1280, 800],
  [1440, 900],
  [2560, 1440],
] as const;
/** Drawn over the canvas on purpose; everything else must stay off it. */
const OVERLAYS = new Set(['hud', 'lane-label', 'image-label', 'drawer-toggle']);
const PANELS: Record<string, string> = {
  hud: '.hud',
  'lane-label': '.lane-label',
  'image-label': '.panel-labels span',
  'drawer-toggle': '.drawer-toggle',
  tabs: '.side-tabs',
  'record-bar': '.record-bar',
  controls: '.controls > .lil-gui',
  schedule: '.dock > .charts',
  sweep: '.sweep-panel',
  observables: '.physics-charts',
  marginals: '.marginals-panel',
  speciation: '.speciation-panel',
  memorisation: '.memorisation-panel',
};

interface Box {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The visible boxes of the panels and canvases, cut to the viewport and their scroll column. */
async function boxes(page: Page): Promise<{ panels: Box[]; canvases: Box[] }> {
  return page.evaluate((selectors) => {
    const cut = (r: DOMRect, c: DOMRect) => {
      const x = Math.max(r.left, c.left);
      const y = Math.max(r.top, c.top);
      return {
        x,
        y,
        width: Math.min(r.right, c.right) - x,
        height: Math.min(r.bottom, c.bottom) - y,
      };
    };
    const viewport = new DOMRect(0, 0, innerWidth, innerHeight);
    const visible = (el: Element, name: string) => {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || el.getClientRects().length === 0) return null;
      let box = cut(el.getBoundingClientRect(), viewport);
      const column = el.closest('.dock, .controls');
      if (column && column !== el)
        box = cut(new DOMRect(box.x, box.y, box.width, box.height), column.getBoundingClientRect());
      // An empty HUD or label has no area to collide with.
      return box.width > 0.5 && box.height > 0.5 ? { name, ...box } : null;
    };
    const panels = Object.entries(selectors).flatMap(([name, selector]) =>
      [...document.querySelectorAll(selector)]
        .map((el) => visible(el, name))
        .filter((b) => b !== null),
    );
    const canvases = ['#view', '#view-b']
      .map((s) => visible(document.querySelector(s)!, s))
      .filter((b) => b !== null);
    return { panels, canvases };
  }, PANELS);
}

const intersect = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width - 0.5 &&
  b.x < a.x + a.width - 0.5 &&
  a.y < b.y + b.height - 0.5 &&
  b.y < a.y + a.height - 0.5;

/** Checks the page as it stands; `drawer`: the phone's drawer is open (it covers the canvas). */
async function checkLayout(page: Page, label: string, drawer = false): Promise<void> {
  await frames(page, 3);
  const file = path.join(ARTEFACTS, `${label}.png`);
  const shot = () => page.screenshot({ path: file });
  if (process.env.LAYOUT_SHOTS === '1') await shot();
  try {
    checkBoxes(
      await boxes(page),
      page,
      `${label} (screenshot: ${path.relative(process.cwd(), file)})`,
      drawer,
    );
  } catch (e) {
    await shot();
    throw e;
  }
}

/** The checks of `checkLayout` on the boxes measured. */
function checkBoxes(
  { panels, canvases }: { panels: Box[]; canvases: Box[] },
  page: Page,
  where: string,
  drawer: boolean,
): void {
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const [a, b] = [panels[i]!, panels[j]!];
      // The open drawer lies over the canvas and what is drawn on it, as a drawer does.
      if (drawer && OVERLAYS.has(a.name) !== OVERLAYS.has(b.name)) continue;
      expect(intersect(a, b), `${where}: ${a.name} and ${b.name} overlap`).toBe(false);
    }
  }
  const { width, height } = page.viewportSize()!;
  if (!drawer) {
    for (const panel of panels.filter((p) => !OVERLAYS.has(p.name))) {
      for (const canvas of canvases) {
        expect(intersect(panel, canvas), `${where}: ${panel.name} covers ${canvas.name}`).toBe(
          false,
        );
      }
    }
    if (page.url().includes('compare=true')) {
      const [a, b] = canvases.map((c) => c.width * c.height);
      expect(b! / a!, `${where}: lane B's size against lane A's`).toBeCloseTo(1, 1);
    }
    const share = canvases.reduce((sum, c) => sum + c.width * c.height, 0) / (width * height);
    const phone = width < 640;
    expect(share, `${where}: the canvas's share of the viewport`).toBeGreaterThanOrEqual(
      phone ? 0.99 : 0.5,
    );
  }
  // Every panel that is shown lies on the screen (not at x = -187).
  for (const panel of panels) expect(panel.x, `${where}: ${panel.name}`).toBeGreaterThanOrEqual(0);
}

/** At each size: the layout as it comes; in the tabbed sizes each tab; on a phone the drawer. */
async function checkAllSizes(page: Page, mode: string): Promise<void> {
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    const label = `${mode}-${width}x${height}`;
    const tabs = page.locator('.side-tabs');
    if (width < 640) {
      await checkLayout(page, label);
      await page.locator('.drawer-toggle').click();
      for (const tab of ['controls', 'charts']) {
        await tabs.locator(`[data-tab=${tab}]`).click();
        await checkLayout(page, `${label}-drawer-${tab}`, true);
      }
      await page.locator('.drawer-toggle').click();
    } else if (await tabs.isVisible()) {
      for (const tab of ['controls', 'charts']) {
        await tabs.locator(`[data-tab=${tab}]`).click();
        await checkLayout(page, `${label}-${tab}`);
      }
    } else {
      await checkLayout(page, label);
    }
  }
}

let browser: Browser;
useBrowser((b) => (browser = b));
beforeAll(() => {
  mkdirSync(ARTEFACTS, { recursive: true });
});

/** A page at the widest layout, where the panel's buttons are all in reach. */
async function open(hash: string): Promise<Page> {
  const { page, errors } = await openPage(browser, `${base}#${hash}`, { width: 1280, height: 800 });
  await ready(page);
  expect(errors).toEqual([]);
  return page;
}

describe('every panel in its place at every size', () => {
  test('points: observables, marginals, clones and a sweep', async () => {
    const page = await open(
      'n=2000&steps=20&loop=false&observables=true&marginals=true' +
        '&sweepSamplers=ddim&sweepSchedules=cosine&sweepNfe=1,2&sweepN=256',
    );
    await page.evaluate(() => window.sandbox.run().then(() => window.sandbox.pause()));
    await openFolder(page, 'Sweep (quality vs NFE)');
    await control(page, 'Run sweep').locator('button').click();
    await page.waitForFunction(
      () =>
        !document.querySelector('.sweep-panel progress') ||
        document.querySelector<HTMLButtonElement>('.sweep-buttons [data-act=csv]')?.disabled ===
          false,
    );
    // A clone at the run's end (t = 0): quick, and its panel opens in the dock.
    await openFolder(page, 'Physics view');
    await control(page, 'Clone at current t').locator('button').click();
    await page.locator('.speciation-panel').waitFor({ state: 'visible' });
    await checkAllSizes(page, 'points');
    await page.close();
  });

  test('images: the grids, their labels, observables and memorisation', async () => {
    const page = await open('dataset=mnist&m=500&n=16&steps=10&loop=false&observables=true');
    await page.evaluate(() => window.sandbox.run().then(() => window.sandbox.pause()));
    await checkAllSizes(page, 'images');
    await page.close();
  });

  test('compare: two lanes, their captions, observables and marginals', async () => {
    const page = await open(
      'compare=true&n=2000&steps=10&loop=false&observables=true&marginals=true',
    );
    await page.evaluate(() => window.sandbox.run().then(() => window.sandbox.pause()));
    await checkAllSizes(page, 'compare');
    await page.close();
  });

  test('Langevin: landscape, arrows, trails, observables and marginals', async () => {
    const page = await open(
      'mode=langevin&n=2000&steps=10&loop=false&observables=true&marginals=true' +
        '&landscape=energy&arrows=true&trails=16',
    );
    await page.evaluate(() => window.sandbox.run().then(() => window.sandbox.pause()));
    await checkAllSizes(page, 'langevin');
    await page.close();
  });
});
