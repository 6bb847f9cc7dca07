// Tests (Node, real DICOM trees made by pydicom and dcmtk at test time, real decode threads): the Dicom handler's listing,
// labels, filters, samples, split by patient, scan summary, and that no PHI reaches anything it writes or says.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DicomInfoSchema } from '../../../common/data-config.js';
import { Dicom } from '../../../main/data/builtins/dicom-handler.js';
import { closeSplits, type DataSplits } from '../../../main/data/data-handler.js';
import { datasetMethods } from '../../../common/contract/dataset-api.js';
import { writePreview } from '../../../main/cli/preview-command.js';
import { formatScan } from '../../../main/cli/scan-command.js';
import { scanSplit } from '../../../main/data/scan.js';
import { indexDicomTree } from '../../../main/data/sources/dicom-index.js';
import { selectSamples } from '../../../main/data/sources/dicom-listing.js';
import { DicomLabels } from '../../../main/data/sources/dicom-labels.js';
import { dicomSummaryOf } from '../../../main/data/sources/dicom-summary.js';
import { siteHasher } from '../../../main/data/sources/phi-hash.js';
import { tempDir } from '../../fixtures/corpus.js';
import { everyFile, makeFixtureTree, phiIn } from './dicom-fixture-tree.js';

const tree = makeFixtureTree(await tempDir('tributary-dicom-tree-'));
afterAll(() => Promise.all([tree.dir, sharedIndex].map((dir) => fsp.rm(dir, { recursive: true, force: true }))));

/** Never the per-user cache folder: the tests leave no index or salt behind. */
const sharedIndex = await tempDir('tributary-dicom-index-');
const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await closeSplits(splits);
});

async function open(info: Record<string, unknown>): Promise<DataSplits> {
  const defaults = { labels: 'labels-patient.csv', label_key: 'PatientID', image_size: [16, 16], workers: 1, index_dir: sharedIndex };
  const splits = await new Dicom({ ...defaults, ...info }, { baseDir: tree.dir }).getData();
  opened.push(splits);
  return splits;
}

async function failure(info: Record<string, unknown>): Promise<Error> {
  const error = await open(info).then(
    () => undefined,
    (thrown: unknown) => thrown as Error,
  );
  expect(error, 'getData() succeeded').toBeInstanceOf(Error);
  return error!;
}

const ONE_EXPORT = { path: ['tree/site-a', 'tree/site-b'] };
const pathsOf = (splits: DataSplits, split: 'train' | 'test') =>
  Array.from({ length: splits[split]?.sampleCount ?? 0 }, (_, i) => splits[split]!.describeSample(i).split(' ')[0]!);
const patientOf = (file: string) => tree.images.find((image) => file === `tree/${image.path}`)!.patient;

describe('Dicom: one export, split by patient', () => {
  it('puts every patient on one side only, holds out round(test_fraction x patients), and is seeded', async () => {
    const indexDir = await tempDir();
    const splits = await open({ ...ONE_EXPORT, index_dir: indexDir, test_fraction: 0.25, seed: 3 });
    const train = new Set(pathsOf(splits, 'train').map(patientOf));
    const test = new Set(pathsOf(splits, 'test').map(patientOf));
    expect(train.size + test.size).toBe(8);
    expect(test.size).toBe(2);
    expect([...train].filter((p) => test.has(p))).toEqual([]);
    // 8 patients x (3 CT slices + 1 MR) + 1 CR in the CD folder: every image once.
    expect(splits.train!.sampleCount + splits.test!.sampleCount).toBe(33);
    const again = await open({ ...ONE_EXPORT, index_dir: indexDir, test_fraction: 0.25, seed: 3 });
    expect(pathsOf(again, 'test')).toEqual(pathsOf(splits, 'test'));
    const seeds = await Promise.all([4, 5, 6].map((seed) => open({ ...ONE_EXPORT, index_dir: indexDir, test_fraction: 0.25, seed })));
    const heldOut = seeds.map((s) => [...new Set(pathsOf(s, 'test').map(patientOf))].sort().join());
    expect(new Set([...heldOut, [...test].sort().join()]).size).toBeGreaterThan(1);
  });

  it('reports headers, patients and studies per class and every file not used, with relative paths', async () => {
    const splits = await open({ ...ONE_EXPORT, index_dir: await tempDir(), test_fraction: 0.25 });
    const train = dicomSummaryOf(splits.train!)!;
    const test = dicomSummaryOf(splits.test!)!;
    expect((await scanSplit('test', splits.test!)).unreadable).toEqual([]);
    expect(train.patients + test.patients).toBe(8);
    expect(test.studies).toBe(2);
    expect(train.classes.map((c) => c.key)).toEqual(['abnormal', 'normal']);
    expect(train.classes.reduce((n, c) => n + c.patients, 0)).toBe(train.patients);
    // Which patients are held out depends on the site's salt (random here): these hold for any split.
    expect([...new Set([...train.modalities, ...test.modalities].map((m) => m.key))].sort()).toEqual(['CR', 'CT', 'MR']);
    expect([...train.transferSyntaxes, ...test.transferSyntaxes].map((t) => t.key)).toContain('1.2.840.10008.1.2.4.80 (JPEG-LS lossless)');
    expect(train.frames).toContainEqual({ key: 2, count: train.modalities.find((m) => m.key === 'MR')!.count });
    expect(train.unmatchedLabelRows).toEqual({ count: 1, lines: [10] });
    expect(train.sharedPatients).toBe(0);
    expect(test.trees).toBeUndefined();
    const trees = train.trees!;
    expect(trees.folders).toEqual(['tree/site-a', 'tree/site-b']);
    expect(trees.nonImage.map((f) => f.path).sort()).toEqual([
      'tree/site-a/CDROM/DICOMDIR',
      'tree/site-a/broken/nopixels',
      'tree/site-a/docs/report',
      'tree/site-a/docs/report.pdf.dcm',
    ]);
    expect(trees.unreadable.map((f) => f.path).sort()).toEqual([
      'tree/site-a/broken/bigendian.dcm',
      'tree/site-a/broken/empty.dcm',
      'tree/site-a/broken/garbage',
      'tree/site-a/broken/truncated.dcm',
    ]);
    expect(trees.notDicom).toEqual([{ path: 'tree/site-a/broken/README.txt', reason: expect.stringContaining('DICM') }]);
    const scan = await scanSplit('train', splits.train!);
    expect(scan.dicom).toBe(train);
    expect([scan.readable, scan.unreadable]).toEqual([scan.samples, []]); // every sample decodes: JPEG-LS and deflated ones too
    // The summary crosses to the Dataset page whole: the contract's schema keeps every key of it.
    const crossed = datasetMethods['dataset.scan'].result.parse({ file: 'party.yaml', splits: [scan] });
    expect(crossed.splits[0]!.dicom).toEqual(train);
    const printed = formatScan(scan);
    expect(printed).toContain('patients 6, studies 6');
    // Each unusable file is printed once, with its reason, and the file that is not DICOM with why.
    for (const { path } of [...trees.nonImage, ...trees.unreadable, ...trees.notDicom])
      expect(printed.split(`${path}:`).length - 1, path).toBe(1);
    expect(scan.listingProblemCount).toBe(8);
  });

  it('filters on Modality, BodyPartExamined and SeriesDescription, and makes one sample per frame', async () => {
    const ct = await open({ ...ONE_EXPORT, modality: ['ct'], test_fraction: 0 });
    expect(ct.test).toBeUndefined();
    expect(pathsOf(ct, 'train').every((p) => /IM000\d$|_ct_\d\.dcm$/.test(p))).toBe(true);
    expect(ct.train!.sampleCount).toBe(24);
    expect(dicomSummaryOf(ct.train!)!.selection.filteredOut.modality).toBe(9);
    const head = await open({ ...ONE_EXPORT, body_part_examined: ['Head'], sample: 'frame', test_fraction: 0 });
    expect(head.train!.sampleCount).toBe(16); // 8 MR files of 2 frames
    const described = await open({ ...ONE_EXPORT, series_description: ['scout', 't2'], test_fraction: 0 });
    expect(described.train!.sampleCount).toBe(9);
  });

  it('names samples relative to the folder, with the frame and the hashed patient', async () => {
    const indexDir = await tempDir();
    const splits = await open({ ...ONE_EXPORT, index_dir: indexDir, sample: 'frame', modality: ['MR'], test_fraction: 0 });
    const hash = (await siteHasher(indexDir)).hash('PHIPID0001');
    expect(splits.train!.describeSample(0)).toBe(`tree/site-a/PAT01/STUDY1/SER2/mr.dcm frame 1 of 2 (patient ${hash})`);
    expect(splits.train!.describeSample(1)).toBe(`tree/site-a/PAT01/STUDY1/SER2/mr.dcm frame 2 of 2 (patient ${hash})`);
  });

  it('makes one sample per series, its middle slice by position, not by InstanceNumber or file name', async () => {
    const splits = await open({
      ...ONE_EXPORT,
      labels: 'labels-series.csv',
      label_key: 'SeriesInstanceUID',
      sample: 'series',
      test_fraction: 0,
    });
    const files = pathsOf(splits, 'train');
    expect(files).toHaveLength(17);
    const ct = files.filter((f) => /IM000\d$|_ct_\d\.dcm$/.test(f));
    expect(ct).toHaveLength(8);
    // Slices at z = 10, 0, 5 (files 0, 1, 2), instance numbers 1, 3, 2: the middle by position is file 2.
    expect(ct.every((f) => /IM0002$|_ct_2\.dcm$/.test(f))).toBe(true);
  });

  it('refuses a single patient, and a labelling that leaves nothing, naming what the folders held', async () => {
    expect((await failure({ path: 'tree/site-a/PAT01' })).message).toMatch(
      /^data\.info\.test_fraction: the images come from 1 patient: a split by patient needs two/,
    );
    expect((await failure({ ...ONE_EXPORT, modality: ['US'] })).message).toMatch(
      /^data\.info\.path: no labelled images to read in tree\/site-a, tree\/site-b: 42 files, 33 DICOM images \(33 filtered out\), 4 non-image objects, 4 unreadable, 1 not DICOM/,
    );
  });
});

describe('Dicom: pixels', () => {
  it("reads each series' chosen slice in Hounsfield units through the window", async () => {
    const info = { labels: 'labels-series.csv', label_key: 'SeriesInstanceUID', sample: 'series', modality: ['CT'], window: [500, 1001] };
    const splits = await open({ ...ONE_EXPORT, ...info, test_fraction: 0 });
    const { train } = splits;
    const batch = await train!.readSamples(Uint32Array.from({ length: train!.sampleCount }, (_, i) => i));
    expect(batch.skipped).toEqual([]);
    expect(batch.shape).toEqual([8, 16, 16, 1]);
    batch.indices.forEach((index, row) => {
      // Slice z = 5 of patient p holds HU 100 p + 5; the window [500, 1001] maps x to (x - 499.5) / 1000 + 0.5.
      const hu = 100 * patientOf(pathsOf(splits, 'train')[index]!) + 5;
      const values = batch.x.subarray(row * 256, (row + 1) * 256);
      expect(values.every((v) => Math.abs(v - ((hu - 499.5) / 1000 + 0.5)) < 1e-6)).toBe(true);
    });
  });

  it('reads the frame each sample names', async () => {
    const splits = await open({
      ...ONE_EXPORT,
      modality: ['MR'],
      sample: 'frame',
      image_size: [28, 28],
      window: [2048, 4096],
      test_fraction: 0,
    });
    const batch = await splits.train!.readSamples(Uint32Array.from([0, 1]));
    const [first, second] = [batch.x.subarray(0, 784), batch.x.subarray(784, 1568)];
    expect(first).not.toEqual(second);
    const flipped = new Float32Array(784);
    for (let y = 0; y < 28; y++) flipped.set(first.subarray(y * 28, (y + 1) * 28), (27 - y) * 28);
    expect(second).toEqual(flipped);
  });

  it('takes image_size from the first image when the config leaves it out', async () => {
    const splits = await open({ ...ONE_EXPORT, modality: ['MR'], image_size: undefined, test_fraction: 0 });
    expect(splits.train!.sampleShape).toEqual({ height: 28, width: 28, channels: 1 });
    const rgb = await open({ ...ONE_EXPORT, modality: ['CT'], image_size: undefined, color_mode: 'rgb', test_fraction: 0 });
    expect(rgb.train!.sampleShape).toEqual({ height: 16, width: 16, channels: 3 });
  });
});

describe('Dicom: two exports', () => {
  it('reads train and test as given when they share no patient', async () => {
    const splits = await open({ train: 'tree/site-a', test: 'tree/site-b' });
    expect([splits.train!.sampleCount, splits.test!.sampleCount]).toEqual([21, 12]);
    expect(dicomSummaryOf(splits.test!)!.trees!.folders).toEqual(['tree/site-b']);
  });

  it('refuses patients present in both, naming how many, by salted hash only', async () => {
    const indexDir = await tempDir();
    const error = await failure({ train: 'tree/site-a', test: ['tree/site-b', 'tree/site-b-overlap'], index_dir: indexDir });
    const hash = (await siteHasher(indexDir)).hash('PHIPID0005');
    expect(error.message).toBe(
      `data.info.test: 1 patient(s) have images in both train and test (by salted hash: ${hash}): ` +
        'a test split must hold patients the model never saw; remove them from one export',
    );
  });

  it('will not key a series by SOPInstanceUID', () => {
    const parsed = DicomInfoSchema.safeParse({ path: 'x', labels: 'l.csv', label_key: 'SOPInstanceUID', sample: 'series' });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['label_key'] });
  });
});

describe('selectSamples', () => {
  it('picks frames of a multi-frame series by `slice`, and counts a slice past the end', async () => {
    const hasher = await siteHasher(await tempDir());
    const index = await indexDicomTree(path.join(tree.root, 'site-b'), {
      cacheDir: await tempDir(),
      hasher,
      limits: { maxHeaderBytes: 2 ** 20, maxPixels: 2 ** 28 },
    });
    const mr = tree.images.filter((i) => i.modality === 'MR' && i.path.startsWith('site-b/'));
    const labels = new DicomLabels(
      'l.csv',
      mr.map((i, k) => ({ line: k + 2, key: i.SeriesInstanceUID, label: 'a' })),
      hasher,
    );
    const patients = new DicomLabels(
      'p.csv',
      [6, 7, 8].map((p) => ({ line: p, key: `PHIPID000${p}`, label: 'a' })),
      hasher,
    );
    const select = (slice: 'first' | 'last' | number) =>
      selectSamples([{ name: 'b', index }], { sample: 'series', slice, labelKey: 'SeriesInstanceUID' }, labels, ['a']);
    expect(select('last').samples.map((s) => s.frame)).toEqual([1, 1, 1]);
    expect(select('first').samples.map((s) => s.frame)).toEqual([0, 0, 0]);
    expect(select(1).samples.map((s) => s.frame)).toEqual([1, 1, 1]);
    const past = select(2);
    expect(past.samples).toEqual([]);
    expect(past.counts.sliceOutOfRange).toBe(3);
    expect(past.counts.unlabelled).toBe(3); // the CT series have no row in these labels
    const images = selectSamples([{ name: 'b', index }], { sample: 'image', slice: 1, labelKey: 'PatientID' }, patients, ['a']);
    // Frame 1 of each 2-frame MR file; a single-frame CT slice is its frame 0 whatever `slice` says.
    expect(images.samples.map((s) => [s.entry.path, s.frame])).toContainEqual(['p6_mr.dcm', 1]);
    expect(images.samples.map((s) => [s.entry.path, s.frame])).toContainEqual(['p6_ct_0.dcm', 0]);
    expect(images.samples).toHaveLength(12);
  });
});

describe('PHI', () => {
  it('appears in no byte of the index folder, no scan JSON, no preview file and no error message', async () => {
    const raw = await fsp.readFile(path.join(tree.root, tree.images[0]!.path));
    expect(phiIn(raw.toString('latin1'), tree.phi)).toHaveLength(5); // the search finds PHI where there is some
    const indexDir = await tempDir();
    const texts: string[] = [];
    const splits = await open({ ...ONE_EXPORT, index_dir: indexDir, test_fraction: 0.25 });
    for (const split of ['train', 'test'] as const) texts.push(JSON.stringify(await scanSplit(split, splits[split]!)));
    const previewDir = await tempDir();
    const preview = await writePreview(splits.train!, { out: previewDir, n: 6, seed: 1 });
    expect(preview.samples.map((p) => p.source)).toContainEqual(expect.stringMatching(/ \(patient [0-9a-f]{16}\)$/));
    const series = await open({
      ...ONE_EXPORT,
      index_dir: indexDir,
      labels: 'labels-series.csv',
      label_key: 'SeriesInstanceUID',
      sample: 'series',
      test_fraction: 0,
    });
    texts.push(JSON.stringify(await scanSplit('train', series.train!)));
    const badLabels = path.join(tree.dir, 'labels-bad.csv');
    await fsp.writeFile(badLabels, `PatientID,label\nPHIPID0001,a\nPHIPID0001,b\n`);
    // No header row: the first row is a patient's, and must not be shown as the file's column names.
    await fsp.writeFile(path.join(tree.dir, 'labels-headerless.csv'), `PHIPID0001,normal\nPHIPID0002,abnormal\n`);
    for (const info of [
      { train: 'tree/site-a', test: ['tree/site-b', 'tree/site-b-overlap'] },
      { ...ONE_EXPORT, labels: 'labels-bad.csv' },
      { ...ONE_EXPORT, labels: 'labels-headerless.csv' },
      { ...ONE_EXPORT, labels: 'labels-patient.csv', key_column: 'PatientName' },
      { ...ONE_EXPORT, modality: ['US'] },
      { ...ONE_EXPORT, on_bad_file: 'fail' },
    ]) {
      const error = await failure({ index_dir: indexDir, ...info });
      texts.push(error.message, String(error.cause ?? ''));
    }
    await fsp.writeFile(badLabels, `PatientID,label\n"PHIPID0002,unclosed\n`);
    texts.push((await failure({ ...ONE_EXPORT, labels: 'labels-bad.csv', index_dir: indexDir })).message);
    expect(texts.join('\n')).toMatch(/line 3 gives the key of line 2 another label/); // the errors were made, and said something
    expect(texts.join('\n')).toMatch(/labels-headerless\.csv: no column "PatientID" \(none of "PatientID", "label" is in its first row/);
    for (const text of texts) expect(phiIn(text, tree.phi)).toEqual([]);
    const written = [...(await everyFile(indexDir)), ...(await everyFile(previewDir))];
    expect(written.length).toBeGreaterThan(1);
    for (const { file, bytes } of written) expect(phiIn(bytes.toString('latin1'), tree.phi), file).toEqual([]);
  });
});
