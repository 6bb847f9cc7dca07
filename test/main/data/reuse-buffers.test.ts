// Tests (Node, real files and decode threads): iterateEpoch({ reuseBuffers }) on an ImageFolder: same rows, a held batch intact, a ring kept across epochs.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFolder } from '../../../main/data/builtins/image-folder.js';
import type { DataGenerator } from '../../../main/data/data-generator.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import type { Batch } from '../../../main/data/types.js';
import { cleanTree, grayPixels, tempDir } from '../../fixtures/corpus.js';

const PREFETCH = 2;
const BATCH = 5;
const CLASSES = ['ant', 'bee', 'cow'];
const PER_CLASS = 9; // 27 samples: 6 batches, the last one short

let dir: string;
const opened: DataSplits[] = [];

beforeAll(async () => {
  dir = await tempDir();
  await cleanTree(path.join(dir, 'train'), CLASSES, PER_CLASS);
});
afterAll(async () => {
  for (const splits of opened.splice(0)) await splits.train?.close();
});

async function generator(): Promise<DataGenerator> {
  const info = { train: 'train', batch_size: BATCH, color_mode: 'grayscale', shuffle: true, seed: 11, prefetch: PREFETCH, workers: 2 };
  const splits = await new ImageFolder(info, { baseDir: dir }).getData();
  opened.push(splits);
  return splits.train!;
}

interface Row {
  index: number;
  label: number;
  pixels: number[];
}

/** A batch's rows as plain values (0-255), copied out of whatever memory x views. */
function rows(batch: Batch): Row[] {
  const size = batch.shape[1] * batch.shape[2] * batch.shape[3];
  return [...batch.indices].map((index, r) => ({
    index,
    label: batch.labels[r]!,
    pixels: Array.from(batch.x.subarray(r * size, (r + 1) * size), (v) => Math.round(v * 255)),
  }));
}

/** What the file behind a sample holds, from how cleanTree drew it. */
function expectedPixels(g: DataGenerator, index: number): number[] {
  const file = g.describeSample(index);
  const label = CLASSES.indexOf(path.basename(path.dirname(file)));
  return [...grayPixels(8, 8, label * 1000 + Number(path.basename(file, '.png')))];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('iterateEpoch with reuseBuffers', () => {
  it('yields the same rows in the same order as without reuse, epoch after epoch', async () => {
    const [plain, reusing] = [await generator(), await generator()];
    expect(plain.length).toBe(6);
    for (let epoch = 0; epoch < 2; epoch++) {
      const expected: Row[][] = [];
      for await (const batch of plain.iterateEpoch()) expected.push(rows(batch));
      const got: Row[][] = [];
      for await (const batch of reusing.iterateEpoch({ reuseBuffers: true })) got.push(rows(batch));
      expect(got.map((b) => b.length)).toEqual([5, 5, 5, 5, 5, 2]);
      expect(got).toEqual(expected);
      expect(
        got
          .flat()
          .map((r) => r.index)
          .sort((a, b) => a - b),
      ).toEqual([...Array(CLASSES.length * PER_CLASS).keys()]);
      for (const row of got.flat()) expect(row.pixels).toEqual(expectedPixels(reusing, row.index));
    }
    expect(reusing.epoch).toBe(2);
  });

  it('never overwrites the batch the consumer holds, even with prefetch running ahead', async () => {
    const g = await generator();
    const seenBuffers = new Set<ArrayBufferLike>();
    let batches = 0;
    for await (const batch of g.iterateEpoch({ reuseBuffers: true })) {
      batches++;
      expect(batch.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      seenBuffers.add(batch.x.buffer);
      const atYield = Float32Array.from(batch.x);
      const heldRows = rows(batch);
      // Hold it while the next PREFETCH batches decode into the ring.
      await sleep(60);
      expect(batch.x).toEqual(atYield);
      expect(rows(batch)).toEqual(heldRows);
      for (const row of heldRows) expect(row.pixels).toEqual(expectedPixels(g, row.index));
    }
    expect(batches).toBe(6);
    // The ring holds prefetch + 1 buffers; six batches went through fewer buffers than that many batches.
    expect(seenBuffers.size).toBeLessThanOrEqual(PREFETCH + 1);
    expect(seenBuffers.size).toBeGreaterThan(1);
  });

  it('reuses at most prefetch + 1 buffers however fast the consumer is, and a fresh x per batch without reuse', async () => {
    const g = await generator();
    const reused = new Set<ArrayBufferLike>();
    for await (const batch of g.iterateEpoch({ reuseBuffers: true, prefetch: 3 })) reused.add(batch.x.buffer);
    expect(reused.size).toBeLessThanOrEqual(4);
    const fresh = new Set<ArrayBufferLike>();
    for await (const batch of g.iterateEpoch()) {
      expect(batch.x.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      fresh.add(batch.x.buffer);
    }
    expect(fresh.size).toBe(6);
  });

  it('keeps its ring from epoch to epoch: a second epoch decodes into the buffers of the first, not a second ring', async () => {
    const g = await generator();
    const buffersOf = async () => {
      const seen = new Set<ArrayBufferLike>();
      for await (const batch of g.iterateEpoch({ reuseBuffers: true })) seen.add(batch.x.buffer);
      return seen;
    };
    const first = await buffersOf();
    const second = await buffersOf();
    expect([...second].filter((buffer) => !first.has(buffer))).toEqual([]);
  });
});
