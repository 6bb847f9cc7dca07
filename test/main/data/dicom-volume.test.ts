// Tests (Node, real DICOM series pydicom and Pillow write at test time, real decode threads): a DICOM series as one 3-D sample
// (slice: volume): config, slice order, values against a hand-stacked and a Pillow reference, skipped series, scan, preview, PHI.
import { execFileSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DicomInfoSchema } from '../../../common/data-config.js';
import { ConfigError } from '../../../main/config/errors.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { writePreview } from '../../../main/cli/preview-command.js';
import { formatScan } from '../../../main/cli/scan-command.js';
import { Dicom } from '../../../main/data/builtins/dicom-handler.js';
import { closeSplits, type DataSplits } from '../../../main/data/data-handler.js';
import type { DataGenerator } from '../../../main/data/data-generator.js';
import { openData } from '../../../main/data/handler-loader.js';
import { decodeDicom, readDicomFile } from '../../../main/data/decode/dicom/index.js';
import { decodePng } from '../../../main/data/decode/png-decode.js';
import { resampleSlices } from '../../../main/data/decode/volume-resample.js';
import { windowValue } from '../../../main/data/intensity.js';
import { previewSamples } from '../../../main/data/preview.js';
import { scanSplit } from '../../../main/data/scan.js';
import { dicomSummaryOf } from '../../../main/data/sources/dicom-summary.js';
import { siteHasher } from '../../../main/data/sources/phi-hash.js';
import { tempDir } from '../../fixtures/corpus.js';
import { everyFile, phiIn } from './dicom-fixture-tree.js';

const dir = await tempDir('tributary-dicom-volumes-');
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../fixtures/dicom-volumes.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
const made = JSON.parse(readFileSync(path.join(dir, 'volumes.json'), 'utf8')) as {
  phi: string[];
  series: Record<'ct-a' | 'ct-mixed' | 'mr' | 'ct-b', { uid: string; files: string[]; positions?: number[] }>;
};
const indexDir = await tempDir('tributary-dicom-volumes-index-');
afterAll(() => Promise.all([dir, indexDir].map((d) => fsp.rm(d, { recursive: true, force: true }))));

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await closeSplits(splits);
});

const DEFAULTS = {
  path: 'tree/series',
  labels: 'labels-series.csv',
  label_key: 'SeriesInstanceUID',
  sample: 'series',
  slice: 'volume',
  test_fraction: 0,
  shuffle: false,
  workers: 1,
  index_dir: indexDir,
};

async function open(info: Record<string, unknown> = {}): Promise<DataGenerator> {
  const splits = await new Dicom({ ...DEFAULTS, ...info }, { baseDir: dir }).getData();
  opened.push(splits);
  return splits.train!;
}

/** The sample whose series starts at `file` (the first slice by position). */
const sampleOf = (train: DataGenerator, file: string) =>
  Array.from({ length: train.sampleCount }, (_, i) => i).find((i) => train.describeSample(i).startsWith(`tree/${file} `))!;
const all = (train: DataGenerator) => Uint32Array.from({ length: train.sampleCount }, (_, i) => i);

/** pydicom + Pillow's values of a series' sample at volume_size [3, 6, 5], before intensity. */
function pillow(name: string): Float32Array {
  const bytes = readFileSync(path.join(dir, `${name}.f32`));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

describe('Dicom slice: volume, the config', () => {
  const parse = (info: Record<string, unknown>) =>
    DicomInfoSchema.safeParse({ path: 'x', labels: 'l.csv', label_key: 'PatientID', ...info });

  it('refuses volume_size without slice: volume, with image_size, slice: volume without sample: series, and cache: true', () => {
    expect(parse({ sample: 'series', volume_size: [3, 6, 5] }).error?.issues[0]).toMatchObject({
      path: ['volume_size'],
      message: expect.stringMatching(/^volume_size is for 3-D samples: set slice: volume/),
    });
    expect(parse({ sample: 'series', slice: 'volume', volume_size: [3, 6, 5], image_size: [6, 5] }).error?.issues[0]).toMatchObject({
      path: ['image_size'],
    });
    expect(parse({ slice: 'volume' }).error?.issues[0]).toMatchObject({
      path: ['slice'],
      message: expect.stringMatching(/sample: series/),
    });
    expect(parse({ sample: 'series', slice: 'volume', cache: true }).error?.issues[0]).toMatchObject({
      path: ['cache'],
      message: expect.stringMatching(
        /^the decoded cache keeps 2-D images only: a series read whole \(slice: volume\) is decoded each epoch/,
      ),
    });
    expect(parse({ sample: 'series', slice: 'volume', volume_size: [3, 6, 5] }).data).toMatchObject({ max_voxels: 2 ** 27 });
  });

  it('places the refusal of cache: true on its key and line, before any series is read', async () => {
    const file = path.join(dir, 'party-cache.yaml');
    const info = ['path: tree/series', 'labels: labels-series.csv', 'label_key: SeriesInstanceUID', 'sample: series', 'slice: volume'];
    await fsp.writeFile(
      file,
      ['data:', '  name: Dicom', '  info:', ...[...info, 'cache: true'].map((line) => `    ${line}`), ''].join('\n'),
    );
    const error = await openData(await loadPartyConfig(file)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ key: 'data.info.cache', line: 9 });
    expect((error as Error).message).toMatch(/data\.info\.cache: the decoded cache keeps 2-D images only/);
  });
});

describe('Dicom slice: volume, the samples', () => {
  it('makes each series one sample, sized by the first series by default, named by its first slice and hashed patient', async () => {
    const train = await open();
    expect(train.sampleCount).toBe(4);
    expect(train.sampleShape).toEqual({ depth: 4, height: 12, width: 10, channels: 1 });
    const hash = (await siteHasher(indexDir)).hash('VOLPID0001');
    // The first slice by position is IM1 (z = -5): neither the first file nor InstanceNumber 1.
    expect(train.describeSample(sampleOf(train, made.series['ct-a'].files[0]!))).toBe(
      `tree/series/PAT1/IM1 volume of 4 slices (patient ${hash})`,
    );
    expect(train.describeSample(sampleOf(train, made.series.mr.files[0]!))).toMatch(/^tree\/series\/PAT3\/mr\.dcm volume of 4 frames /);
    const batch = await train.getBatch(0);
    expect(batch.shape).toEqual([3, 4, 12, 10, 1]); // the mixed series is skipped
  });

  it('orders the slices by position along the normal, as their pixel values show', async () => {
    const [center, width] = [500, 4001];
    const train = await open({ window: [center, width] });
    const index = sampleOf(train, made.series['ct-a'].files[0]!);
    const batch = await train.readSamples(Uint32Array.of(index));
    const plane = 120;
    // Slice at z holds phantom + 10 z HU: the difference to the first slice, in window units, is 10 (z - z0) / (width - 1).
    const positions = made.series['ct-a'].positions!;
    expect(positions).toEqual([-5, 0, 5, 15]);
    for (let z = 1; z < 4; z++) {
      const want = (10 * (positions[z]! - positions[0]!)) / (width - 1);
      for (let i = 0; i < plane; i++) expect(batch.x[z * plane + i]! - batch.x[i]!).toBeCloseTo(want, 5);
    }
  });

  it('equals the slices decoded by decodeDicom, stacked by position, resampled by the shared function and windowed', async () => {
    const [center, width] = [40, 400];
    const train = await open({ window: [center, width], volume_size: [3, 6, 5] });
    expect(train.sampleShape).toEqual({ depth: 3, height: 6, width: 5, channels: 1 });
    const { files } = made.series['ct-a'];
    const decoded = await Promise.all(
      files.map(async (file) => {
        const full = path.join(dir, 'tree', file);
        return (await decodeDicom(readDicomFile(full), full)).frames[0]!;
      }),
    );
    const size = { depth: 3, height: 6, width: 5, interpolation: 'bilinear' } as const;
    const want = resampleSlices(files.length, (z) => ({ pixels: decoded[z]!, height: 12, width: 10 }), size).map((v) =>
      windowValue(v, center, width),
    );
    const batch = await train.readSamples(Uint32Array.of(sampleOf(train, files[0]!)));
    expect(batch.skipped).toEqual([]);
    expect([...batch.x]).toEqual([...want]);
    expect(batch.applied!.get(batch.indices[0]!)).toEqual({ kind: 'window', center, width, source: 'explicit' });
  });

  it('resamples CT series and a multi-frame MR file (its frames the slices) as Pillow does, in Hounsfield units', async () => {
    const [center, width] = [2000, 8001]; // linear over every value of the fixture: the window only scales
    const train = await open({ window: [center, width], volume_size: [3, 6, 5] });
    for (const name of ['ct-a', 'ct-b', 'mr'] as const) {
      const batch = await train.readSamples(Uint32Array.of(sampleOf(train, made.series[name].files[0]!)));
      const want = pillow(name);
      expect(batch.x.length, name).toBe(want.length);
      batch.x.forEach((v, i) => expect(v, `${name} value ${i}`).toBeCloseTo(windowValue(want[i]!, center, width), 5));
    }
  });

  it('takes window: file from the first slice by position, and min-max over the whole volume', async () => {
    const file = await open({ window: 'file' });
    const fileBatch = await file.readSamples(Uint32Array.of(sampleOf(file, made.series['ct-a'].files[0]!)));
    expect(fileBatch.applied!.get(fileBatch.indices[0]!)).toEqual({ kind: 'window', center: 40, width: 400, source: 'file' });
    const minmax = await open({ window: 'minmax' });
    const batch = await minmax.readSamples(Uint32Array.of(sampleOf(minmax, made.series['ct-a'].files[0]!)));
    expect([Math.min(...batch.x), Math.max(...batch.x)]).toEqual([0, 1]);
    const slices = Array.from({ length: 4 }, (_, z) => batch.x.subarray(z * 120, (z + 1) * 120));
    expect(slices.filter((s) => Math.min(...s) > 0 || Math.max(...s) < 1).length).toBeGreaterThan(0); // not per slice
  });

  it('repeats the channel for rgb', async () => {
    const train = await open({ color_mode: 'rgb', volume_size: [3, 6, 5], window: 'lung' });
    const batch = await train.readSamples(Uint32Array.of(sampleOf(train, made.series['ct-b'].files[0]!)));
    expect(batch.shape).toEqual([1, 3, 6, 5, 3]);
    for (let p = 0; p < batch.x.length; p += 3) expect([batch.x[p + 1], batch.x[p + 2]]).toEqual([batch.x[p], batch.x[p]]);
  });
});

describe('Dicom slice: volume, series that cannot be read whole', () => {
  it('skips a series whose slices differ in size, naming its first file and what differs; on_bad_file: fail stops', async () => {
    const train = await open();
    const batch = await train.readSamples(all(train));
    expect(batch.shape[0]).toBe(3);
    const [first, second] = made.series['ct-mixed'].files;
    expect(batch.skipped).toEqual([
      {
        index: sampleOf(train, first!),
        source: expect.stringMatching(/^tree\/series\/PAT2\/IM0 volume of 3 slices \(patient [0-9a-f]{16}\)$/),
        reason:
          `the series of ${path.join(dir, 'tree', first!)} mixes slice sizes: slice 2 of 3 (${path.join(dir, 'tree', second!)}) ` +
          "is 8x8 with 1 sample(s) per pixel, its first slice 10x12 with 1 sample(s) per pixel; a volume's slices must share Rows, " +
          'Columns and SamplesPerPixel',
      },
    ]);
    const strict = await open({ on_bad_file: 'fail' });
    await expect(strict.readSamples(all(strict))).rejects.toThrow(
      /PAT2\/IM0 volume of 3 slices .*mixes slice sizes.*on_bad_file is "fail"/,
    );
  });

  it('skips a series over max_voxels before reading its other slices', async () => {
    const train = await open({ max_voxels: 400 });
    const batch = await train.readSamples(all(train));
    // ct-a and the MR are 4 x 12 x 10 = 480 voxels; ct-b, 3 x 12 x 10 = 360, is read.
    expect(batch.indices).toEqual(Uint32Array.of(sampleOf(train, made.series['ct-b'].files[0]!)));
    const reasons = batch.skipped.map((s) => s.reason).filter((r) => r.includes('max_voxels'));
    expect(reasons).toEqual([
      expect.stringMatching(/PAT1\/IM1 is 4 slices of 10x12, 480 voxels: over max_voxels 400$/),
      expect.stringMatching(/PAT3\/mr\.dcm is 4 slices of 10x12, 480 voxels: over max_voxels 400$/),
    ]);
  });
});

describe('Dicom slice: volume in scan and preview', () => {
  it('scans each series as one sample with the depth in its shape; the DICOM summary stays per file', async () => {
    const train = await open({ volume_size: [3, 6, 5] });
    const scan = await scanSplit('train', train);
    expect(scan).toMatchObject({
      samples: 4,
      readable: 3,
      unreadableCount: 1,
      sampleShape: { depth: 3, height: 6, width: 5, channels: 1 },
    });
    expect(scan.unreadable[0]!.reason).toMatch(/mixes slice sizes/);
    const summary = dicomSummaryOf(train)!;
    expect(scan.dicom).toBe(summary);
    expect(summary.samples).toBe(4);
    // Every file of every series, once: 4 + 3 + 1 + 3 files; the MR file's 4 frames.
    expect(summary.sizes).toEqual([
      { key: '10x12', count: 10 },
      { key: '8x8', count: 1 },
    ]);
    expect(summary.frames).toEqual([
      { key: 1, count: 10 },
      { key: 4, count: 1 },
    ]);
    expect(formatScan(scan)).toContain(
      '3 readable, 1 unreadable; the model sees whole volumes of 3x6x5x1 (depth x height x width x channels)',
    );
  });

  it('previews a volume by its middle slice, saying so', async () => {
    const train = await open({ window: 'minmax' });
    const { samples } = await previewSamples(train, { n: 3, seed: 1 });
    expect(samples.length).toBeGreaterThan(0);
    const toPixel = train.displayPixel()!;
    for (const sample of samples) {
      expect(sample.volume).toBe('volume 4 x 12 x 10, middle slice 2 shown');
      const batch = await train.readSamples(Uint32Array.of(sample.index));
      const png = decodePng(sample.png, 1000);
      expect([png.width, png.height]).toEqual([10, 12]);
      expect([...png.data.filter((_, i) => i % png.channels === 0)]).toEqual(Array.from(batch.x.subarray(240, 360), (v) => toPixel(v, 0)));
    }
  });
});

describe('Dicom slice: volume and PHI', () => {
  it('puts no identifier in any error, skipped reason, scan JSON, preview file or index byte', async () => {
    const raw = await fsp.readFile(path.join(dir, 'tree', made.series['ct-a'].files[0]!));
    expect(phiIn(raw.toString('latin1'), made.phi)).toHaveLength(5); // the search finds PHI where there is some
    const ownIndex = await tempDir();
    const texts: string[] = [];
    const train = await open({ index_dir: ownIndex, max_voxels: 400 });
    const scan = await scanSplit('train', train);
    texts.push(JSON.stringify(scan), formatScan(scan));
    expect(scan.unreadableCount).toBe(3);
    const previewDir = await tempDir();
    await writePreview(await open({ index_dir: ownIndex }), { out: previewDir, n: 4, seed: 2 });
    for (const info of [{ on_bad_file: 'fail' }, { modality: ['US'] }, { key_column: 'PatientName' }]) {
      const generator = await open({ index_dir: ownIndex, ...info }).catch((error: Error) => error);
      const error = generator instanceof Error ? generator : await generator.readSamples(all(generator)).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      texts.push((error as Error).message);
    }
    for (const text of texts) expect(phiIn(text, made.phi)).toEqual([]);
    const written = [...(await everyFile(ownIndex)), ...(await everyFile(previewDir))];
    expect(written.length).toBeGreaterThan(1);
    for (const { file, bytes } of written) expect(phiIn(bytes.toString('latin1'), made.phi), file).toEqual([]);
  });
});
