/** Chromium for the demo-page tests: one browser per test file, pages signed in through the demo's form. */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureBuilt } from './build.js';
import type { TestApp } from './test-app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export type Viewport = { width: number; height: number };
export const desktop: Viewport = { width: 1280, height: 800 };
export const phone: Viewport = { width: 390, height: 844 };

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface DemoBrowser {
  /** A fresh browser context (its own storage) with the demo page signed in as `userId`. */
  signIn(t: TestApp, userId: string, viewport?: Viewport, prepare?: (page: Page) => Promise<void>): Promise<Page>;
}

/**
 * Registers the file's hooks: the SDK's browser bundle is built (the page loads it), Chromium is launched
 * before the tests and closed after them.
 */
export function useDemoBrowser(extraArgs: string[] = []): DemoBrowser {
  let browser: Browser | undefined;
  beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extraArgs] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async signIn(t, userId, viewport = desktop, prepare) {
      const context = await browser!.newContext({ viewport });
      const page = await context.newPage();
      await prepare?.(page);
      page.on('pageerror', (err) => console.error(`[${userId}] page error: ${err.message}`));
      await page.goto(t.url);
      await page.fill('#login [name=userId]', userId);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#status[data-state="online"]');
      return page;
    },
  };
}
