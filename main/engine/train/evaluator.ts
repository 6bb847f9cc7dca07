// Runs in the training thread: evaluates a compiled model over one pass of a DataGenerator: loss, accuracy, per-class accuracy, confusion matrix.
import type * as tfjs from '@tensorflow/tfjs';
import type { DataGenerator } from '../../data/data-generator.js';
import type { Batch } from '../../data/types.js';
import type { Tf } from '../backend.js';
import { batchTensors, nextTurn } from './batch-tensors.js';

export interface ClassAccuracy {
  name: string;
  /** Null for a class with no samples in this split. */
  accuracy: number | null;
  samples: number;
}

export interface EvaluateResult {
  /** Mean loss per sample, as the model's compiled loss computes it. */
  loss: number;
  accuracy: number;
  samples: number;
  /** Samples left out of every number above: unreadable, or values not finite (on_non_finite: skip). */
  skipped: number;
  perClass: ClassAccuracy[];
  /** confusion[true class][predicted class] = samples; rows sum to perClass[i].samples. */
  confusion: number[][];
}

/** Rejects with the signal's reason when stopped before the last batch: an evaluation of part of an in-order test split would mislead. */
export async function evaluate(
  tf: Tf,
  model: tfjs.LayersModel,
  generator: DataGenerator,
  options: { signal?: AbortSignal } = {},
): Promise<EvaluateResult> {
  const { signal } = options;
  const classes = generator.classNames;
  const confusion = classes.map(() => new Array<number>(classes.length).fill(0));
  let lossSum = 0;
  let samples = 0;
  for await (const batch of generator.iterateEpoch({ signal, reuseBuffers: true })) {
    signal?.throwIfAborted();
    const { loss, predicted } = await evaluateBatch(tf, model, batch, classes.length);
    batch.labels.forEach((label, row) => confusion[label]![predicted[row]!]!++);
    lossSum += loss * batch.indices.length;
    samples += batch.indices.length;
    await nextTurn();
  }
  const skipped = generator.lastEpochSummary?.skipped ?? 0;
  if (samples === 0) throw new Error(`the split yielded no samples to evaluate on (${skipped} skipped as unreadable or not finite)`);
  const correct = classes.reduce((sum, _, c) => sum + confusion[c]![c]!, 0);
  const perClass = classes.map((name, c) => {
    const row = confusion[c]!.reduce((sum, count) => sum + count, 0);
    return { name, accuracy: row === 0 ? null : confusion[c]![c]! / row, samples: row };
  });
  return { loss: lossSum / samples, accuracy: correct / samples, samples, skipped, perClass, confusion };
}

/**
 * The batch's mean loss and each row's predicted class, from one forward pass: the loss is the model's compiled loss
 * function (whichever of tfjs's losses the config named) applied to the predictions, as model.evaluate applies it.
 */
async function evaluateBatch(
  tf: Tf,
  model: tfjs.LayersModel,
  batch: Batch,
  numClasses: number,
): Promise<{ loss: number; predicted: Int32Array }> {
  const n = batch.indices.length;
  const [loss, predicted] = tf.tidy(() => {
    const { xs, ys } = batchTensors(tf, model, batch, numClasses);
    const predictions = model.predict(xs, { batchSize: n }) as tfjs.Tensor;
    return [tf.mean(compiledLoss(model)(ys, predictions)), predictions.argMax(-1)];
  });
  try {
    return { loss: (await loss.data())[0]!, predicted: (await predicted.data()) as Int32Array };
  } finally {
    tf.dispose([loss, predicted]);
  }
}

type LossFunction = tfjs.LayersModel['lossFunctions'][number];

/**
 * The loss function compile() made from the config's loss name, the one model.evaluate and training apply. A Sequential
 * keeps it on the LayersModel it wraps, in a field tfjs-layers does not expose (`model`, in the pinned 4.22.0).
 */
function compiledLoss(model: tfjs.LayersModel): LossFunction {
  const compiled = (model as unknown as { model?: tfjs.LayersModel }).model ?? model;
  const [loss, ...more] = compiled.lossFunctions ?? [];
  if (loss === undefined || more.length > 0) throw new Error(`model ${model.name} must be compiled with exactly one loss to be evaluated`);
  return loss;
}
