// Tests (Node, a real site handler module on disk): every batch a handler yields is checked where it enters Tributary, in preview, scan and epochs alike.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { BadBatchError } from '../../../main/data/batch-check.js';
import { DataGenerator, makeBatch } from '../../../main/data/data-generator.js';
import { closeSplits } from '../../../main/data/data-handler.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { openData } from '../../../main/data/handler-loader.js';
import { normalizeLut } from '../../../main/data/normalize.js';
import { previewSamples } from '../../../main/data/preview.js';
import { scanSplit } from '../../../main/data/scan.js';
import { sampleIndices } from '../../../main/data/shuffle.js';
import type { Batch } from '../../../main/data/types.js';
import { tempDir } from '../../fixtures/corpus.js';
import { FAULTS, faultyParty } from './faulty-handler.js';
import type { FaultyParty } from './faulty-handler.js';

let dir: string;
const opened: DataSplits[] = [];
beforeAll(async () => {
  dir = await tempDir('tributary-bad-batches-');
});
afterAll(async () => {
  for (const splits of opened) await closeSplits(splits);
  await rm(dir, { recursive: true, force: true });
});

async function open(name: string, options: Parameters<typeof faultyParty>[1] = {}): Promise<{ party: FaultyParty; splits: DataSplits }> {
  const party = await faultyParty(path.join(dir, name), options);
  const { splits } = await openData(await loadPartyConfig(party.configFile));
  opened.push(splits);
  return { party, splits };
}

async function failure(run: Promise<unknown>): Promise<Error> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** Every sample of a generator through one preview: preview reads them in its own seeded order. */
const ASKED = sampleIndices(5, 5, 0);

describe('preview of a handler that yields a bad batch', () => {
  let party: FaultyParty;
  let splits: DataSplits;
  beforeAll(async () => ({ party, splits } = await open('preview')));

  it.each(Object.keys(FAULTS) as (keyof typeof FAULTS)[])('%s', async (fault) => {
    await party.setFault(fault);
    const error = await failure(previewSamples(splits.train!, { n: 5 }));
    const where = `${party.handler}, train split, reading samples [${ASKED.join(', ')}]`;
    expect(error.message).toBe(`${where}: ${FAULTS[fault](5, ASKED.indexOf(3))}`);
    expect(error).toBeInstanceOf(fault === 'throws' ? Error : BadBatchError);
  });

  it('previews the same handler when nothing is wrong', async () => {
    await party.setFault('none');
    const { samples, skipped } = await previewSamples(splits.train!, { n: 5 });
    expect(samples.map((s) => s.index)).toEqual(ASKED);
    expect(skipped).toEqual([]);
  });
});

describe('epochs of a handler that yields a bad batch', () => {
  it('fails at the batch, naming the split, also for the test split and for getBatch', async () => {
    const { party, splits } = await open('epochs');
    await party.setFault('label');
    const epoch = async (split: 'train' | 'test') => {
      for await (const _ of splits[split]!.iterateEpoch()) void _;
    };
    expect((await failure(epoch('train'))).message).toBe(`${party.handler}, train split, batch 2 of 3: ${FAULTS.label(2, 1)}`);
    expect((await failure(epoch('test'))).message).toBe(`${party.handler}, test split, batch 2 of 3: ${FAULTS.label(2, 1)}`);
    expect((await failure(splits.train!.getBatch(1))).message).toBe(`${party.handler}, train split, batch 2 of 3: ${FAULTS.label(2, 1)}`);
    expect(splits.train!.epoch).toBe(0); // a failed epoch does not count as done
  });

  it('scan refuses a bad batch the same way', async () => {
    const { party, splits } = await open('scan');
    await party.setFault('nan');
    const error = await failure(scanSplit('train', splits.train!));
    expect(error.message).toBe(`${party.handler}, train split, reading samples [0, 1, 2, 3, 4]: ${FAULTS.nan(5, 3)}`);
  });
});

describe('on_non_finite: skip', () => {
  let party: FaultyParty;
  let splits: DataSplits;
  beforeAll(async () => ({ party, splits } = await open('skip', { onNonFinite: 'skip' })));
  const reason = (value: string, x: number) => `non-finite input: ${value} at y 0, x ${x}, channel 0 (data.on_non_finite is "skip")`;

  it('leaves the sample out of its batch and counts it in the epoch summary, with source and reason', async () => {
    await party.setFault('nan');
    const batches: Batch[] = [];
    const epoch = splits.train!.iterateEpoch();
    let step = await epoch.next();
    for (; !step.done; step = await epoch.next()) batches.push(step.value);
    expect(batches.map((b) => [...b.indices])).toEqual([[0, 1], [2], [4]]);
    expect(batches[1]).toMatchObject({
      shape: [1, 1, 2, 1],
      labels: Int32Array.of(0),
      oneHot: Float32Array.of(1, 0),
      x: Float32Array.of(2, 20),
    });
    expect(step.value).toMatchObject({ batches: 3, samples: 4, skipped: 1 });
    expect(step.value.skippedSamples).toEqual([{ index: 3, source: 'record 3 of faulty.bin', reason: reason('NaN', 1) }]);
  });

  it('preview and scan count it like an unreadable file', async () => {
    await party.setFault('infinity');
    const { samples, skipped } = await previewSamples(splits.train!, { n: 5 });
    expect(samples.map((s) => s.index)).toEqual(ASKED.filter((i) => i !== 3));
    expect(skipped).toEqual([{ index: 3, source: 'record 3 of faulty.bin', reason: reason('-Infinity', 0) }]);
    const scan = await scanSplit('train', splits.train!);
    expect(scan).toMatchObject({
      samples: 5,
      readable: 4,
      unreadableCount: 1,
      classes: [
        { key: 'even', count: 3 },
        { key: 'odd', count: 1 },
      ],
    });
    expect(scan.unreadable).toEqual([{ index: 3, source: 'record 3 of faulty.bin', reason: reason('-Infinity', 0) }]);
  });

  it('still fails on every other kind of bad batch', async () => {
    await party.setFault('label');
    expect((await failure(splits.train!.getBatch(1))).message).toBe(`${party.handler}, train split, batch 2 of 3: ${FAULTS.label(2, 1)}`);
  });
});

describe('generators opened by openData declare what their batches are checked against', () => {
  /** A handler module whose train generator is the tiny one below with `body` added to its class. */
  async function declared(name: string, body: string): Promise<Error> {
    const module = path.join(dir, 'declared', `${name}.mjs`);
    const config = path.join(dir, 'declared', `${name}.yaml`);
    await mkdir(path.dirname(module), { recursive: true });
    await writeFile(
      module,
      `import { DataGenerator, DataHandler, makeBatch } from 'tributary';
       class G extends DataGenerator {
         sampleCount = 2; classNames = ['a']; sampleShape = { height: 1, width: 1, channels: 1 };
         describeSample(i) { return 'sample ' + i; }
         async loadSamples(indices) {
           return makeBatch({ x: Float32Array.from(indices), shape: this.sampleShape, indices, labels: new Int32Array(indices.length), numClasses: 1 });
         }
         ${body}
       }
       export class Declared extends DataHandler { getData() { return { train: new G({ batchSize: 1 }) }; } }\n`,
    );
    await writeFile(config, `data:\n  name: Declared\n  path: ${name}.mjs\n`);
    const error = await failure(openData(await loadPartyConfig(config)));
    expect(error.message.startsWith(`${config}:2: data.name: Declared (${module}): getData() returned a \`train\` generator that `)).toBe(
      true,
    );
    return error;
  }

  const replaced = 'batches come from loadSamples(indices), and the base class hands them out checked; implement loadSamples instead';
  it.each([
    [
      'no loadSamples',
      'constructor(o) { super(o); this.loadSamples = undefined; }',
      'has no loadSamples(): a DataGenerator implements both',
    ],
    ['a getBatch of its own', 'getBatch(i) { return super.getBatch(i); }', `overrides getBatch: ${replaced}`],
    ['an iterateEpoch of its own', 'async *iterateEpoch() {}', `overrides iterateEpoch: ${replaced}`],
    [
      'a sampleCount that is not a count',
      'constructor(o) { super(o); this.sampleCount = 2.5; }',
      'declares sampleCount 2.5; it must be a whole number >= 0',
    ],
    [
      'no class names',
      'constructor(o) { super(o); this.classNames = []; }',
      'declares classNames []; it must be a list of one or more class names (text)',
    ],
    [
      'a sample shape of the wrong kind',
      "constructor(o) { super(o); this.sampleShape = { height: 28, width: '28' }; }",
      'declares sampleShape {"height":28,"width":"28"}; it must be { height, width, channels }, each a whole number >= 1',
    ],
    [
      'a volume depth that is not a count',
      'constructor(o) { super(o); this.sampleShape = { depth: 0, height: 28, width: 28, channels: 1 }; }',
      'declares sampleShape {"depth":0,"height":28,"width":28,"channels":1}; its depth (for volumes) must be a whole number >= 1',
    ],
  ])('refuses %s', async (_case, body, problem) => {
    const error = await declared(_case.replace(/\W+/g, '-'), body);
    expect(error.message.endsWith(problem)).toBe(true);
  });
});

describe('generators used directly, and the built-ins', () => {
  it('name the generator class where no handler opened it', async () => {
    class Loose extends DataGenerator {
      readonly sampleCount = 3;
      readonly classNames = ['a', 'b'];
      readonly sampleShape = { height: 1, width: 1, channels: 1 };
      describeSample(index: number): string {
        return `loose ${index}`;
      }
      protected async loadSamples(indices: Uint32Array): Promise<Batch> {
        return makeBatch({
          x: Float32Array.from(indices, () => NaN),
          shape: this.sampleShape,
          indices,
          labels: new Int32Array(indices.length),
          numClasses: 2,
        });
      }
    }
    const error = await failure(new Loose({ batchSize: 2, shuffle: false }).getBatch(1));
    expect(error.message).toBe(
      'Loose, batch 2 of 2: row 0 holds NaN at y 0, x 0, channel 0; sample: loose 2 (set data.on_non_finite: skip to leave such samples out and count them)',
    );
  });

  it('refuse a normalize that makes a pixel value non-finite, on its key, before any batch', () => {
    expect(() => normalizeLut({ mean: [0.5], std: [1e-45] }, 1)).toThrow(
      'data.info.normalize: pixel value 0 of channel 0 becomes (0 / 255 - 0.5) / 1e-45 = -Infinity as a float32; every model input must be finite',
    );
    expect(() => normalizeLut({ mean: [0, 0, -1e300], std: [1] }, 3)).toThrow(
      'data.info.normalize: pixel value 0 of channel 2 becomes (0 / 255 - -1e+300) / 1 = Infinity as a float32; every model input must be finite',
    );
  });
});
