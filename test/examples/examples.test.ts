// Tests (Node, real files, decode threads and the site handler module): every examples/*/party.yaml loads and yields sound batches.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPartyConfig } from '../../main/config/party-config.js';
import type { DataGenerator } from '../../main/data/data-generator.js';
import type { DataSplits } from '../../main/data/data-handler.js';
import { openData } from '../../main/data/handler-loader.js';
import type { Batch } from '../../main/data/types.js';
import { buildModel } from '../../main/engine/model-spec.js';
import { tempDir } from '../fixtures/corpus.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
const hasFashionMnist = existsSync(path.join(FASHION_MNIST, 'train-images-idx3-ubyte.gz'));

beforeAll(async () => {
  vi.stubEnv('TRIBUTARY_CACHE_DIR', await tempDir()); // the Idx example inflates its .gz files there, not in ~/.cache
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function openExample(name: string) {
  const loaded = await loadPartyConfig(path.join(examples, name, 'party.yaml'));
  const { splits } = await openData(loaded);
  opened.push(splits);
  return { loaded, splits, batchSize: loaded.config.data.info.batch_size as number };
}

/** The first batch of a fresh epoch, stopping the epoch there (its prefetched loads settle before this returns). */
async function firstBatch(generator: DataGenerator): Promise<Batch> {
  const epoch = generator.iterateEpoch();
  const step = await epoch.next();
  await epoch.return(undefined as never);
  if (step.done) throw new Error('the epoch yielded no batch');
  return step.value;
}

async function epochIndices(generator: DataGenerator): Promise<number[]> {
  const seen: number[] = [];
  for await (const batch of generator.iterateEpoch()) seen.push(...batch.indices);
  return seen;
}

function expectSoundBatch(batch: Batch, generator: DataGenerator, batchSize: number): void {
  const { height, width, channels } = generator.sampleShape;
  const classes = generator.classNames.length;
  expect(batch.shape).toEqual([batchSize, height, width, channels]);
  expect(batch.x).toHaveLength(batchSize * height * width * channels);
  expect(batch.indices).toHaveLength(batchSize);
  expect(batch.labels).toHaveLength(batchSize);
  expect(batch.oneHot).toHaveLength(batchSize * classes);
  for (const [row, label] of batch.labels.entries()) {
    expect(label).toBeGreaterThanOrEqual(0);
    expect(label).toBeLessThan(classes);
    expect(batch.oneHot[row * classes + label]).toBe(1);
    expect(generator.labelOf(batch.indices[row]!) ?? label).toBe(label);
  }
  expect(Math.min(...batch.x)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...batch.x)).toBeLessThanOrEqual(1);
  expect(Math.max(...batch.x)).toBeGreaterThan(0); // real images, not a zeroed buffer
}

async function expectModelFits(name: string, builtin: string): Promise<void> {
  await tf.setBackend('cpu');
  const { loaded, splits } = await openExample(name);
  const { height, width, channels } = splits.train!.sampleShape;
  expect(loaded.config.model?.builtin).toBe(builtin);
  const model = await buildModel(tf, loaded.config.model!, {
    inputShape: [height, width, channels],
    numClasses: splits.train!.classNames.length,
    baseDir: loaded.baseDir,
  });
  expect(model.outputs[0]!.shape).toEqual([null, 10]);
  model.dispose();
}

/** The class folder of a sample whose source is a file path: root/<class>/<file>. */
const folderOf = (generator: DataGenerator, index: number) => path.basename(path.dirname(generator.describeSample(index)));

describe('examples', () => {
  it('has a party.yaml in every example folder, and this file covers each of them', () => {
    const withConfig = readdirSync(examples, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(examples, d.name, 'party.yaml')))
      .map((d) => d.name)
      .sort();
    expect(withConfig).toEqual(['idx', 'image-folder', 'mnist-handler']);
  });

  it('image-folder: first train batch of the configured size, labels from the class folders, test order fixed', async () => {
    const { splits, batchSize } = await openExample('image-folder');
    const { train, test } = splits as Required<DataSplits>;
    expect(batchSize).toBe(64);
    expect(train.classNames).toHaveLength(10);
    expect(train.sampleCount).toBe(1000);
    const batch = await firstBatch(train);
    expectSoundBatch(batch, train, batchSize);
    for (const [row, index] of batch.indices.entries()) expect(train.classNames[batch.labels[row]!]).toBe(folderOf(train, index));
    expect(new Set(batch.labels).size).toBeGreaterThan(1); // shuffled: a first batch is not one class
    const first = await epochIndices(test);
    expect(first).toEqual([...Array(200).keys()]);
    expect(await epochIndices(test)).toEqual(first);
  });

  it('mnist-handler: the site module yields labels that agree with the folder of each sample, test order fixed', async () => {
    const { splits, batchSize } = await openExample('mnist-handler');
    const { train, test } = splits as Required<DataSplits>;
    expect(batchSize).toBe(64);
    expect(train.classNames).toEqual(readdirSync(path.join(examples, '../assets/fashion-mnist-sample/train')).sort());
    expect(test.classNames).toEqual(train.classNames);
    const batch = await firstBatch(train);
    expectSoundBatch(batch, train, batchSize);
    for (const [row, index] of batch.indices.entries()) {
      const folder = folderOf(train, index);
      expect(train.classNames[batch.labels[row]!]).toBe(folder);
      expect(folder.startsWith(`${batch.labels[row]}-`)).toBe(true); // folders sort in label order: 0-tshirt-top, ...
    }
    const testBatch = await firstBatch(test);
    for (const [row, index] of testBatch.indices.entries()) expect(test.classNames[testBatch.labels[row]!]).toBe(folderOf(test, index));
    const first = await epochIndices(test);
    expect(first).toEqual([...Array(test.sampleCount).keys()]);
    expect(await epochIndices(test)).toEqual(first);
  });

  it.each([
    ['image-folder', 'mnist-cnn'],
    ['mnist-handler', 'mlp'],
  ] as const)('%s: its `model:` section (%s) builds for the data it opens', expectModelFits);

  it.skipIf(!hasFashionMnist)('idx: its `model:` section (mnist-cnn) builds for the data it opens', () =>
    expectModelFits('idx', 'mnist-cnn'),
  );

  // Debian's dataset-fashion-mnist; .ci/run installs it, so on CI this runs.
  it.skipIf(!hasFashionMnist)(
    'idx: Fashion-MNIST from /usr/share/datasets in batches of the configured size, test order fixed',
    async () => {
      const { splits, batchSize } = await openExample('idx');
      const { train, test } = splits as Required<DataSplits>;
      expect([train.sampleCount, test.sampleCount]).toEqual([60_000, 10_000]);
      expect(train.sampleShape).toEqual({ height: 28, width: 28, channels: 1 });
      expect(train.classNames).toHaveLength(10);
      const batch = await firstBatch(train);
      expectSoundBatch(batch, train, batchSize);
      const first = await epochIndices(test);
      expect(first).toEqual([...Array(10_000).keys()]);
      expect(await epochIndices(test)).toEqual(first);
    },
  );

  it.skipIf(!hasFashionMnist)(
    'the PNG sample and the Idx example agree: each PNG is the IDX record its name gives, with its label',
    async () => {
      const idx = (await openExample('idx')).splits as Required<DataSplits>;
      const png = (await openExample('image-folder')).splits as Required<DataSplits>;
      const sample = (await firstBatch(png.test)).indices.subarray(0, 16);
      const records = Uint32Array.from(sample, (i) => Number(path.basename(png.test.describeSample(i), '.png')));
      const [fromPng, fromIdx] = [await png.test.readSamples(sample), await idx.test.readSamples(records)];
      expect([...fromPng.labels]).toEqual([...fromIdx.labels]);
      expect(Array.from(fromPng.x, (v) => Math.round(v * 255))).toEqual(Array.from(fromIdx.x, (v) => Math.round(v * 255)));
    },
  );
});
