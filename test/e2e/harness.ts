// Test helper (Node): the real browser console on a temp copy of the example party, and Debian's chromium driven by playwright-core.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startConsole } from '../../main/console/start-console.js';
import type { RunningConsole } from '../../main/console/start-console.js';
import { tempDir } from '../fixtures/corpus.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test/e2e/screenshots');
const EXAMPLE = path.resolve('examples/image-folder/party.yaml');

export interface Harness {
  page: Page;
  /** The temp folder of this run, removed at close. */
  dir: string;
  /** The temp copy the app edits and saves (with `empty`, where a config would be: not written). */
  config: string;
  /** The console's address, with its access token. */
  url: string;
  /** Console errors, failed requests and uncaught exceptions seen by the page. */
  problems: string[];
  screenshot(name: string): Promise<void>;
  /** Closes the console (its services with it) and starts a new one on the same config, as a restart of the console does. */
  restartConsole(): Promise<void>;
  close(): Promise<void>;
}

interface ConsoleOptions {
  /** Changes to the example's text before the console opens it (a smaller model for a quick federation, say). */
  edit?: (yaml: string) => string;
  /** Files a site already has beside its config (a node key, an audit log), written before the console starts. */
  site?: (dir: string) => Promise<void>;
  /** The page the browser opens first, as a bookmark or a reload would: `#/federation`. */
  at?: string;
  /** A console started with no config at all, as a new site's first start is. */
  empty?: boolean;
}

/**
 * The example is copied before anything edits it; its data paths, relative to examples/, become absolute so the
 * copy reads the same images (every comment stays, the copy is the file a person would have).
 */
export async function openConsole({ edit = (yaml) => yaml, site, at = '', empty = false }: ConsoleOptions = {}): Promise<Harness> {
  if (!existsSync(CHROMIUM)) throw new Error(`the end-to-end tests drive Debian's chromium at ${CHROMIUM}: apt-get install chromium`);
  const dir = await tempDir('tributary-e2e-');
  const config = path.join(dir, 'party.yaml');
  if (!empty) {
    const example = await fsp.readFile(EXAMPLE, 'utf8');
    await fsp.writeFile(config, edit(example.replaceAll('../../assets/', `${path.resolve('assets')}/`)));
  }
  await site?.(dir);
  await fsp.mkdir(SCREENSHOTS, { recursive: true });

  const start = () => startConsole(empty ? {} : { config });
  let running: RunningConsole = await start();
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM });
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 }, colorScheme: 'light' });
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(`${running.url}${at}`);
  const harness: Harness = {
    page,
    dir,
    config,
    url: running.url,
    problems,
    screenshot: async (name) => void (await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })),
    restartConsole: async () => {
      await running.close();
      running = await start();
      harness.url = running.url;
    },
    close: async () => {
      await browser.close();
      await running.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
