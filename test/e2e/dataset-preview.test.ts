// End-to-end (Debian's chromium, the real console and services): edit the config into an error and out, save, scan, preview, filter, reshuffle.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { DatasetPage } from './pages/dataset-page.js';
import { PreviewPage } from './pages/preview-page.js';

const CLASSES = [
  '0-tshirt-top',
  '1-trouser',
  '2-pullover',
  '3-dress',
  '4-coat',
  '5-sandal',
  '6-shirt',
  '7-sneaker',
  '8-bag',
  '9-ankle-boot',
];

let harness: Harness;
let shell: AppShell;
let dataset: DatasetPage;
let preview: PreviewPage;

beforeAll(async () => {
  harness = await openConsole();
  shell = new AppShell(harness.page);
  dataset = new DatasetPage(harness.page);
  preview = new PreviewPage(harness.page);
}, 60_000);
afterAll(() => harness?.close());

describe('the Dataset page', () => {
  it('opens the config the console started with: the form and the YAML agree, no problems', async () => {
    await dataset.field('batch_size').waitFor();
    expect(await dataset.field('batch_size').inputValue()).toBe('64');
    expect(await dataset.field('Handler').inputValue()).toBe('ImageFolder');
    expect(await dataset.yamlText()).toContain('batch_size: 64');
    await harness.page.getByText('No problems found.').waitFor();
    expect(await shell.navLinks().allInnerTexts()).toEqual(['Dataset\nAlt+1', 'Preview\nAlt+2', 'Federation\nAlt+3', 'Training\nAlt+4']);
    await harness.screenshot('01-dataset');
  });

  it('shows a problem beside its field and in the YAML view, and blocks the scan', async () => {
    await dataset.field('batch_size').fill('0');
    await dataset.waitForProblemBeside('batch_size', 'expected a whole number >= 1, got 0');
    expect(await dataset.yamlText()).toContain('    batch_size: 0\n');
    expect(await dataset.yamlProblems().innerText()).toContain('data.info.batch_size: expected a whole number >= 1, got 0');
    expect(await dataset.scanButton().isDisabled()).toBe(true);
    await harness.screenshot('02-dataset-error');
  });

  it('fixes it, saves, and the file on disk has the new value with its comments', async () => {
    await dataset.field('batch_size').fill('32');
    await dataset.waitForNoProblemBeside('batch_size');
    await dataset.save();
    const saved = await fsp.readFile(harness.config, 'utf8');
    expect(saved).toContain('    batch_size: 32');
    expect(saved).toContain('# A party on the built-in ImageFolder handler');
  });

  it('edits normalize in the form: mean and std per channel on one line in the YAML, then back to the default', async () => {
    await dataset.field('normalize').selectOption({ label: 'mean, std (lists of numbers)' });
    const mean = harness.page.getByRole('group', { name: 'normalize: mean, std' }).getByLabel('mean');
    await mean.fill('0.286');
    await mean.blur();
    const std = harness.page.getByRole('group', { name: 'normalize: mean, std' }).getByLabel('std');
    await std.fill('0.353');
    await std.blur();
    await dataset.waitForNoProblemBeside('normalize');
    expect(await dataset.yamlText()).toContain('    normalize: {mean: [0.286], std: [0.353]}\n');
    await harness.screenshot('02b-dataset-normalize');
    await dataset.field('normalize').selectOption({ label: 'default (unit)' });
    expect(await dataset.yamlText()).not.toContain('normalize');
    await dataset.save();
  });

  it('scans: counts per split and a histogram of the ten classes', async () => {
    await dataset.scan();
    expect(await dataset.counts('train')).toMatchObject({
      samples: '1,000',
      readable: '1,000',
      unreadable: '0',
      'the model sees': '28×28×1',
    });
    expect(await dataset.counts('test')).toMatchObject({ samples: '200', readable: '200' });
    expect(await dataset.histogram('train')).toEqual(CLASSES.map((name) => ({ name, count: 100 })));
    expect(await dataset.split('train').innerText()).toContain('Every listed file is readable.');
    await harness.screenshot('03-scan');
  });
});

describe('the Preview page', () => {
  it('shows a grid of sampled images (PNG bytes as blob: URLs) with their labels and sources', async () => {
    await shell.goTo('Preview');
    expect(await shell.focused()).toBe('h1: Preview');
    const samples = await preview.samples(24);
    for (const sample of samples) {
      expect(CLASSES).toContain(sample.label);
      expect(sample.src).toMatch(/^blob:/);
      expect(sample.naturalWidth).toBe(28);
      expect(sample.source).toMatch(new RegExp(`/assets/fashion-mnist-sample/train/${sample.label}/\\d+\\.png$`));
    }
    expect(new Set(samples.map((s) => s.label)).size).toBeGreaterThan(3);
    expect(await preview.classOptions()).toEqual(['all classes', ...CLASSES]);
    await harness.screenshot('04-preview');
  });

  it('filters by class', async () => {
    await preview.filterClass('8-bag');
    const bags = await preview.samples(24);
    expect(new Set(bags.map((s) => s.label))).toEqual(new Set(['8-bag']));
    await harness.screenshot('05-preview-class');
  });

  it('reshuffles: a new seed draws other samples', async () => {
    const before = await preview.samples(24);
    await preview.reshuffle(before);
    const after = await preview.samples(24);
    expect(after.every((s) => s.label === '8-bag')).toBe(true);
    expect(after.map((s) => s.source)).not.toEqual(before.map((s) => s.source));
    await harness.screenshot('06-preview-reshuffled');
  });
});

describe('the shell', () => {
  it('has a dark theme, kept across pages', async () => {
    await shell.useTheme('dark');
    expect(await shell.theme()).toBe('dark');
    await harness.screenshot('07-preview-dark');
    await shell.goTo('Dataset');
    expect(await shell.theme()).toBe('dark');
    await harness.screenshot('08-dataset-dark');
  });

  it('logged no console error, failed request or uncaught exception', () => {
    expect(harness.problems).toEqual([]);
  });
});
