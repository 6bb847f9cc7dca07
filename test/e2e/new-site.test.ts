// End-to-end (Debian's chromium, the real console and services): a console started without a config, New site from a data folder to the
// Dataset page: a folder that is not there, the proposal and its scan, party.yaml written, the Dataset page on it; a screenshot per step.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartyConfig } from '../../main/config/party-config.js';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { DatasetPage } from './pages/dataset-page.js';

let harness: Harness;
let dir: string;
let folder: string;
let page: Page;

const screenshot = (name: string) => harness.screenshot(`new-site-${name}`);

beforeAll(async () => {
  harness = await openConsole({ empty: true });
  ({ dir, page } = harness);
  folder = path.join(dir, 'fashion');
  await fsp.cp(path.resolve('assets/fashion-mnist-sample'), folder, { recursive: true });
}, 60_000);
afterAll(() => harness?.close());

describe('New site, from an empty start', () => {
  it('opens on the first screen: New site, and no recent configs yet', async () => {
    await page.getByRole('heading', { level: 1, name: 'Start' }).waitFor();
    await page.getByRole('heading', { name: 'New site' }).waitFor();
    expect(await page.getByRole('region', { name: 'Recent configs' }).innerText()).toContain('None yet');
    await screenshot('01-empty-start');
  });

  it('a folder that does not exist: said plainly, naming it', async () => {
    const missing = path.join(dir, 'no-such-folder');
    await page.getByLabel('Data folder').fill(missing);
    await page.getByRole('button', { name: 'Recognise' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toBe(`folder ${missing} does not exist`);
    await screenshot('02-missing-folder');
  });

  it('the data folder: the proposal with why, and the scan shown at once', async () => {
    await page.getByLabel('Data folder').fill(folder);
    await page.getByRole('button', { name: 'Recognise' }).click();
    await page.getByRole('heading', { name: 'Proposal: ImageFolder' }).waitFor();
    expect(await page.getByRole('region', { name: 'Proposal: ImageFolder' }).innerText()).toContain(
      'train and test each hold one sub-folder of images per class (10 classes',
    );
    const yaml = await page.getByLabel('party.yaml as it will be written').innerText();
    expect(yaml).toContain('name: ImageFolder');
    const scan = new DatasetPage(page);
    await scan.split('test').waitFor({ timeout: 60_000 });
    expect(await scan.counts('train')).toMatchObject({ samples: '1,000', readable: '1,000', unreadable: '0', 'the model sees': '28×28×1' });
    expect(await scan.counts('test')).toMatchObject({ samples: '200', readable: '200' });
    expect(await page.getByLabel('Write party.yaml to').inputValue()).toBe(path.join(folder, 'party.yaml'));
    expect(existsSync(path.join(folder, 'party.yaml'))).toBe(false);
    await screenshot('03-proposal-and-scan');
  });

  it('write: party.yaml where chosen, and the Dataset page opens on it with the scan already there', async () => {
    const target = path.join(dir, 'site.yaml');
    await page.getByLabel('Write party.yaml to').fill(target);
    await page.getByRole('button', { name: 'Write and open' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dataset' }).waitFor();
    const dataset = new DatasetPage(page);
    await dataset.field('Handler').waitFor();
    expect(await dataset.field('Handler').inputValue()).toBe('ImageFolder');
    expect(await dataset.yamlText()).toBe(await fsp.readFile(target, 'utf8'));
    expect(await dataset.counts('train')).toMatchObject({ samples: '1,000', readable: '1,000' });
    expect(page.url()).toMatch(/#\/dataset$/);
    const loaded = await loadPartyConfig(target);
    expect(path.resolve(loaded.baseDir, loaded.config.data.info.train as string)).toBe(path.join(folder, 'train'));
    await screenshot('04-dataset-page');
  });

  it('the Dataset page: the scan above the form, and a train folder typed wrong is a problem beside it before any save', async () => {
    const dataset = new DatasetPage(page);
    const [scanTop, formTop] = await Promise.all(
      [page.getByRole('heading', { name: 'Scan', exact: true }), page.getByRole('heading', { name: 'Data section' })].map(async (h) =>
        h.evaluate((el) => el.getBoundingClientRect().top),
      ),
    );
    expect(scanTop).toBeLessThan(formTop!);
    await dataset.field('train').fill('fashion/trian');
    await dataset.waitForProblemBeside('train', `${path.join(dir, 'fashion', 'trian')} does not exist`);
    // init's header says what it found in the folder: a note under it says that may no longer hold, until the path is back.
    expect(await dataset.yamlText()).toContain('# Data settings were changed on the Dataset page since');
    await screenshot('05-folder-typed-wrong');
    await dataset.field('train').fill('fashion/train');
    await dataset.waitForNoProblemBeside('train');
    expect(await page.getByText('Unsaved changes').count()).toBe(0);
  });

  it('New site again from the header lists the new config among the recent ones, and Back returns to it', async () => {
    await page.getByRole('button', { name: 'New site' }).click();
    await page.getByRole('heading', { level: 1, name: 'Start' }).waitFor();
    expect(await page.getByRole('region', { name: 'Recent configs' }).innerText()).toContain(path.join(dir, 'site.yaml'));
    await screenshot('06-start-with-recent');
    await page.getByRole('button', { name: /^Back to / }).click();
    await page.getByRole('heading', { level: 1, name: 'Dataset' }).waitFor();
    expect(harness.problems).toEqual([]);
  });
});
