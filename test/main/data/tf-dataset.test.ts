// Tests (Node, real tfjs on the cpu backend): a generator trains a model through fitDataset, leaking no tensor.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFolder } from '../../../main/data/builtins/image-folder.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { toTfDataset } from '../../../main/data/tf-dataset.js';
import { cleanTree, tempDir } from '../../fixtures/corpus.js';

let splits: DataSplits;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const dir = await tempDir();
  await cleanTree(path.join(dir, 'train'), ['a', 'b', 'c'], 10);
  splits = await new ImageFolder({ train: 'train', batch_size: 8, color_mode: 'grayscale' }, { baseDir: dir }).getData();
});
afterAll(() => splits.train?.close());

function smallModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [8, 8, 1] }), tf.layers.dense({ units: 3, activation: 'softmax' })],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('toTfDataset', () => {
  it('feeds fitDataset an epoch per iteration, and the tensor count returns to its baseline', async () => {
    const model = smallModel();
    const dataset = toTfDataset(tf, splits.train!);
    await model.fitDataset(dataset, { epochs: 1 }); // the first epoch creates the optimizer's own state
    const baseline = tf.memory().numTensors;
    const epochBefore = splits.train!.epoch;
    const history = await model.fitDataset(dataset, { epochs: 2 });
    expect(history.history.loss).toHaveLength(2);
    expect(splits.train!.epoch).toBe(epochBefore + 2);
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it('yields xs as NHWC and ys one-hot or as integer labels', async () => {
    const baseline = tf.memory().numTensors;
    for (const labels of ['onehot', 'int'] as const) {
      const iterator = await toTfDataset(tf, splits.train!, { labels }).iterator();
      const { value } = await iterator.next();
      expect(value.xs.shape).toEqual([8, 8, 8, 1]);
      expect(value.ys.shape).toEqual(labels === 'onehot' ? [8, 3] : [8]);
      expect(value.ys.dtype).toBe(labels === 'onehot' ? 'float32' : 'int32');
      tf.dispose([value.xs, value.ys]);
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) tf.dispose([step.value.xs, step.value.ys]);
    }
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
