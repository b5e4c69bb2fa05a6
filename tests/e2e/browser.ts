/**
 * Headless Chromium with real WebGPU on SwiftShader, launched as the product is used
 * (flags: ../shared/docs/webgpu-without-a-gpu.md), plus helpers to drive the page.
 */
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
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

export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1000, height: 700 },
): Promise<OpenPage> {
  const page = await browser.newPage({ viewport });
  // The live observables cost SwiftShader (a CPU) much more than a GPU: pages that do not test
  // them leave them off, unless the link says otherwise.
  if (!/[#&]observables=/.test(url))
    url += url.includes('#') ? '&observables=false' : '#observables=false';
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/** Waits for window.sandbox.ready. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => 'sandbox' in window, undefined, { timeout: 60_000 });
  await page.evaluate(() => window.sandbox.ready);
}

/** Closes every page of the browser (pages left open keep rendering and starve the next test). */
export async function closePages(browser: Browser): Promise<void> {
  for (const context of browser.contexts()) await context.close();
}

/** The lil-gui controller whose label is exactly `name`. */
export function control(page: Page, name: string): Locator {
  const label = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page
    .locator('.lil-controller')
    .filter({ has: page.locator('.lil-name', { hasText: label }) });
}

/** The text of the latest message of this level, waiting up to `timeout` ms for one. */
export async function lastMessage(
  page: Page,
  level: 'error' | 'warning' | 'info',
  timeout = 60_000,
): Promise<string> {
  const note = page.locator(`.message.${level}`).last();
  await note.waitFor({ timeout });
  return (await note.textContent()) ?? '';
}
