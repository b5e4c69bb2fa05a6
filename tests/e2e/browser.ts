/**
 * Headless Chromium with real WebGPU on SwiftShader, launched as the product is used
 * (flags: ../shared/docs/webgpu-without-a-gpu.md), plus helpers to drive the page.
 *
 * Time on SwiftShader (a CPU) goes mostly to drawing: the page redraws every animation frame,
 * at a cost that grows with the sprites drawn (particles, and the data unless showData=false),
 * and every GPU readback or run waits behind the frames in flight. So pages leave the data
 * undrawn unless a test looks at it, tests that need no fresh page share one (see restore),
 * and waits are for states (a message, a step, a frame), never for a length of time.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import type { Settings } from '../../src/settings/settings';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';

export async function launch(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const args =
    options.webgpu === false
      ? CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu')
      : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

export interface OpenPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

/** A message the page showed: its level (info, warning, error) and text. */
export interface Shown {
  level: string;
  text: string;
}

declare global {
  interface Window {
    /** Every message shown since the page loaded (installed by watchMessages). */
    shownMessages?: Shown[];
  }
}

/**
 * Logs every message the page shows into window.shownMessages, from before its scripts run:
 * messages fade after a few seconds, and a loaded machine may look later than that.
 */
export async function watchMessages(target: Page | BrowserContext): Promise<void> {
  await target.addInitScript(() => {
    const shown: Shown[] = [];
    window.shownMessages = shown;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof HTMLElement) || !node.classList.contains('message')) continue;
          const level = [...node.classList].find((c) => c !== 'message') ?? '';
          shown.push({ level, text: node.textContent });
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
}

/**
 * How long a wait for a state of the page may take before it counts as a hang: far more than
 * any of them takes, even on a loaded machine (the tests' own timeout is 180 s).
 */
export const WAIT = 150_000;

/**
 * Opens a page (its waits time out after WAIT ms) with its messages watched; `init` runs in it
 * before its own scripts. By default in the wide layout (src/ui/layout.ts), where the controls
 * and the charts are both on screen; tests/e2e/layout.test.ts tries the other sizes.
 */
export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 800 },
  init?: () => void,
): Promise<OpenPage> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(WAIT);
  await watchMessages(page);
  if (init) await page.addInitScript(init);
  // The live observables, and drawing the data's points under the particles, cost SwiftShader
  // much more than a GPU: pages that do not test them leave them off, unless the link says
  // otherwise.
  for (const [key, value] of [
    ['observables', 'false'],
    ['showData', 'false'],
  ]) {
    if (!new RegExp(`[#&]${key}=`).test(url))
      url += `${url.includes('#') ? '&' : '#'}${key}=${value}`;
  }
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/**
 * A page that the tests of a file share, where they need no fresh one: a boot compiles every
 * kernel, seconds of SwiftShader's time. Booted on first use, and put back to its boot's
 * settings for every test (restore); a failed test discards it, so that the next boots afresh.
 */
export class SharedPage {
  private open: (OpenPage & { booted: Settings }) | null = null;

  constructor(
    private readonly url: string,
    private readonly viewport?: { width: number; height: number },
  ) {}

  get page(): Page | undefined {
    return this.open?.page;
  }

  /** The page, paused at the start of its boot's run, whichever test is the first to ask. */
  async get(browser: Browser): Promise<OpenPage> {
    if (!this.open) {
      const opened = await openPage(browser, this.url, this.viewport);
      await ready(opened.page);
      const booted = await opened.page.evaluate(() => window.sandbox.settings());
      this.open = { ...opened, booted };
    }
    await restore(this.open.page, this.open.booted);
    return this.open;
  }

  async discard(): Promise<void> {
    const open = this.open;
    this.open = null;
    await open?.page.context().close();
  }
}

/**
 * The browser of a test file, launched before its tests and closed after them; after each test
 * the pages it opened are closed (the shared pages' own stay), and a shared page that saw a test
 * fail is discarded, so that the next test boots a fresh one.
 */
export function useBrowser(set: (browser: Browser) => void, shared: SharedPage[] = []): void {
  let browser: Browser | null = null;
  beforeAll(async () => {
    browser = await launch();
    set(browser);
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') for (const page of shared) await page.discard();
    if (browser)
      await closePages(
        browser,
        shared.map((s) => s.page).find((page) => page),
      );
  });
  afterAll(async () => {
    await browser?.close();
  });
}

/** Waits for window.sandbox.ready. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => 'sandbox' in window);
  await page.evaluate(() => window.sandbox.ready);
}

/** Closes every page of the browser but `keep`'s (pages left open keep rendering). */
export async function closePages(browser: Browser, keep?: Page): Promise<void> {
  for (const context of browser.contexts())
    if (!keep || context !== keep.context()) await context.close();
}

/**
 * Puts a shared page back as it booted, for the next test: paused, at the boot's settings (and
 * so the same runs), from the start of the run, with the messages of the tests before dismissed
 * (as a click on them would): they would otherwise lie over the next test's screenshots.
 */
export async function restore(page: Page, settings: Settings): Promise<void> {
  await page.evaluate(async (s) => {
    window.sandbox.pause();
    await window.sandbox.configure(s);
    await window.sandbox.reset();
    for (const note of document.querySelectorAll('.message')) note.remove();
  }, settings);
}

/** Opens the GUI folder with this title; a click on an open one would close it. */
export async function openFolder(page: Page, title: string): Promise<void> {
  const heading = page.locator('.lil-title', { hasText: title });
  if (await heading.evaluate((el) => el.parentElement!.classList.contains('lil-closed')))
    await heading.click();
}

/** The lil-gui controller whose label is exactly `name`. */
export function control(page: Page, name: string): Locator {
  const label = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page
    .locator('.lil-controller')
    .filter({ has: page.locator('.lil-name', { hasText: label }) });
}

/** How many messages the page has shown so far: pass it to nextMessage as `after`. */
export async function shownCount(page: Page): Promise<number> {
  return page.evaluate(() => window.shownMessages?.length ?? 0);
}

/**
 * The text of the first message of this level shown after the first `after` messages of the
 * page, waiting for one; it is found even if it has faded since.
 */
export async function nextMessage(
  page: Page,
  level: 'error' | 'warning' | 'info',
  after = 0,
): Promise<string> {
  const handle = await page.waitForFunction(
    ([l, a]) => window.shownMessages?.slice(a).find((m) => m.level === l)?.text,
    [level, after] as const,
  );
  return (await handle.jsonValue()) as string;
}

/** Every message the page has shown since it loaded. */
export async function shownMessages(page: Page): Promise<Shown[]> {
  return page.evaluate(() => window.shownMessages ?? []);
}

/**
 * A screenshot of the page, or of the part of it that `region` covers, as drawn. No style is
 * injected to hide a text caret (none of these pages has one), which would cost a frame more.
 */
export async function screenshot(page: Page, region?: Locator): Promise<Buffer> {
  const clip = region ? await region.boundingBox() : null;
  if (region && !clip) throw new Error('screenshot: the region is not on the page');
  return page.screenshot({ caret: 'initial', ...(clip ? { clip } : {}) });
}

/** Waits until the page has drawn `count` more animation frames. */
export async function frames(page: Page, count = 2): Promise<void> {
  await page.evaluate(async (k) => {
    for (let i = 0; i < k; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
  }, count);
}
