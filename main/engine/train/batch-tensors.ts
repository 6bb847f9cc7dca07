// Runs in the training thread: what the training and evaluation loops share per batch: its tensors, where accuracy is, a turn of the event loop.
import type * as tfjs from '@tensorflow/tfjs';
import type { Batch } from '../../data/types.js';
import type { Tf } from '../backend.js';

export interface BatchTensors {
  /** [n, h, w, c], or [n, d, h, w, c] for volumes. */
  xs: tfjs.Tensor;
  ys: tfjs.Tensor;
}

/**
 * The caller disposes both. `x` is used in place, not copied, even on the cpu backend (which keeps the array it is
 * given): with reused buffers a batch's x stays valid until the next batch is requested, and the caller disposes
 * these tensors before that.
 */
export function batchTensors(tf: Tf, model: tfjs.LayersModel, batch: Batch, numClasses: number): BatchTensors {
  const n = batch.shape[0];
  const xs = tf.tensor(batch.x, batch.shape, 'float32');
  // The sparse loss wants class indices, as float32 (tfjs floors them itself); every other loss the one-hot rows.
  const ys =
    model.loss === 'sparseCategoricalCrossentropy'
      ? tf.tensor1d(Float32Array.from(batch.labels))
      : tf.tensor2d(batch.oneHot, [n, numClasses]);
  return { xs, ys };
}

/** Where `accuracy` sits in what trainOnBatch and evaluate return (ordered as model.metricsNames), or -1 without one. */
export function accuracyIndex(model: tfjs.LayersModel): number {
  return model.metricsNames.findIndex((name) => name === 'acc' || name === 'accuracy');
}

/**
 * Lets the thread's event loop run once. A batch already loaded continues the loop on promise callbacks alone, and
 * those never give the event loop a turn: a stop message (or, on the host, anything else) would wait for the
 * epoch to end.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
