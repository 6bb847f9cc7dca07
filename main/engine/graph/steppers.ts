// Runs in the training thread: one training step per batch, through the one-graph step or tfjs's trainOnBatch, behind one interface for the trainer.
import type * as tfjs from '@tensorflow/tfjs';
import type { DataGenerator } from '../../data/data-generator.js';
import type { Batch } from '../../data/types.js';
import type { Tf } from '../backend.js';
import { accuracyIndex, batchTensors } from '../train/batch-tensors.js';
import type { GraphStep } from './graph-step.js';
import { chooseStep } from './step-choice.js';

/** A trained batch's size, skipped samples, loss and accuracy (null without the metric). */
export interface BatchOutcome {
  n: number;
  skipped: number;
  loss: number;
  accuracy: number | null;
}

export interface Stepper {
  /** Batches to train before their outcomes are read, at most (a due progress event reads them sooner). */
  readonly readEvery: number;
  /** Trains one batch; its outcome comes from settle(). */
  train(batch: Batch): Promise<void>;
  /** Batches trained whose outcome settle() has not returned yet. */
  readonly pending: number;
  /** The outcomes of the batches trained since the last call, in order: one read for all of them on the graph step. */
  settle(): Promise<BatchOutcome[]>;
  /** Makes the model's own variables current (the graph step keeps the newest weights to itself between calls). */
  sync(): void;
  /** Syncs, and lets go of what the stepper holds. */
  end(): void;
}

/** The step the model trains with here (step-choice.ts), ready to train. */
export function stepperFor(tf: Tf, model: tfjs.LayersModel, generator: DataGenerator): Stepper {
  const choice = chooseStep(tf, model);
  return choice.kind === 'graph' ? new GraphStepper(tf, model, generator, choice.step) : new EagerStepper(tf, model, generator);
}

/** tfjs's trainOnBatch, which reads the loss and metrics itself: every batch settles at once. */
class EagerStepper implements Stepper {
  /** trainOnBatch has read them already. */
  readonly readEvery = 1;
  #outcomes: BatchOutcome[] = [];
  readonly #accuracyAt: number;

  constructor(
    private readonly tf: Tf,
    private readonly model: tfjs.LayersModel,
    private readonly generator: DataGenerator,
  ) {
    this.#accuracyAt = accuracyIndex(model);
  }

  get pending(): number {
    return this.#outcomes.length;
  }

  async train(batch: Batch): Promise<void> {
    const { xs, ys } = batchTensors(this.tf, this.model, batch, this.generator.classNames.length);
    try {
      const values = [await this.model.trainOnBatch(xs, ys)].flat();
      const accuracy = this.#accuracyAt < 0 ? null : values[this.#accuracyAt]!;
      this.#outcomes.push({ n: batch.indices.length, skipped: batch.skipped.length, loss: values[0]!, accuracy });
    } finally {
      this.tf.dispose([xs, ys]);
    }
  }

  settle(): Promise<BatchOutcome[]> {
    const outcomes = this.#outcomes;
    this.#outcomes = [];
    return Promise.resolve(outcomes);
  }

  sync(): void {}

  end(): void {}
}

interface Unread {
  n: number;
  skipped: number;
  loss: tfjs.Tensor;
  accuracy: tfjs.Tensor | null;
}

/** The one-graph step: its loss and accuracy stay tensors until settle() reads them all in one go. */
class GraphStepper implements Stepper {
  /** A loss that is not finite is found within this many batches; each read is an op and a copy out of TensorFlow, so not every batch. */
  readonly readEvery = 16;
  #unread: Unread[] = [];

  constructor(
    private readonly tf: Tf,
    private readonly model: tfjs.LayersModel,
    private readonly generator: DataGenerator,
    private readonly step: GraphStep,
  ) {
    step.begin();
  }

  get pending(): number {
    return this.#unread.length;
  }

  async train(batch: Batch): Promise<void> {
    const { xs, ys } = batchTensors(this.tf, this.model, batch, this.generator.classNames.length);
    try {
      const { loss, accuracy } = this.step.run(xs, ys);
      this.#unread.push({ n: batch.indices.length, skipped: batch.skipped.length, loss, accuracy });
    } finally {
      this.tf.dispose([xs, ys]);
    }
  }

  async settle(): Promise<BatchOutcome[]> {
    const unread = this.#unread;
    if (unread.length === 0) return [];
    this.#unread = [];
    const tensors = unread.flatMap(({ loss, accuracy }) => (accuracy ? [loss, accuracy] : [loss]));
    const stacked = this.tf.stack(tensors);
    this.tf.dispose(tensors);
    const values = await stacked.data();
    stacked.dispose();
    let k = 0;
    return unread.map(({ n, skipped, accuracy }) => ({ n, skipped, loss: values[k++]!, accuracy: accuracy ? values[k++]! : null }));
  }

  sync(): void {
    this.step.writeBack();
  }

  end(): void {
    for (const { loss, accuracy } of this.#unread) this.tf.dispose(accuracy ? [loss, accuracy] : [loss]);
    this.#unread = [];
    this.step.end();
  }
}
