// End-to-end (Debian's chromium, the real console and services): a PACS-like DICOM export scanned and previewed in the UI,
// and no patient identifier in any page, any message the console sent the page, or any file the run wrote.
import path from 'node:path';
import type { WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyFile, makeFixtureTree, phiIn, type FixtureTree } from '../main/data/dicom-fixture-tree.js';
import { openConsole, type Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { DatasetPage } from './pages/dataset-page.js';
import { PreviewPage } from './pages/preview-page.js';

/** The tree's two sites as one export split by patient; CT and MR only, so the CR scout is counted as filtered out. */
const DATA = `data:
  name: Dicom
  info:
    path: [dicom/tree/site-a, dicom/tree/site-b]
    labels: dicom/labels-patient.csv
    label_key: PatientID
    test_fraction: 0.25
    modality: [CT, MR]
    sample: frame
    window: [40, 400]
    image_size: [16, 16]
    index_dir: dicom-index
    batch_size: 4
`;

let harness: Harness;
let tree: FixtureTree;
let shell: AppShell;
let dataset: DatasetPage;
let preview: PreviewPage;
/** Every WebSocket frame the page received from the console, text and binary alike. */
const received: string[] = [];

beforeAll(async () => {
  harness = await openConsole({
    edit: (yaml) => DATA + yaml.slice(yaml.indexOf('# The model:')),
    site: async (dir) => void (tree = makeFixtureTree(path.join(dir, 'dicom'))),
  });
  harness.page.on('websocket', (socket: WebSocket) =>
    socket.on('framereceived', ({ payload }) => received.push(typeof payload === 'string' ? payload : payload.toString('latin1'))),
  );
  await harness.page.reload(); // the page's console socket, opened again now that its frames are watched
  shell = new AppShell(harness.page);
  dataset = new DatasetPage(harness.page);
  preview = new PreviewPage(harness.page);
}, 360_000);
afterAll(() => harness?.close());

describe('a DICOM export in the console', () => {
  it('scans it: patients and studies, headers tallied, images not used counted, files not used listed', async () => {
    expect(await dataset.field('Handler').inputValue()).toBe('Dicom');
    await harness.page.getByText('No problems found.').waitFor();
    await dataset.scan();
    const train = await dataset.split('train').innerText();
    expect(train).toMatch(/DICOM: 6 patients, 6 studies/);
    expect(train).toMatch(/Modality: CT ×\d+, MR ×\d+/);
    expect(train).toMatch(/transfer syntax: .*explicit VR little endian/);
    expect(train).toContain('Images not used: 1 filtered out.');
    expect(train).toMatch(/site-a, dicom\/tree\/site-b: 42 files, 33 images, 4 non-image objects, 4 unreadable, 1 not DICOM/);
    expect(train).toContain('Not DICOM: 1 file');
    expect(train).toMatch(/Not used: \d+ files/);
    const test = await dataset.split('test').innerText();
    expect(test).toMatch(/DICOM: 2 patients, 2 studies/);
    expect(test).not.toContain('Images not used'); // counted over the export, shown once: on the train split
    await harness.screenshot('hospital-01-scan');
  });

  it('previews windowed frames with their label, window and the patient as a salted hash', async () => {
    await shell.goTo('Preview');
    const samples = await preview.samples(24);
    for (const sample of samples) {
      expect(['normal', 'abnormal']).toContain(sample.label);
      expect(sample.naturalWidth).toBe(16);
      expect(sample.source).toMatch(/ \(patient [0-9a-f]{16}\)$/);
    }
    expect(await preview.grid().innerText()).toContain('window explicit: center 40, width 400');
    await harness.screenshot('hospital-02-preview');
  });

  it('shows, sends and writes no patient identifier', async () => {
    const pages = [await harness.page.content()];
    await shell.goTo('Dataset');
    pages.push(await harness.page.content());
    expect(received.join('').length).toBeGreaterThan(10_000); // the scan and the preview came over the socket being searched
    expect(phiIn(received.join('\n'), tree.phi)).toEqual([]);
    for (const html of pages) expect(phiIn(html, tree.phi)).toEqual([]);
    const written = (await everyFile(harness.dir)).filter(({ file }) => !file.startsWith(tree.dir + path.sep));
    expect(written.map(({ file }) => path.relative(harness.dir, file))).toContainEqual(expect.stringMatching(/^dicom-index\//));
    for (const { file, bytes } of written) expect(phiIn(bytes.toString('latin1'), tree.phi), file).toEqual([]);
  });
});
