// Tests (Node, real files made at test time by Debian's pydicom, numpy and Pillow, real decode threads): full-depth images
// reach the model with no 8-bit step: 16-bit PNG and TIFF, CT DICOM windowed as numpy computes it, float resize as Pillow's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writePreview } from '../../../main/cli/preview-command.js';
import { ConfigError } from '../../../main/config/errors.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { CsvManifest } from '../../../main/data/builtins/csv-manifest.js';
import { ImageFolder } from '../../../main/data/builtins/image-folder.js';
import { closeSplits, type DataSplits } from '../../../main/data/data-handler.js';
import { resizeFloat, type Interpolation } from '../../../main/data/decode/float-resize.js';
import { decodeImage } from '../../../main/data/decode/image.js';
import type { DataGenerator } from '../../../main/data/data-generator.js';
import { openData } from '../../../main/data/handler-loader.js';
import { ImageFilesGenerator } from '../../../main/data/image-generator.js';
import { previewSamples } from '../../../main/data/preview.js';
import { FileList } from '../../../main/data/sources/file-list.js';
import { TrainingRunner } from '../../../main/engine/train/runner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-full-depth-'));
// Debian's python3, where python3-pydicom, python3-numpy and python3-pil live (a pyenv python on PATH would not have them).
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../fixtures/full-depth-fixtures.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  resize: { kernels: Interpolation[]; sizes: [number, number][]; source: [number, number] };
};

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await closeSplits(splits);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** numpy's .npy ('<f4', C order), as the fixture script saves every reference. */
function npy(name: string): Float32Array {
  const bytes = readFileSync(path.join(dir, `${name}.npy`));
  const headerLength = bytes.readUInt16LE(8);
  expect(bytes.subarray(10, 10 + headerLength).toString('latin1')).toContain("'descr': '<f4'");
  const body = bytes.subarray(10 + headerLength);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
  return most;
}

/** A CsvManifest over the given files (relative to the fixture folder), one class each, read in order. */
async function manifestSplit(files: string[], info: Record<string, unknown>): Promise<ImageFilesGenerator> {
  const csv = path.join(dir, `manifest-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(csv, ['path,label', ...files.map((file, k) => `${file},c${k}`)].join('\n') + '\n');
  const splits = await new CsvManifest({ train: csv, shuffle: false, color_mode: 'grayscale', ...info }, { baseDir: dir }).getData();
  opened.push(splits);
  return splits.train as ImageFilesGenerator;
}

/** Rows of the given samples, one Float32Array each, and the batch they came in. */
async function rows(generator: DataGenerator, indices: number[]) {
  const batch = await generator.readSamples(Uint32Array.from(indices));
  const size = batch.shape[1] * batch.shape[2] * batch.shape[3];
  return { batch, rows: indices.map((_, r) => batch.x.slice(r * size, (r + 1) * size)) };
}

describe('resizing in float is Pillow\'s mode "F" resize', () => {
  const [height, width] = manifest.resize.source;
  const source = npy('resize/source');
  for (const kernel of manifest.resize.kernels) {
    it(`${kernel}, shrinking and growing`, () => {
      for (const [h, w] of manifest.resize.sizes) {
        const got = resizeFloat(source, { width, height, channels: 1 }, { width: w, height: h }, kernel);
        // Values are about +-3000; float32 keeps 7 digits, so 1e-3 allows only the last bit of a sum's order.
        expect(maxDifference(got, npy(`resize/${kernel}-${h}x${w}`)), `${kernel} to ${h}x${w}`).toBeLessThan(1e-3);
      }
    });
  }

  it('three interleaved channels resize as three separate images', () => {
    const rgb = new Float32Array(height * width * 3);
    source.forEach((v, i) => rgb.set([v, -v, 2 * v], i * 3));
    const got = resizeFloat(rgb, { width, height, channels: 3 }, { width: 28, height: 28 }, 'bicubic');
    const gray = npy('resize/bicubic-28x28');
    for (const [c, factor] of [1, -1, 2].entries()) {
      expect(
        maxDifference(
          Float32Array.from(gray, (_, i) => got[i * 3 + c]!),
          Float32Array.from(gray, (v) => v * factor),
        ),
      ).toBeLessThan(2e-3);
    }
  });
});

describe('16-bit PNG and TIFF at full depth', () => {
  it('two 16-bit PNGs that differ only in the low byte give different rows, each v / 65535 exactly', async () => {
    const generator = await manifestSplit(['png16/a.png', 'png16/b.png'], {});
    const {
      rows: [a, b],
      batch,
    } = await rows(generator, [0, 1]);
    expect(a).toEqual(Float32Array.from(npy('png16/a'), (v) => v / 65535));
    expect(b).toEqual(Float32Array.from(npy('png16/b'), (v) => v / 65535));
    expect(maxDifference(a!, b!)).toBeGreaterThan(0.002);
    expect(batch.applied?.get(0)).toEqual({ kind: 'scale', fullScale: 65535 });
    // The 8-bit decoder sees the same two images: the difference exists only on the full-depth path.
    const eight = async (file: string) =>
      (await decodeImage(readFileSync(path.join(dir, file)), { channels: 1, interpolation: 'bilinear', maxPixels: 1e6 })).pixels;
    expect(await eight('png16/a.png')).toEqual(await eight('png16/b.png'));
  });

  it('a 16-bit TIFF keeps its 16 bits', async () => {
    const generator = await manifestSplit(['tiff16/t.tif'], {});
    const {
      rows: [t],
    } = await rows(generator, [0]);
    expect(t).toEqual(Float32Array.from(npy('tiff16/t'), (v) => v / 65535));
  });
});

describe('CT DICOM: Hounsfield units windowed as numpy computes it from pydicom', () => {
  const hu = npy('ct/hu');
  const expectRow = (got: Float32Array, expected: Float32Array) => expect(maxDifference(got, expected)).toBeLessThan(1e-6);

  it('the lung preset (-600 / 1500)', async () => {
    const {
      rows: [ct],
      batch,
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'lung' }), [0]);
    expectRow(ct!, npy('ct/lung'));
    expect(batch.applied?.get(0)).toEqual({ kind: 'window', center: -600, width: 1500, source: 'preset', preset: 'lung' });
  });

  it('the bone preset on signed storage with slope 2', async () => {
    const {
      rows: [ct],
    } = await rows(await manifestSplit(['ct/ct2.dcm'], { window: 'bone' }), [0]);
    expectRow(ct!, npy('ct/ct2-bone'));
  });

  it("window: file takes the file's first WindowCenter / WindowWidth (40 / 400 of 40\\-600, 400\\1500)", async () => {
    const {
      rows: [ct],
      batch,
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'file' }), [0]);
    expectRow(ct!, npy('ct/file'));
    expect(batch.applied?.get(0)).toEqual({ kind: 'window', center: 40, width: 400, source: 'file' });
  });

  it('explicit [center, width] equals the same preset', async () => {
    const {
      rows: [ct],
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: [-600, 1500] }), [0]);
    expectRow(ct!, npy('ct/lung'));
  });

  it('minmax and zscore per image', async () => {
    const {
      rows: [minmax],
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'minmax' }), [0]);
    expectRow(minmax!, npy('ct/minmax'));
    const {
      rows: [zscore],
      batch,
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'zscore' }), [0]);
    expect(maxDifference(zscore!, npy('ct/zscore'))).toBeLessThan(1e-5);
    const mean = hu.reduce((s, v) => s + v, 0) / hu.length;
    expect(batch.applied?.get(0)).toMatchObject({ kind: 'zscore', mean: expect.closeTo(mean, 6) as number });
  });

  it('an MR file without a window gets a per-image min-max by default, and says so', async () => {
    const {
      rows: [mr],
      batch,
    } = await rows(await manifestSplit(['mr/mr.dcm'], {}), [0]);
    expectRow(mr!, npy('mr/minmax'));
    expect(batch.applied?.get(0)).toMatchObject({ kind: 'minmax', why: 'no window set and none in the file' });
  });

  it('channels 3 repeats the windowed gray values', async () => {
    const {
      rows: [rgb],
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'lung', color_mode: 'rgb' }), [0]);
    const lung = npy('ct/lung');
    for (let c = 0; c < 3; c++)
      expectRow(
        Float32Array.from(lung, (_, i) => rgb![i * 3 + c]!),
        lung,
      );
  });

  it('resized in float (Pillow bilinear in HU), then windowed', async () => {
    const {
      rows: [ct],
      batch,
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'lung', image_size: [20, 16] }), [0]);
    expect(batch.shape).toEqual([1, 20, 16, 1]);
    expect(maxDifference(ct!, npy('ct/lung-20x16'))).toBeLessThan(1e-5);
  });

  it('normalize applies after the window, per channel', async () => {
    const normalize = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const {
      rows: [rgb],
    } = await rows(await manifestSplit(['ct/ct.dcm'], { window: 'lung', color_mode: 'rgb', normalize }), [0]);
    const lung = npy('ct/lung');
    for (let c = 0; c < 3; c++) {
      const expected = Float32Array.from(lung, (v) => (v - normalize.mean[c]!) / normalize.std[c]!);
      expect(
        maxDifference(
          Float32Array.from(lung, (_, i) => rgb![i * 3 + c]!),
          expected,
        ),
      ).toBeLessThan(1e-5);
    }
  });

  it("a float cache gives the second run the very values of the first, the file's window included", async () => {
    const info = { cache: true, cache_dir: path.join(dir, 'cache'), image_size: [20, 16] };
    const first = await rows(await manifestSplit(['ct/ct.dcm', 'ct/ct2.dcm', 'mr/mr.dcm'], info), [0, 1, 2]);
    await closeSplits(opened.pop()!);
    const generator = await manifestSplit(['ct/ct.dcm', 'ct/ct2.dcm', 'mr/mr.dcm'], info);
    expect(generator.cache?.missing).toBe(0); // written by the first generator: the second reads only the cache
    const second = await rows(generator, [0, 1, 2]);
    expect(second.rows).toEqual(first.rows);
    expect([...second.batch.applied!.values()].map((a) => a.kind)).toEqual(['window', 'minmax', 'minmax']);
    expect([...second.batch.applied!]).toEqual([...first.batch.applied!]);
  });
});

describe('the listing contract: entry i is frame frames[i] of its file', () => {
  it('multi-frame: entries of one file, frames 2, 0, 1, each windowed as numpy computes it; frame 3 is no frame', async () => {
    const files = new FileList();
    for (let k = 0; k < 4; k++) files.addPath(dir, 'mf/mf.dcm', 0);
    const target = { height: 20, width: 24, channels: 1, interpolation: 'bilinear', maxPixels: 1e6 } as const;
    const generator = new ImageFilesGenerator({
      files: files.seal(),
      frames: Uint32Array.from([2, 0, 1, 3]),
      classNames: ['ct'],
      target,
      window: 'lung',
      normalize: 'unit',
      onBadFile: 'skip',
      batchSize: 4,
      shuffle: false,
    });
    try {
      const { rows: got, batch } = await rows(generator, [0, 1, 2, 3]);
      expect(batch.indices).toEqual(Uint32Array.from([0, 1, 2]));
      expect(batch.skipped.map((s) => s.reason)).toEqual([expect.stringContaining('frame 3 asked of a file with 3 frame(s)')]);
      [2, 0, 1].forEach((frame, k) => expect(maxDifference(got[k]!, npy(`mf/lung-${frame}`))).toBeLessThan(1e-6));
      expect(maxDifference(got[1]!, got[2]!)).toBeGreaterThan(0.01); // the frames differ, so the test tells them apart
    } finally {
      await generator.close();
    }
  });
});

describe('DICOM trees in ImageFolder', () => {
  it('class folders of DICOM files, named .dcm or not at all, are listed by content; the README is not', async () => {
    const splits = await new ImageFolder({ train: 'tree', window: 'lung', color_mode: 'grayscale' }, { baseDir: dir }).getData();
    opened.push(splits);
    const train = splits.train as ImageFilesGenerator;
    expect(train.classNames).toEqual(['nodule', 'normal']);
    expect(train.sampleCount).toBe(6);
    expect(train.sampleShape).toEqual({ height: 24, width: 24, channels: 1 });
    expect(train.listing?.ignoredFiles).toBe(1);
    expect(await drainCount(train)).toMatchObject({ samples: 6, skipped: 0 });
  });

  it('trains one batch on a real training thread', async () => {
    const config = path.join(dir, 'party.yaml');
    writeFileSync(
      config,
      [
        'data:',
        '  name: ImageFolder',
        '  info: { train: tree, window: lung, color_mode: grayscale, image_size: [16, 16], batch_size: 6 }',
        'model: { builtin: mlp, learning_rate: 0.01 }',
        '',
      ].join('\n'),
    );
    const runner = new TrainingRunner();
    try {
      await runner.open({ configFile: config, backend: 'cpu' });
      const result = await runner.train(1);
      expect(result.epochs[0]).toMatchObject({ samples: 6, skipped: 0 });
      expect(Number.isFinite(result.epochs[0]!.loss)).toBe(true);
    } finally {
      await runner.close();
    }
  }, 120_000);
});

async function drainCount(generator: DataGenerator) {
  const iterator = generator.iterateEpoch();
  for (let step = await iterator.next(); ; step = await iterator.next()) if (step.done) return step.value;
}

describe('preview shows the window of each image', () => {
  it('in the samples, the sidecar JSON and the HTML', async () => {
    const generator = await manifestSplit(['ct/ct.dcm', 'mr/mr.dcm', 'png16/a.png'], { window: 'file', on_bad_file: 'skip' });
    const { samples, skipped } = await previewSamples(generator, { n: 3 });
    expect(samples.map((s) => s.intensity)).toEqual(['window from the file: center 40, width 400']);
    expect(skipped.map((s) => s.reason)).toEqual([
      'window is "file" but this image has no WindowCenter / WindowWidth of its own',
      'window is "file" but this image has no WindowCenter / WindowWidth of its own',
    ]);
    const out = path.join(dir, 'preview');
    await writePreview(await manifestSplit(['ct/ct.dcm', 'mr/mr.dcm'], { window: 'lung' }), { out, n: 2, seed: 0 });
    const sidecar = JSON.parse(await readFile(path.join(out, 'samples.json'), 'utf8')) as { samples: { intensity: string }[] };
    expect(sidecar.samples.map((s) => s.intensity)).toEqual(Array(2).fill('window preset lung: center -600, width 1500'));
    expect(await readFile(path.join(out, 'index.html'), 'utf8')).toContain('window preset lung: center -600, width 1500');
  });
});

describe('errors name the key', () => {
  async function failure(info: string): Promise<ConfigError> {
    const file = path.join(dir, 'errors.yaml');
    writeFileSync(file, ['data:', '  name: ImageFolder', `  info: { train: tree, ${info} }`, ''].join('\n'));
    const error = await openData(await loadPartyConfig(file)).then(
      (data) => closeSplits(data.splits),
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('an unknown preset, a width under 1, and zscore with a mean/std normalize', async () => {
    const liver = await failure('window: liver');
    expect(liver.key).toBe('data.info.window');
    expect(liver.message).toContain('one of "lung", "mediastinum", "bone", "brain", "soft_tissue"');
    expect(liver.message).toContain('got "liver"');
    const narrow = await failure('window: [40, 0]');
    expect(narrow.key).toBe('data.info.window[1]');
    expect(narrow.message).toContain('data.info.window[1]: expected a number >= 1, got 0');
    const zscore = await failure('window: zscore, normalize: { mean: [0.5], std: [0.5] }');
    expect(zscore.key).toBe('data.info.window');
    expect(zscore.message).toContain('zscore already standardises each image');
  });
});
