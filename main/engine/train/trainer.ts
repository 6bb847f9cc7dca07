// Runs in the training thread: trains a compiled model for a number of epochs over a DataGenerator, reporting progress, stoppable between batches.
import type * as tfjs from '@tensorflow/tfjs';
import type { DataGenerator } from '../../data/data-generator.js';
import type { Tf } from '../backend.js';
import { stepperFor } from '../graph/steppers.js';
import type { Stepper } from '../graph/steppers.js';
import { nextTurn } from './batch-tensors.js';

export interface TrainOptions {
  epochs: number;
  /** Batches to train in all, then stop: the epoch it falls in ends there, reported as a (partial) epoch. Unset: every batch of every epoch. */
  maxSteps?: number;
  /** Stops between batches: the batch being trained finishes (an optimizer step is never cut in half), no other starts. */
  signal?: AbortSignal;
  onProgress?: (event: TrainProgress) => void;
  /** Least time between two batch events; 0 reports every batch. Epoch events are never held back. */
  progressEveryMs?: number;
}

export interface EpochResult {
  /** 1-based, counted within this call. */
  epoch: number;
  /** Mean of the batch losses weighted by batch size, as Keras reports an epoch. */
  loss: number;
  /** Null when the model was compiled without an accuracy metric. */
  accuracy: number | null;
  samples: number;
  /** Samples left out this epoch, not trained on: files the generator could not read, values not finite (on_non_finite: skip). */
  skipped: number;
  seconds: number;
  samplesPerSec: number;
}

export interface BatchProgress {
  type: 'batch';
  epoch: number;
  epochs: number;
  /** 1-based: batch 3 of 16. */
  batch: number;
  batches: number;
  /** Running means over the epoch so far, like Keras's progress bar. */
  loss: number;
  accuracy: number | null;
  samplesPerSec: number;
  etaSec: number;
  memory: { rssMb: number; tensors: number };
}

export type EpochProgress = { type: 'epoch' } & EpochResult;
export type TrainProgress = BatchProgress | EpochProgress;

export interface TrainResult {
  /** The epochs that ran to the end; a stopped epoch is left out (its batches still count in `samples`). */
  epochs: EpochResult[];
  stopped: boolean;
  /** Samples trained on, stopped epoch included: the example count a federated average weighs this party by. */
  samples: number;
}

/** A loss or a weight that is not a finite number: the weights are already ruined, so training stops and says where. */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
}

interface Run {
  tf: Tf;
  model: tfjs.LayersModel;
  generator: DataGenerator;
  options: Required<Omit<TrainOptions, 'signal'>> & Pick<TrainOptions, 'signal'>;
  /** The epoch's step: the one-graph step on tensorflow, tfjs's trainOnBatch elsewhere (graph/step-choice.ts). */
  stepper: Stepper | null;
  samples: number;
  /** Batches trained in this call, over every epoch. */
  steps: number;
  lastReport: number;
}

export async function trainEpochs(tf: Tf, model: tfjs.LayersModel, generator: DataGenerator, options: TrainOptions): Promise<TrainResult> {
  const { epochs, maxSteps = Infinity, signal, onProgress = () => {}, progressEveryMs = 250 } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a whole number >= 1, got ${epochs}`);
  if (maxSteps !== Infinity && !(Number.isInteger(maxSteps) && maxSteps >= 1))
    throw new RangeError(`maxSteps must be a whole number >= 1, got ${maxSteps}`);
  const run: Run = {
    tf,
    model,
    generator,
    options: { epochs, maxSteps, signal, onProgress, progressEveryMs },
    stepper: null,
    samples: 0,
    steps: 0,
    lastReport: -Infinity,
  };
  const results: EpochResult[] = [];
  for (let epoch = 1; epoch <= epochs && run.steps < maxSteps; epoch++) {
    const result = await trainEpoch(run, epoch);
    if (result === null) return { epochs: results, stopped: true, samples: run.samples };
    results.push(result);
    onProgress({ type: 'epoch', ...result });
  }
  return { epochs: results, stopped: false, samples: run.samples };
}

/** One epoch, or null when the signal stopped it. A stop during the last batch lets the epoch end as a whole one. */
async function trainEpoch(run: Run, epoch: number): Promise<EpochResult | null> {
  if (run.options.signal?.aborted) return null;
  const stepper = stepperFor(run.tf, run.model, run.generator);
  run.stepper = stepper;
  try {
    return await epochBatches(run, stepper, epoch);
  } finally {
    // The model's variables get the graph step's newest weights: the epoch event, evaluation and a federation round read them.
    stepper.end();
    run.stepper = null;
  }
}

async function epochBatches(run: Run, stepper: Stepper, epoch: number): Promise<EpochResult | null> {
  const { generator, options } = run;
  const { signal } = options;
  const meter = new Meter();
  try {
    // Breaking out of this loop (a stop) returns the generator, which waits for its loads in flight to settle.
    for await (const batch of generator.iterateEpoch({ signal, reuseBuffers: true })) {
      if (signal?.aborted) return stopped(run, epoch, meter);
      await stepper.train(batch);
      run.steps++;
      if (stepper.pending >= stepper.readEvery || performance.now() - run.lastReport >= options.progressEveryMs)
        await settle(run, epoch, meter);
      // Leaving the loop early returns the generator (see above): the epoch ends here, and the generator's does not.
      if (run.steps === options.maxSteps) {
        await settle(run, epoch, meter);
        checkWeights(run, epoch, meter);
        return meter.result(epoch, meter.skipped);
      }
      await nextTurn();
    }
  } catch (error) {
    // The generator throws (the abort reason, or a load's own abort error) when the stop came while it was loading.
    if (signal?.aborted && !(error instanceof DivergedError)) return stopped(run, epoch, meter);
    throw error;
  }
  await settle(run, epoch, meter);
  checkWeights(run, epoch, meter);
  const skipped = generator.lastEpochSummary?.skipped ?? 0;
  if (meter.samples === 0)
    throw new Error(`epoch ${epoch}: the generator yielded no samples to train on (${skipped} skipped as unreadable or not finite)`);
  return meter.result(epoch, skipped);
}

/** Counts the batches trained since the last settle, in order: a loss that is not finite stops training, naming its batch. */
async function settle(run: Run, epoch: number, meter: Meter): Promise<void> {
  const outcomes = (await run.stepper?.settle()) ?? [];
  if (outcomes.length === 0) return;
  const before = meter.batches;
  for (const { n, skipped, loss, accuracy } of outcomes) {
    if (!Number.isFinite(loss)) throw diverged(`epoch ${epoch}, batch ${meter.batches + 1}: the loss is ${loss}`);
    meter.add(n, loss, accuracy, skipped);
    run.samples += n;
  }
  if (Math.floor(meter.batches / WEIGHTS_CHECK_EVERY) > Math.floor(before / WEIGHTS_CHECK_EVERY)) checkWeights(run, epoch, meter);
  report(run, epoch, meter);
}

/**
 * Batches between two checks that every weight is finite; an epoch's end and a stop check too, so no epoch or stop hands
 * on ruined weights. The check is two ops a weight and a read (5 ms a step for a 29-weight ResNet on tensorflow, about
 * 1% of its step), so it is not made every batch; the loss, which trainOnBatch reads anyway, is checked every batch.
 */
const WEIGHTS_CHECK_EVERY = 16;

function diverged(where: string): DivergedError {
  return new DivergedError(`${where}, so training diverged and the weights are unusable; lower learning_rate or check the data`);
}

/** Throws when a weight is not finite: found at batch `meter.batches`, after the last check that passed. */
function checkWeights(run: Run, epoch: number, meter: Meter): void {
  if (meter.batches === meter.weightsCheckedAt) return;
  if (!weightsFinite(run)) {
    const since = meter.weightsCheckedAt === 0 ? '' : ` (finite at batch ${meter.weightsCheckedAt})`;
    throw diverged(`epoch ${epoch}, by batch ${meter.batches}${since}: a weight is not a finite number`);
  }
  meter.weightsCheckedAt = meter.batches;
}

/** A stopped epoch (null), once its batches are counted and its weights known to be finite: the caller may still use them. */
async function stopped(run: Run, epoch: number, meter: Meter): Promise<null> {
  await settle(run, epoch, meter);
  checkWeights(run, epoch, meter);
  return null;
}

/**
 * Every trainable weight finite, in one scalar read (w * 0 is NaN where w is NaN or infinite). The loss alone misses a
 * ruined model on wasm: XNNPACK's fused ReLU turns NaN into 0, so NaN weights still give a finite loss there.
 */
function weightsFinite({ tf, model, stepper }: Run): boolean {
  stepper?.sync();
  const weights = model.trainableWeights.map((weight) => weight.read());
  if (weights.length === 0) return true;
  return tf.tidy(() => Number.isFinite(tf.addN(weights.map((weight) => tf.sum(tf.mul(weight, 0)))).dataSync()[0]));
}

function report(run: Run, epoch: number, meter: Meter): void {
  const { maxSteps, onProgress, progressEveryMs } = run.options;
  // The epochs maxSteps lets run, when fewer than asked (a whole-skipped batch aside): the progress line's total.
  const epochs = Math.min(run.options.epochs, Math.ceil(maxSteps / run.generator.length));
  const now = performance.now();
  if (now - run.lastReport < progressEveryMs) return;
  run.lastReport = now;
  const samplesPerSec = meter.samplesPerSec();
  // Samples still to train: the rest of this epoch and every later one (skipped files make this a slight overestimate).
  const byEpochs = (epochs - epoch + 1) * run.generator.sampleCount - meter.samples;
  const remaining = Math.min(byEpochs, (maxSteps - run.steps) * run.generator.batchSize);
  onProgress({
    type: 'batch',
    epoch,
    epochs,
    batch: meter.batches,
    batches: Math.min(run.generator.length, maxSteps - (run.steps - meter.batches)),
    loss: meter.loss(),
    accuracy: meter.accuracy(),
    samplesPerSec,
    etaSec: samplesPerSec > 0 ? Math.max(0, remaining) / samplesPerSec : 0,
    memory: { rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20), tensors: run.tf.memory().numTensors },
  });
}

/** Sample-weighted sums over one epoch. */
class Meter {
  readonly started = performance.now();
  batches = 0;
  samples = 0;
  /** The batch after which the weights were last found finite (0: not yet this epoch). */
  weightsCheckedAt = 0;
  #lossSum = 0;
  #accuracySum: number | null = 0;
  /** Samples the yielded batches left out: an epoch cut short by maxSteps has no generator summary to count them. */
  skipped = 0;

  add(n: number, loss: number, accuracy: number | null, skipped: number): void {
    this.batches++;
    this.skipped += skipped;
    this.samples += n;
    this.#lossSum += loss * n;
    this.#accuracySum = accuracy === null || this.#accuracySum === null ? null : this.#accuracySum + accuracy * n;
  }

  loss(): number {
    return this.#lossSum / this.samples;
  }

  accuracy(): number | null {
    return this.#accuracySum === null ? null : this.#accuracySum / this.samples;
  }

  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  samplesPerSec(): number {
    const seconds = this.seconds();
    return seconds > 0 ? this.samples / seconds : 0;
  }

  result(epoch: number, skipped: number): EpochResult {
    return {
      epoch,
      loss: this.loss(),
      accuracy: this.accuracy(),
      samples: this.samples,
      skipped,
      seconds: this.seconds(),
      samplesPerSec: this.samplesPerSec(),
    };
  }
}
