// Runs anywhere in main: the bridge from any DataGenerator to a tf.data.Dataset that model.fitDataset can consume.
import type * as tfjs from '@tensorflow/tfjs';
import type { DataGenerator, IterateOptions } from './data-generator.js';

type Tf = typeof tfjs;
export type Labels = 'onehot' | 'int';

export interface TfBatch extends tfjs.TensorContainerObject {
  xs: tfjs.Tensor4D;
  ys: tfjs.Tensor;
}

/**
 * Each iteration of the dataset is one epoch of the generator (which reshuffles at its end). fitDataset disposes
 * the xs and ys of every batch it trains on, so nothing here is kept. `tf` is passed in because the engine, not
 * the data layer, decides which tfjs build and backend run.
 *
 * Batches come from reused buffers (IterateOptions.reuseBuffers). The wasm and tensorflow backends copy a tensor's
 * values into their own memory when it is made; the cpu backend keeps the array itself, so it gets a copy.
 */
export function toTfDataset(tf: Tf, generator: DataGenerator, options: IterateOptions & { labels?: Labels } = {}): tfjs.data.Dataset<TfBatch> {
  const { labels = 'onehot', ...iterate } = options;
  const numClasses = generator.classNames.length;
  return tf.data.generator(() => {
    const batches = generator.iterateEpoch({ ...iterate, reuseBuffers: true });
    const keepsArrays = tf.getBackend() === 'cpu';
    return {
      async next(): Promise<IteratorResult<TfBatch>> {
        const step = await batches.next();
        if (step.done) return { done: true, value: undefined };
        const b = step.value;
        const n = b.shape[0];
        const ys = labels === 'onehot' ? tf.tensor2d(b.oneHot, [n, numClasses]) : tf.tensor1d(b.labels, 'int32');
        return { done: false, value: { xs: tf.tensor4d(keepsArrays ? b.x.slice() : b.x, b.shape), ys } };
      },
    };
  });
}
