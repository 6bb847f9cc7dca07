// Tests (Node, real files and worker threads): the CsvManifest and Idx built-in handlers.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CsvManifest } from '../../../main/data/builtins/csv-manifest.js';
import { Idx } from '../../../main/data/builtins/idx-handler.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import type { ImageFilesGenerator } from '../../../main/data/image-generator.js';
import { grayPixels, grayPng, tempDir } from '../../fixtures/corpus.js';

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function track(splits: Promise<DataSplits>): Promise<DataSplits> {
  opened.push(await splits);
  return opened.at(-1)!;
}

function idxFile(dims: number[], data: Uint8Array, dtype = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, dtype, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

describe('CsvManifest', () => {
  it('reads paths relative to the CSV, labels by name, and reports bad rows with their line', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'img', 'sub'), { recursive: true });
    for (let k = 0; k < 3; k++) await fsp.writeFile(path.join(dir, 'img', 'sub', `${k}.png`), grayPng(4, 4, k));
    const csv = [
      'file,kind',
      'img/sub/0.png,cat',
      '"img/sub/1.png",dog',
      'img/sub/../sub/2.png,cat',
      ',dog',
      'img/missing.png,cat',
      'img/sub/0.png,bird',
    ].join('\n');
    await fsp.writeFile(path.join(dir, 'train.csv'), csv);
    const { train } = await track(
      new CsvManifest(
        { train: 'train.csv', path_column: 'file', label_column: 'kind', class_names: ['cat', 'dog'], image_size: [4, 4] },
        { baseDir: dir },
      ).getData(),
    );
    const generator = train as ImageFilesGenerator;
    expect(generator.listing!.problems.map((p) => `${path.basename(p.path)}: ${p.reason}`)).toEqual([
      'train.csv line 5: empty path',
      'train.csv line 7: label "bird" is not one of class_names: row not used',
    ]);
    expect(generator.sampleCount).toBe(4);
    expect(generator.describeSample(2)).toBe(path.join(dir, 'img', 'sub', '2.png'));
    const batch = await generator.readSamples(Uint32Array.of(0, 1, 2, 3));
    expect([...batch.labels]).toEqual([0, 1, 0]);
    expect(batch.skipped.map((s) => path.basename(s.source))).toEqual(['missing.png']);
  });

  it('names the file and the columns it has when a column is missing', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, 'train.csv'), 'path,class\na.png,x\n');
    await expect(new CsvManifest({ train: 'train.csv' }, { baseDir: dir }).getData()).rejects.toThrow(
      /data\.info\.train: .*train\.csv: no column "label" \(columns are: path, class\)/,
    );
  });

  it('says a manifest that is a folder in plain words, not the system error', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'train.csv'));
    await expect(new CsvManifest({ train: 'train.csv' }, { baseDir: dir }).getData()).rejects.toThrow(
      /data\.info\.train: cannot read .*train\.csv: it is a folder, not a file$/,
    );
  });
});

describe('Idx', () => {
  it('reads records by offset from raw and .gz files, with their labels', async () => {
    const dir = await tempDir();
    const images = new Uint8Array(5 * 3 * 2).map((_, i) => i * 8);
    await fsp.writeFile(path.join(dir, 'train-images.gz'), gzipSync(idxFile([5, 3, 2], images)));
    await fsp.writeFile(path.join(dir, 'train-labels'), idxFile([5], Uint8Array.of(0, 2, 1, 2, 0)));
    const info = { train_images: 'train-images.gz', train_labels: 'train-labels', cache_dir: 'cache', shuffle: false, batch_size: 2 };
    const { train } = await track(new Idx(info, { baseDir: dir }).getData());
    expect(train!.classNames).toEqual(['0', '1', '2']);
    expect(train!.sampleShape).toEqual({ height: 3, width: 2, channels: 1 });
    const batch = await train!.getBatch(1);
    expect([...batch.indices]).toEqual([2, 3]);
    expect([...batch.labels]).toEqual([1, 2]);
    expect(Array.from(batch.x, (v) => Math.round(v * 255))).toEqual([...images.subarray(12, 24)]);
    expect(train!.describeSample(3)).toBe(`${path.join(dir, 'train-images.gz')} record 3`);
  });

  it('refuses mismatched counts, truncated files and unsupported element types, naming the key', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, 'images'), idxFile([4, 2, 2], grayPixels(4, 4, 1)));
    await fsp.writeFile(path.join(dir, 'labels3'), idxFile([3], Uint8Array.of(0, 1, 0)));
    await fsp.writeFile(path.join(dir, 'short'), idxFile([9, 2, 2], grayPixels(4, 4, 1)));
    await fsp.writeFile(path.join(dir, 'floats'), idxFile([1, 1, 1], new Uint8Array(4), 0x0d));
    const open = (images: string, labels: string) => new Idx({ train_images: images, train_labels: labels }, { baseDir: dir }).getData();
    await expect(open('images', 'labels3')).rejects.toThrow(/data\.info\.train_labels: 3 labels for 4 images/);
    await expect(open('short', 'labels3')).rejects.toThrow(/data\.info\.train_images: .*short: truncated/);
    await expect(open('floats', 'labels3')).rejects.toThrow(/data\.info\.train_images: expected ubyte images/);
    await expect(open('nothing', 'labels3')).rejects.toThrow(/data\.info\.train_images: .*nothing does not exist/);
    await fsp.mkdir(path.join(dir, 'folder'));
    await expect(open('folder', 'labels3')).rejects.toThrow(/data\.info\.train_images: .*folder: it is a folder, not a file$/);
  });
});
