// Tests (Node, real tfjs on the tensorflow, wasm and cpu backends, real ImageFolder data): training learns, reports progress,
// stops within a batch, leaks no tensor; evaluation adds up.
import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPartyConfig } from '../../../../main/config/party-config.js';
import { DataGenerator, makeBatch } from '../../../../main/data/data-generator.js';
import { closeSplits } from '../../../../main/data/data-handler.js';
import type { DataSplits } from '../../../../main/data/data-handler.js';
import { openData } from '../../../../main/data/handler-loader.js';
import type { Batch } from '../../../../main/data/types.js';
import { ModelSectionSchema } from '../../../../common/model-config.js';
import { chooseStep } from '../../../../main/engine/graph/step-choice.js';
import { buildModel } from '../../../../main/engine/model-spec.js';
import { batchTensors } from '../../../../main/engine/train/batch-tensors.js';
import { evaluate } from '../../../../main/engine/train/evaluator.js';
import { DivergedError, trainEpochs } from '../../../../main/engine/train/trainer.js';
import type { BatchProgress, TrainProgress } from '../../../../main/engine/train/trainer.js';
import { getWeights } from '../../../../main/engine/weights.js';
import { tempDir } from '../../../fixtures/corpus.js';
import { ALL_BACKENDS, forEachBackend } from '../backends.js';
import type { TestBackend } from '../backends.js';
import { random } from '../kernels/harness.js';
import { TOY_CLASSES, toyParty } from './toy-party.js';
import type { ToyParty } from './toy-party.js';

let party: ToyParty;
let splits: Required<DataSplits>;
beforeAll(async () => {
  party = await toyParty(await tempDir('tributary-trainer-'));
  const { splits: opened } = await openData(await loadPartyConfig(party.configFile));
  splits = opened as Required<DataSplits>;
});
afterAll(async () => {
  await Promise.all([splits.train.close(), splits.test.close()]);
  await rm(party.dir, { recursive: true, force: true });
});

const BATCHES = 6; // 48 training samples in batches of 8

function model(section: Record<string, unknown> = {}): Promise<tf.LayersModel> {
  const spec = ModelSectionSchema.parse({ builtin: 'mlp', learning_rate: 0.01, ...section });
  return buildModel(tf, spec, { inputShape: [12, 12, 1], numClasses: TOY_CLASSES.length, baseDir: party.dir });
}

const iterations = (m: tf.LayersModel) => m.optimizer.iterations;

forEachBackend((backend) => {
  describe('trainEpochs', () => {
    it('brings the loss down over a few epochs, and accuracy on held-out images well above chance', async () => {
      const m = await model();
      const epochBefore = splits.train.epoch;
      const result = await trainEpochs(tf, m, splits.train, { epochs: 5 });
      expect(result.stopped).toBe(false);
      expect(result.samples).toBe(5 * party.trainSamples);
      expect(splits.train.epoch).toBe(epochBefore + 5); // each epoch ends the generator's, which reshuffles
      expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
      for (const e of result.epochs) {
        expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
        expect(e).toMatchObject({ samples: party.trainSamples, skipped: 0 });
        expect(e.samplesPerSec).toBeGreaterThan(0);
      }
      expect(result.epochs[4]!.loss).toBeLessThan(result.epochs[0]!.loss / 2);
      expect(result.epochs[4]!.accuracy).toBeGreaterThan(0.9);
      const held = await evaluate(tf, m, splits.test);
      expect(held.accuracy).toBeGreaterThan(0.8);
      m.dispose();
    });

    it('reports every batch with progressEveryMs 0, each event well-formed, then the epoch', async () => {
      const m = await model();
      const events: TrainProgress[] = [];
      await trainEpochs(tf, m, splits.train, { epochs: 2, progressEveryMs: 0, onProgress: (event) => events.push(event) });
      expect(events.map((e) => (e.type === 'batch' ? `${e.epoch}.${e.batch}` : `epoch ${e.epoch}`))).toEqual([
        ...[1, 2, 3, 4, 5, 6].map((b) => `1.${b}`),
        'epoch 1',
        ...[1, 2, 3, 4, 5, 6].map((b) => `2.${b}`),
        'epoch 2',
      ]);
      for (const event of events.filter((e): e is BatchProgress => e.type === 'batch')) {
        expect(event).toEqual({
          type: 'batch',
          epoch: expect.any(Number),
          epochs: 2,
          batch: expect.any(Number),
          batches: BATCHES,
          loss: expect.any(Number),
          accuracy: expect.any(Number),
          samplesPerSec: expect.any(Number),
          etaSec: expect.any(Number),
          memory: { rssMb: expect.any(Number), tensors: expect.any(Number) },
        });
        expect(Number.isFinite(event.loss)).toBe(true);
        expect(event.accuracy).toBeGreaterThanOrEqual(0);
        expect(event.accuracy).toBeLessThanOrEqual(1);
        expect(event.memory.rssMb).toBeGreaterThan(10);
        expect(event.memory.tensors).toBeGreaterThan(0);
      }
      const last = events.at(-2) as BatchProgress;
      expect(last.etaSec).toBe(0);
      expect((events[0] as BatchProgress).etaSec).toBeGreaterThan(0);
      m.dispose();
    });

    it('throttles batch events to one per progressEveryMs, but never holds back an epoch event', async () => {
      const m = await model();
      const events: TrainProgress[] = [];
      await trainEpochs(tf, m, splits.train, { epochs: 3, progressEveryMs: 60_000, onProgress: (event) => events.push(event) });
      expect(events.map((e) => `${e.type} ${e.epoch}`)).toEqual(['batch 1', 'epoch 1', 'epoch 2', 'epoch 3']);

      const timed: number[] = [];
      await trainEpochs(tf, m, new MemoryGenerator({ count: 48, delayMs: 15 }), {
        epochs: 1,
        progressEveryMs: 40,
        onProgress: (event) => event.type === 'batch' && timed.push(performance.now()),
      });
      expect(timed.length).toBeGreaterThan(1); // six batches of 15 ms outlast one interval
      for (let i = 1; i < timed.length; i++) expect(timed[i]! - timed[i - 1]!).toBeGreaterThanOrEqual(40);
      m.dispose();
    });

    it("checks the weights every 16 batches, at an epoch's end and at a stop, not every batch", async () => {
      const m = await model();
      const controller = new AbortController();
      const ruin = () => {
        // A NaN in the output bias after the first batch; the stop comes before a next batch could show it in the loss.
        const bias = m.trainableWeights.at(-1)!.read() as tf.Variable;
        bias.assign(tf.fill(bias.shape, NaN));
        controller.abort();
      };
      const run = trainEpochs(tf, m, splits.train, {
        epochs: 1,
        signal: controller.signal,
        progressEveryMs: 0,
        onProgress: (event) => event.type === 'batch' && ruin(),
      });
      await expect(run).rejects.toThrow(/^epoch 1, by batch 1: a weight is not a finite number, so training diverged/);
      const reads = vi.spyOn(tf.Tensor.prototype, 'dataSync');
      await trainEpochs(tf, await model(), new MemoryGenerator({ count: 8 * 20 }), { epochs: 1 });
      // One read a batch for the loss (trainOnBatch's own, through data()), and the weights' two: after batch 16 and at the end.
      expect(reads.mock.calls.length).toBe(2);
      reads.mockRestore();
      m.dispose();
    });

    it('stops within one batch: no batch starts after the stop, the weights stay finite, and training can go on', async () => {
      const m = await model();
      const controller = new AbortController();
      const events: TrainProgress[] = [];
      const epochBefore = splits.train.epoch;
      const result = await trainEpochs(tf, m, splits.train, {
        epochs: 3,
        signal: controller.signal,
        progressEveryMs: 0,
        onProgress: (event) => {
          events.push(event);
          controller.abort();
        },
      });
      expect(result).toEqual({ epochs: [], stopped: true, samples: 8 });
      expect(events).toHaveLength(1);
      expect(iterations(m)).toBe(1);
      expect(splits.train.epoch).toBe(epochBefore); // a stopped epoch does not count as done
      for (const weight of getWeights(m)) expect(weight.data.every(Number.isFinite)).toBe(true);

      const resumed = await trainEpochs(tf, m, splits.train, { epochs: 1 });
      expect(resumed.stopped).toBe(false);
      expect(iterations(m)).toBe(1 + BATCHES);
      m.dispose();
    });

    it('stops while it waits for data, and does not start when already stopped', async () => {
      const m = await model();
      chooseStep(tf, m); // as the training session does at open: the graph step is built and loaded before the timer starts
      const controller = new AbortController();
      let abortedAt = 0;
      // The stop comes once the two batches before the stall are trained and the third load hangs, however loaded the machine.
      const waits = { stalled: false, trained: false };
      const stopOnceBoth = () => {
        if (!waits.stalled || !waits.trained || controller.signal.aborted) return;
        abortedAt = performance.now();
        controller.abort();
      };
      const onStall = () => {
        waits.stalled = true;
        setTimeout(stopOnceBoth); // after the load has begun to wait for the stop
      };
      const onProgress = (event: TrainProgress) => {
        waits.trained ||= event.type === 'batch' && event.batch >= 2;
        stopOnceBoth();
      };
      const generator = new MemoryGenerator({ count: 48, stallFrom: 16, onStall });
      const result = await trainEpochs(tf, m, generator, { epochs: 5, signal: controller.signal, onProgress, progressEveryMs: 0 });
      expect(result).toEqual({ epochs: [], stopped: true, samples: 16 });
      expect(iterations(m)).toBe(2);
      expect(performance.now() - abortedAt).toBeLessThan(1000); // the stalled loads were given up, not waited out
      expect(await trainEpochs(tf, m, splits.train, { epochs: 1, signal: AbortSignal.abort() })).toEqual({
        epochs: [],
        stopped: true,
        samples: 0,
      });
      m.dispose();
    });

    it('gives the event loop a turn every batch, so a stop from a timer lands while batches are always ready', async () => {
      const m = await model();
      const controller = new AbortController();
      const fast = new MemoryGenerator({ count: 8 * 2000 }); // loads resolve at once: without a turn, no timer runs till the epochs end
      setTimeout(() => controller.abort(), 30);
      const result = await trainEpochs(tf, m, fast, { epochs: 2, signal: controller.signal });
      expect(result.stopped).toBe(true);
      expect(iterations(m)).toBeLessThan(2000);
      m.dispose();
    });

    it('leaks no tensor: the count is the same after every further epoch and evaluation', async () => {
      const m = await model();
      await trainEpochs(tf, m, splits.train, { epochs: 1 }); // the first step creates the optimizer's slots
      await evaluate(tf, m, splits.test);
      const baseline = tf.memory().numTensors;
      const counts: number[] = [];
      await trainEpochs(tf, m, splits.train, { epochs: 3, onProgress: (e) => e.type === 'epoch' && counts.push(tf.memory().numTensors) });
      await evaluate(tf, m, splits.test);
      const controller = new AbortController();
      await trainEpochs(tf, m, splits.train, {
        epochs: 1,
        signal: controller.signal,
        progressEveryMs: 0,
        onProgress: () => controller.abort(),
      });
      counts.push(tf.memory().numTensors);
      expect(counts).toEqual([baseline, baseline, baseline, baseline]);
      m.dispose();
    });

    it('trains with the sparse loss on integer labels', async () => {
      const m = await model({ loss: 'sparseCategoricalCrossentropy' });
      const result = await trainEpochs(tf, m, splits.train, { epochs: 4 });
      expect(result.epochs[3]!.loss).toBeLessThan(result.epochs[0]!.loss);
      expect((await evaluate(tf, m, splits.test)).accuracy).toBeGreaterThan(0.5);
      m.dispose();
    });

    it('reports accuracy as null for a model compiled without it', async () => {
      const m = await model({ metrics: [] });
      const events: TrainProgress[] = [];
      const result = await trainEpochs(tf, m, splits.train, { epochs: 1, onProgress: (event) => events.push(event) });
      expect(result.epochs[0]!.accuracy).toBeNull();
      expect(events.every((e) => e.accuracy === null)).toBe(true);
      m.dispose();
    });

    it('stops with the epoch and batch when the loss or a weight is not a number (finite inputs too large for float32 sums)', async () => {
      const m = await model();
      const poisoned = new MemoryGenerator({ count: 16, value: (sample) => (sample === 11 ? 3e38 : 0.5) });
      await expect(trainEpochs(tf, m, poisoned, { epochs: 2 })).rejects.toThrow(DivergedError);
      // On wasm the loss stays finite: XNNPACK's ReLU turns the NaN activations into 0, so only the weights tell.
      const what = backend === 'wasm' ? 'by batch 2: a weight is not a finite number' : 'batch 2: the loss is NaN';
      await expect(trainEpochs(tf, await model(), poisoned, { epochs: 2 })).rejects.toThrow(
        new RegExp(`^epoch 1, ${what}, so training diverged and the weights are unusable; lower learning_rate or check the data$`),
      );
      m.dispose();
    });

    if (backend !== 'cpu') {
      it("trains to cpu's losses, batch by batch, from the data layer's reused batch buffers", async () => {
        const want = await batchLosses('cpu');
        const got = await batchLosses(backend);
        expect(got).toHaveLength(3 * BATCHES);
        got.forEach((loss, i) => expect(Math.abs(loss - want[i]!)).toBeLessThan(1e-5 * Math.max(1, want[i]!)));
      });
    }

    it('refuses a count of epochs that is not a whole number >= 1', async () => {
      const m = await model();
      await expect(trainEpochs(tf, m, splits.train, { epochs: 0 })).rejects.toThrow('epochs must be a whole number >= 1, got 0');
      m.dispose();
    });

    it('trains exactly maxSteps batches, over as many epochs as they take, the last one partial and reported as an epoch', async () => {
      const m = await model();
      const events: TrainProgress[] = [];
      const epochBefore = splits.train.epoch;
      const result = await trainEpochs(tf, m, splits.train, {
        epochs: 10,
        maxSteps: BATCHES + 2,
        progressEveryMs: 0,
        onProgress: (event) => events.push(event),
      });
      expect(result.stopped).toBe(false);
      expect(iterations(m)).toBe(BATCHES + 2);
      expect(result.samples).toBe(party.trainSamples + 2 * 8);
      expect(result.epochs.map((e) => [e.epoch, e.samples])).toEqual([
        [1, party.trainSamples],
        [2, 16],
      ]);
      expect(events.map((e) => (e.type === 'batch' ? `${e.epoch}.${e.batch}/${e.batches} of ${e.epochs}` : `epoch ${e.epoch}`))).toEqual([
        ...[1, 2, 3, 4, 5, 6].map((b) => `1.${b}/6 of 2`),
        'epoch 1',
        '2.1/2 of 2',
        '2.2/2 of 2',
        'epoch 2',
      ]);
      expect((events.at(-2) as BatchProgress).etaSec).toBe(0);
      expect(splits.train.epoch).toBe(epochBefore + 1); // the partial epoch does not end the generator's
      m.dispose();
    });

    it('stops within the first epoch when maxSteps is fewer than its batches', async () => {
      const m = await model();
      const result = await trainEpochs(tf, m, splits.train, { epochs: 3, maxSteps: 1 });
      expect(result).toMatchObject({ stopped: false, samples: 8 });
      expect(result.epochs).toHaveLength(1);
      expect(iterations(m)).toBe(1);
      await expect(trainEpochs(tf, m, splits.train, { epochs: 1, maxSteps: 0 })).rejects.toThrow(
        'maxSteps must be a whole number >= 1, got 0',
      );
      await expect(trainEpochs(tf, m, splits.train, { epochs: 1, maxSteps: 1.5 })).rejects.toThrow(
        'maxSteps must be a whole number >= 1, got 1.5',
      );
      m.dispose();
    });
  });

  describe('evaluate', () => {
    it("adds up: the confusion matrix sums to the sample count, per-class accuracy is its diagonal, the loss is tfjs's own", async () => {
      const m = await model();
      await trainEpochs(tf, m, splits.train, { epochs: 2 });
      const result = await evaluate(tf, m, splits.test);
      expect(result.samples).toBe(party.testSamples);
      expect(result.skipped).toBe(0);
      expect(result.confusion).toHaveLength(3);
      expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(party.testSamples);
      expect(result.perClass.map((c) => c.name)).toEqual(TOY_CLASSES);
      result.perClass.forEach((c, i) => {
        expect(c.samples).toBe(result.confusion[i]!.reduce((a, b) => a + b, 0));
        expect(c.samples).toBe(6);
        expect(c.accuracy).toBeCloseTo(result.confusion[i]![i]! / c.samples, 12);
      });
      const diagonal = result.confusion.reduce((sum, row, i) => sum + row[i]!, 0);
      expect(result.accuracy).toBeCloseTo(diagonal / party.testSamples, 12);

      const reference = await tfjsEvaluation(m, splits.test);
      expect(result.loss).toBeCloseTo(reference.loss, 5);
      expect(result.accuracy).toBeCloseTo(reference.accuracy, 5);
      m.dispose();
    });

    it.each([
      'categoricalCrossentropy',
      'sparseCategoricalCrossentropy',
      'meanSquaredError',
      'categoricalHinge',
      'kullbackLeiblerDivergence',
    ] as const)('runs each batch through the model once, its %s loss agreeing with model.evaluate to 1e-5', async (loss) => {
      const m = await model({ loss });
      await trainEpochs(tf, m, splits.train, { epochs: 1 });
      const predict = vi.spyOn(m, 'predict');
      const evaluateSpy = vi.spyOn(m, 'evaluate');
      const result = await evaluate(tf, m, splits.test);
      expect(predict).toHaveBeenCalledTimes(splits.test.length);
      expect(evaluateSpy).not.toHaveBeenCalled();
      vi.restoreAllMocks();

      expect(Math.abs(result.loss - (await tfjsEvaluation(m, splits.test)).loss)).toBeLessThan(1e-5);
      m.dispose();
    });

    it('gives a class with no samples a null accuracy', async () => {
      const m = await model();
      const result = await evaluate(tf, m, new MemoryGenerator({ count: 6, label: () => 1 }));
      expect(result.perClass).toEqual([
        { name: 'c0', accuracy: null, samples: 0 },
        { name: 'c1', accuracy: expect.any(Number), samples: 6 },
        { name: 'c2', accuracy: null, samples: 0 },
      ]);
      m.dispose();
    });

    it("rejects with the signal's reason when stopped", async () => {
      const m = await model();
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stopped by the test')), 40);
      await expect(evaluate(tf, m, new MemoryGenerator({ count: 48, delayMs: 30 }), { signal: controller.signal })).rejects.toThrow(
        'stopped by the test',
      );
      m.dispose();
    });
  });

  describe('batchTensors', () => {
    it('makes xs NHWC from the batch, and ys one-hot, or the class indices for the sparse loss', async () => {
      const batch = await splits.train.getBatch(0);
      for (const loss of ['categoricalCrossentropy', 'sparseCategoricalCrossentropy'] as const) {
        const m = await model({ loss });
        const baseline = tf.memory().numTensors;
        const { xs, ys } = batchTensors(tf, m, batch, TOY_CLASSES.length);
        expect(xs.shape).toEqual([8, 12, 12, 1]);
        expect(xs.dataSync()).toEqual(batch.x);
        expect(ys.dtype).toBe('float32');
        expect(ys.shape).toEqual(loss === 'sparseCategoricalCrossentropy' ? [8] : [8, 3]);
        expect([...ys.dataSync()]).toEqual(loss === 'sparseCategoricalCrossentropy' ? [...batch.labels] : [...batch.oneHot]);
        tf.dispose([xs, ys]);
        expect(tf.memory().numTensors).toBe(baseline);
        m.dispose();
      }
    });
  });
}, ALL_BACKENDS);

/**
 * The running loss after each batch of 3 epochs on `backend` (current afterwards), from a freshly opened train split (the
 * same order every time: its seed) whose batches come in the ring of shared buffers the decode thread refills, and a
 * dense net without dropout from fixed weights, so that every backend does the same arithmetic on the same data.
 */
async function batchLosses(backend: TestBackend): Promise<number[]> {
  await tf.setBackend(backend);
  const { splits: fresh } = await openData(await loadPartyConfig(party.configFile));
  const m = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [12, 12, 1] }),
      tf.layers.dense({ units: 16, activation: 'relu' }),
      tf.layers.dense({ units: TOY_CLASSES.length, activation: 'softmax' }),
    ],
  });
  const fixed = m.getWeights().map((w, i) => tf.tensor(random(w.size, 60 + i, -0.2, 0.2), w.shape));
  m.setWeights(fixed);
  tf.dispose(fixed);
  m.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  try {
    const onProgress = (event: TrainProgress) => event.type === 'batch' && losses.push(event.loss);
    await trainEpochs(tf, m, fresh.train!, { epochs: 3, progressEveryMs: 0, onProgress });
  } finally {
    await closeSplits(fresh);
    m.dispose();
  }
  return losses;
}

/** tfjs's own evaluation of one pass over a split, batch by batch as training cuts it, weighted by batch size. */
async function tfjsEvaluation(m: tf.LayersModel, generator: DataGenerator): Promise<{ loss: number; accuracy: number }> {
  let loss = 0,
    accuracy = 0,
    samples = 0;
  for await (const batch of generator.iterateEpoch()) {
    const n = batch.indices.length;
    const { xs, ys } = batchTensors(tf, m, batch, TOY_CLASSES.length);
    const values = [m.evaluate(xs, ys, { batchSize: n })].flat();
    const [batchLoss, batchAccuracy] = values.map((v) => v.dataSync()[0]!);
    loss += batchLoss! * n;
    accuracy += (batchAccuracy ?? NaN) * n;
    samples += n;
    tf.dispose([xs, ys, ...values]);
  }
  return { loss: loss / samples, accuracy: accuracy / samples };
}

interface MemoryOptions {
  count: number;
  batchSize?: number;
  value?: (sample: number) => number;
  label?: (sample: number) => number;
  /** Each batch takes this long to load (a slow disk). */
  delayMs?: number;
  /** Batches from this sample on never load: they wait until the iteration is aborted (a stalled network share). */
  stallFrom?: number;
  /** Called when a load reaches the stall. */
  onStall?: () => void;
}

/** In-memory 12x12x1 samples in order, three classes like the toy party's: pixel values and labels from functions. */
class MemoryGenerator extends DataGenerator {
  readonly classNames = ['c0', 'c1', 'c2'];
  readonly sampleShape = { height: 12, width: 12, channels: 1 };
  readonly sampleCount: number;
  readonly #options: MemoryOptions;

  constructor(options: MemoryOptions) {
    super({ batchSize: options.batchSize ?? 8, shuffle: false, prefetch: 1 }); // one load at a time: a delay per batch adds up
    this.sampleCount = options.count;
    this.#options = options;
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal): Promise<Batch> {
    const { value = () => 0.5, label = (sample) => sample % 3, delayMs = 0, stallFrom = Infinity, onStall } = this.#options;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (indices[0]! >= stallFrom) {
      onStall?.();
      await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error)));
    }
    signal?.throwIfAborted();
    const size = 12 * 12;
    const x = Float32Array.from({ length: indices.length * size }, (_, i) => value(indices[Math.floor(i / size)]!));
    return makeBatch({ x, shape: this.sampleShape, indices, labels: Int32Array.from(indices, label), numClasses: 3 });
  }

  describeSample(index: number): string {
    return `sample ${index}`;
  }
}
