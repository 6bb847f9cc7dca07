// End-to-end (Debian's chromium, the real console and services): a NIfTI study scanned in the UI: volumes, subjects per class.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole, type Harness } from './harness.js';
import { DatasetPage } from './pages/dataset-page.js';

/** Twelve volumes of six subjects (two of them broken), split by subject, the middle axial slice of each. */
const DATA = `data:
  name: Nifti
  info:
    path: nifti/all.csv
    subject_column: patient
    test_fraction: 0.34
    slices: middle
    salt_dir: salt
    batch_size: 4
`;

let harness: Harness;
let dataset: DatasetPage;

beforeAll(async () => {
  harness = await openConsole({
    edit: (yaml) => DATA + yaml.slice(yaml.indexOf('# The model:')),
    site: async (dir) => {
      const fixtures = path.resolve('test/fixtures/nifti-set.py');
      execFileSync('/usr/bin/python3', [fixtures, path.join(dir, 'nifti')], { stdio: 'pipe', timeout: 300_000 });
    },
  });
  dataset = new DatasetPage(harness.page);
}, 360_000);
afterAll(() => harness?.close());

describe('a NIfTI study in the console', () => {
  it('scans it: volume sizes, subjects per class, and each volume with its header facts and the slices read', async () => {
    expect(await dataset.field('Handler').inputValue()).toBe('Nifti');
    await harness.page.getByText('No problems found.').waitFor();
    await dataset.scan();
    const train = dataset.split('train');
    expect(await train.innerText()).toMatch(/Volume sizes \(i×j×k\): \d+x\d+x\d+ ×\d+/);
    expect(await train.innerText()).toMatch(/Subjects per class \(distinct\): healthy ×\d, lesion ×\d/);
    const volumes = train.locator('details').filter({ has: harness.page.locator('summary', { hasText: /^Volumes: \d+$/ }) });
    await volumes.locator('summary').click();
    const rows = await volumes.locator('tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(4);
    for (const row of rows)
      expect(row).toMatch(/\/nifti\/vols\/(vol-\d+|cut)\.nii(\.gz)?\t#[0-9a-f]{16}\t\d+×\d+×\d+\t\w+\t[\d.]+ × [\d.]+ × [\d.]+\t\d of \d$/);
    // The .nii.gz cut short is found only when decoded: the scan read none of its slice.
    expect(rows).toContainEqual(expect.stringMatching(/\/cut\.nii\.gz\t.*\t0 of 1$/));
    await harness.screenshot('nifti-01-scan');
  });
});
