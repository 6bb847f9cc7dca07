// Tests (Node, real files and worker threads): the ImageFolder handler over clean trees and the bad-file corpus.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageFolder } from '../../../main/data/builtins/image-folder.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import type { DataGenerator } from '../../../main/data/data-generator.js';
import type { ImageFilesGenerator } from '../../../main/data/image-generator.js';
import { badCorpus, cleanTree, grayPixels, tempDir } from '../../fixtures/corpus.js';

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function open(info: Record<string, unknown>, baseDir: string): Promise<DataSplits> {
  const splits = await new ImageFolder(info, { baseDir }).getData();
  opened.push(splits);
  return splits;
}

async function drain(generator: DataGenerator) {
  const rows: { index: number; label: number; x: number[] }[] = [];
  const iterator = generator.iterateEpoch();
  for (let step = await iterator.next(); ; step = await iterator.next()) {
    if (step.done) return { rows, summary: step.value };
    const b = step.value;
    const size = b.shape[1] * b.shape[2] * b.shape[3];
    b.indices.forEach((index, r) => rows.push({ index, label: b.labels[r]!, x: [...b.x.subarray(r * size, (r + 1) * size)] }));
  }
}

describe('ImageFolder', () => {
  it('yields every image once per epoch with its folder label, pixels scaled to [0, 1]', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['cat', 'dog'], 5);
    await cleanTree(path.join(dir, 'test'), ['cat', 'dog'], 2);
    const { train, test } = await open({ train: 'train', test: 'test', batch_size: 3, color_mode: 'grayscale' }, dir);
    expect(train!.classNames).toEqual(['cat', 'dog']);
    expect(train!.sampleShape).toEqual({ height: 8, width: 8, channels: 1 });
    expect([train!.sampleCount, test!.sampleCount]).toEqual([10, 4]);
    const { rows, summary } = await drain(train!);
    expect(rows.map((r) => r.index).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    for (const row of rows) {
      const file = train!.describeSample(row.index);
      const [cls, k] = [path.basename(path.dirname(file)), Number(path.basename(file, '.png'))];
      expect(row.label).toBe(cls === 'cat' ? 0 : 1);
      const expected = Array.from(grayPixels(8, 8, row.label * 1000 + k), (v) => v / 255);
      expect(row.x.map((v) => Math.round(v * 255))).toEqual(expected.map((v) => Math.round(v * 255)));
    }
    expect(summary).toMatchObject({ batches: 4, samples: 10, skipped: 0 });
  });

  it('agrees on labels across splits when a split lacks a class, and honours class_names', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a', 'c'], 1);
    await cleanTree(path.join(dir, 'test'), ['b', 'c'], 1);
    const { train, test } = await open({ train: 'train', test: 'test' }, dir);
    expect(train!.classNames).toEqual(['a', 'b', 'c']);
    expect(test!.classNames).toEqual(['a', 'b', 'c']);
    const explicit = await open({ train: 'train', class_names: ['c', 'a', 'z'] }, dir);
    expect((await drain(explicit.train!)).rows.map((r) => r.label).sort()).toEqual([0, 1]);
  });

  it('resizes to image_size, converts to RGB, and applies mean/std per channel', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['x'], 2, 8);
    const { train } = await open(
      { train: 'train', image_size: [4, 6], color_mode: 'rgb', normalize: { mean: [0.5], std: [0.25] }, shuffle: false },
      dir,
    );
    const batch = await train!.getBatch(0);
    expect(batch.shape).toEqual([2, 4, 6, 3]);
    for (let i = 0; i < batch.x.length; i += 3) {
      expect(batch.x[i]).toBe(batch.x[i + 1]); // gray replicated into R, G and B
      const pixel = batch.x[i]! * 0.25 + 0.5;
      expect(pixel).toBeGreaterThanOrEqual(-1e-6);
      expect(pixel).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it('reports the bad-file corpus in listing and epoch, and trains on the rest without failing', async () => {
    const dir = await tempDir();
    const corpus = await badCorpus(dir);
    const { train } = await open({ train: 'train', image_size: [8, 8], color_mode: 'grayscale', batch_size: 4 }, dir);
    const generator = train as ImageFilesGenerator;
    const listing = generator.listing!;
    expect(listing.problems.map((p) => path.basename(p.path)).sort()).toEqual([...corpus.listingProblems].sort());
    expect(listing.emptyClasses).toEqual(['empty']);
    expect(listing.ignoredFiles).toBe(1); // notes.txt
    const { rows, summary } = await drain(generator);
    expect(summary.skipped).toBe(corpus.decodeFailures.length);
    expect(summary.skippedSamples.map((s) => path.basename(s.source)).sort()).toEqual([...corpus.decodeFailures].sort());
    const reasons = Object.fromEntries(summary.skippedSamples.map((s) => [path.basename(s.source), s.reason]));
    expect(reasons['bomb.png']).toMatch(/pixels|limit/);
    expect(reasons['zero.png']).toMatch(/empty/);
    expect(reasons['text.png']).toMatch(/not an image/);
    expect(rows.length).toBe(6 + corpus.decodable.length);
  });

  it('fails with the file and the reason under on_bad_file: fail', async () => {
    const dir = await tempDir();
    await badCorpus(dir);
    await expect(open({ train: 'train', image_size: [8, 8], on_bad_file: 'fail' }, dir)).rejects.toThrow(
      /(fifo|broken|self)\.png|loop.*on_bad_file/,
    );
    await fsp.rm(path.join(dir, 'train', 'b', 'loop'));
    for (const name of ['fifo.png', 'broken.png', 'self.png']) await fsp.rm(path.join(dir, 'train', 'b', name));
    const { train } = await open({ train: 'train', image_size: [8, 8], on_bad_file: 'fail', batch_size: 64 }, dir);
    await expect(train!.getBatch(0)).rejects.toThrow(/\.png: .*on_bad_file is "fail"/);
  });

  it('reports images lying outside any class folder and counts other loose files', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 2);
    await fsp.writeFile(path.join(dir, 'train', 'stray.png'), 'x');
    await fsp.writeFile(path.join(dir, 'train', 'README'), 'x');
    const { train } = await open({ train: 'train' }, dir);
    const listing = (train as ImageFilesGenerator).listing!;
    expect(listing.problems).toEqual([
      { path: path.join(dir, 'train', 'stray.png'), reason: 'image outside any class folder: not used', kind: 'unused' },
    ]);
    expect(listing.ignoredFiles).toBe(1);
    expect(train!.sampleCount).toBe(2);
  });

  it('says how many normalize values a channel count takes', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 1);
    const info = { train: 'train', color_mode: 'grayscale', normalize: { mean: [0.1, 0.2, 0.3], std: [1] } };
    await expect(open(info, dir)).rejects.toThrow('data.info.normalize.mean: 3 values for 1 channel (give 1 value)');
  });

  it('names the key when a folder is missing', async () => {
    const dir = await tempDir();
    await expect(open({ train: 'nowhere' }, dir)).rejects.toThrow(/data\.info\.train: folder .*nowhere does not exist/);
  });

  it('streams later epochs from the decoded cache, even with the source files gone', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a', 'b'], 6);
    await fsp.writeFile(path.join(dir, 'train', 'b', 'bad.png'), 'not a png');
    const info = { train: 'train', batch_size: 4, color_mode: 'grayscale', cache: true, cache_dir: 'cache' };
    const { train } = await open(info, dir);
    const first = await drain(train!);
    expect((train as ImageFilesGenerator).cache!.missing).toBe(1); // the bad file: not cached, tried again each epoch
    await fsp.rm(path.join(dir, 'train', 'a'), { recursive: true }); // the cache must now be what is read
    const second = await drain(train!);
    const byIndex = (rows: typeof first.rows) => Object.fromEntries(rows.map((r) => [r.index, r.x]));
    expect(byIndex(second.rows)).toEqual(byIndex(first.rows));
    expect(second.summary.skipped).toBe(1);
    expect(second.rows.map((r) => r.index)).not.toEqual(first.rows.map((r) => r.index)); // reshuffled
  });

  it('continues a cache that a killed run left half-written', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 8);
    const info = { train: 'train', batch_size: 4, shuffle: false, cache: true, cache_dir: 'cache' };
    const partial = await open(info, dir);
    await partial.train!.getBatch(0);
    await partial.train!.close(); // flushes states: the first 4 records are stored
    const resumed = await open(info, dir);
    const cache = (resumed.train as ImageFilesGenerator).cache!;
    expect(cache.missing).toBe(4);
    expect([...cache.slots.subarray(0, 4)].sort()).toEqual([1, 2, 3, 4]); // 1 + the slots of the first batch's records
  });
});
