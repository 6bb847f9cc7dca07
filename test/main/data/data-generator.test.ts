// Tests (Node): the DataGenerator base: seeded per-epoch order, batch cutting, bounded prefetch, abort, skip counts; closing the splits.
import { describe, expect, it } from 'vitest';
import { DataGenerator, makeBatch } from '../../../main/data/data-generator.js';
import { closeSplits } from '../../../main/data/data-handler.js';
import { epochOrder, sampleIndices } from '../../../main/data/shuffle.js';
import type { Batch } from '../../../main/data/types.js';

/** n samples of one pixel each, value = index; indices in `bad` are skipped as unreadable. */
class CountingGenerator extends DataGenerator {
  readonly classNames = ['even', 'odd'];
  readonly sampleShape = { height: 1, width: 1, channels: 1 };
  loading = 0;
  maxLoading = 0;
  constructor(
    readonly sampleCount: number,
    options: { batchSize: number; shuffle?: boolean; seed?: number },
    readonly bad = new Set<number>(),
  ) {
    super(options);
  }
  describeSample(index: number): string {
    return `sample-${index}`;
  }
  protected async loadSamples(indices: Uint32Array): Promise<Batch> {
    this.maxLoading = Math.max(this.maxLoading, ++this.loading);
    await new Promise((r) => setTimeout(r, 1));
    this.loading--;
    const kept = indices.filter((i) => !this.bad.has(i));
    const skipped = [...indices]
      .filter((i) => this.bad.has(i))
      .map((index) => ({ index, source: this.describeSample(index), reason: 'bad' }));
    return makeBatch({
      x: Float32Array.from(kept),
      shape: this.sampleShape,
      indices: kept,
      labels: Int32Array.from(kept, (i) => i % 2),
      numClasses: 2,
      skipped,
    });
  }
}

async function epochIndices(g: DataGenerator): Promise<number[]> {
  const seen: number[] = [];
  for await (const batch of g.iterateEpoch()) seen.push(...batch.indices);
  return seen;
}

describe('epoch order', () => {
  it('is a permutation, the same for the same (seed, epoch), different across epochs and seeds', () => {
    const a = epochOrder(1000, true, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(1000, true, 7, 0)).toEqual(a);
    expect(epochOrder(1000, true, 7, 1)).not.toEqual(a);
    expect(epochOrder(1000, true, 8, 0)).not.toEqual(a);
    expect([...epochOrder(5, false, 7, 3)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('draws distinct sample indices', () => {
    const picked = sampleIndices(50, 20, 3);
    expect(new Set(picked).size).toBe(20);
    expect(picked.every((i) => i >= 0 && i < 50)).toBe(true);
    expect(sampleIndices(5, 10, 3).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('DataGenerator', () => {
  it('cuts ceil(n / batch) batches, the last one short, and sees every sample once an epoch', async () => {
    const g = new CountingGenerator(10, { batchSize: 4, seed: 1 });
    expect(g.length).toBe(3);
    const sizes: number[] = [];
    for await (const b of g.iterateEpoch()) sizes.push(b.shape[0]);
    expect(sizes).toEqual([4, 4, 2]);
    expect(g.epoch).toBe(1);
    expect((await epochIndices(g)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('reshuffles at each epoch end and replays the same orders for the same seed', async () => {
    const orders = async (seed: number) => {
      const g = new CountingGenerator(64, { batchSize: 8, seed });
      return [await epochIndices(g), await epochIndices(g)];
    };
    const [first, second] = await orders(5);
    expect(second).not.toEqual(first);
    expect(await orders(5)).toEqual([first, second]);
    expect((await orders(6))[0]).not.toEqual(first);
  });

  it('keeps the source order when shuffle is off', async () => {
    const g = new CountingGenerator(6, { batchSize: 4, shuffle: false });
    expect(await epochIndices(g)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('yields labels both as integers and one-hot', async () => {
    const g = new CountingGenerator(3, { batchSize: 3, shuffle: false });
    const batch = await g.getBatch(0);
    expect([...batch.labels]).toEqual([0, 1, 0]);
    expect([...batch.oneHot]).toEqual([1, 0, 0, 1, 1, 0]);
    expect(batch.shape).toEqual([3, 1, 1, 1]);
  });

  it('takes a new batch size, and refuses a bad one', () => {
    const g = new CountingGenerator(10, { batchSize: 4 });
    g.batchSize = 5;
    expect(g.length).toBe(2);
    expect(() => (g.batchSize = 0)).toThrow(/batch size/);
    expect(() => g.getBatch(2)).toThrow(/out of range/);
  });

  it('never has more than `prefetch` batches loading', async () => {
    const g = new CountingGenerator(200, { batchSize: 4 });
    for await (const _ of g.iterateEpoch({ prefetch: 3 })) await new Promise((r) => setTimeout(r, 0));
    expect(g.maxLoading).toBeGreaterThan(1);
    expect(g.maxLoading).toBeLessThanOrEqual(3);
  });

  it('counts skipped samples in the epoch summary and drops batches that lost every sample', async () => {
    const g = new CountingGenerator(8, { batchSize: 2, shuffle: false }, new Set([2, 3, 5]));
    const iterator = g.iterateEpoch();
    let batches = 0;
    let step = await iterator.next();
    while (!step.done) {
      batches++;
      step = await iterator.next();
    }
    expect(batches).toBe(3);
    expect(step.value).toMatchObject({ epoch: 0, batches: 3, samples: 5, skipped: 3 });
    expect(step.value.skippedSamples.map((s) => s.source)).toEqual(['sample-2', 'sample-3', 'sample-5']);
    expect(g.lastEpochSummary).toEqual(step.value);
  });

  it('stops on abort within a batch, with no load left running and the epoch not advanced', async () => {
    const g = new CountingGenerator(400, { batchSize: 4 });
    const controller = new AbortController();
    let seen = 0;
    await expect(async () => {
      for await (const _ of g.iterateEpoch({ signal: controller.signal })) if (++seen === 3) controller.abort();
    }).rejects.toThrow(/abort/i);
    expect(seen).toBe(3);
    expect(g.loading).toBe(0);
    expect(g.epoch).toBe(0);
  });
});

describe('closeSplits', () => {
  it('closes both splits, the second although the first fails, and does not throw', async () => {
    const closed: string[] = [];
    class Closing extends CountingGenerator {
      constructor(
        readonly name: string,
        readonly fails: boolean,
      ) {
        super(2, { batchSize: 1 });
      }
      override async close(): Promise<void> {
        await new Promise((r) => setTimeout(r, 5));
        closed.push(this.name);
        if (this.fails) throw new Error(`${this.name} cannot close`);
      }
    }
    await expect(closeSplits({ train: new Closing('train', true), test: new Closing('test', false) })).resolves.toBeUndefined();
    expect(closed.sort()).toEqual(['test', 'train']);
    await expect(closeSplits({ test: new Closing('test only', true) })).resolves.toBeUndefined();
    await expect(closeSplits(undefined)).resolves.toBeUndefined();
  });
});
