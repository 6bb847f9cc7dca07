// Tests (Node, a real training thread on tensorflow and wasm, real ImageFolder data): the runner's calls end to end, stop and
// close mid-training, refused and malformed requests, a thread that dies.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingRunner } from '../../../../main/engine/train/runner.js';
import type { TrainProgress } from '../../../../main/engine/train/trainer.js';
import { checkWeights } from '../../../../main/engine/weights.js';
import { tempDir } from '../../../fixtures/corpus.js';
import { forEachBackend } from '../backends.js';
import type { TestBackend } from '../backends.js';
import { TOY_CLASSES, toyParty } from './toy-party.js';
import type { ToyParty } from './toy-party.js';

let party: ToyParty;
beforeAll(async () => {
  party = await toyParty(await tempDir('tributary-runner-'));
});
afterAll(() => rm(party.dir, { recursive: true, force: true }));

const MLP = { builtin: 'mlp', learning_rate: 0.01 } as const;

/** A runner on the toy party, its thread on `backend` (and not quietly on another: a backend that fails to start is a fallback). */
async function opened(
  backend: TestBackend,
  model: { builtin: 'mlp' | 'mnist-cnn'; learning_rate?: number; seed?: number } = MLP,
  configFile = party.configFile,
): Promise<TrainingRunner> {
  const runner = new TrainingRunner();
  const info = await runner.open({ configFile, model, backend });
  expect(info.backend.name).toBe(backend);
  return runner;
}

/**
 * A site handler for the cases the toy party cannot stage: 400 samples of 2x2 in both splits, each batch `delay_ms`
 * late, and, when `crash` is set, once training reaches sample 40, the thread ends (process.exit) or throws outside
 * any promise.
 */
async function scriptedParty(name: string, info: { crash?: 'exit' | 'throw'; delay_ms?: number }): Promise<string> {
  await writeFile(
    path.join(party.dir, 'scripted-handler.mjs'),
    `import { DataGenerator, DataHandler, makeBatch } from 'tributary';
class Scripted extends DataGenerator {
  constructor({ crash, delay_ms = 0 }) {
    super({ batchSize: 4, shuffle: false, prefetch: 1 });
    Object.assign(this, { crash, delayMs: delay_ms, sampleCount: 400, classNames: ['a', 'b'], sampleShape: { height: 2, width: 2, channels: 1 } });
  }
  async loadSamples(indices) {
    if (this.crash && indices[0] >= 40) {
      if (this.crash === 'exit') process.exit(7);
      setTimeout(() => { throw new Error('the handler blew up'); });
      await new Promise(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const x = new Float32Array(indices.length * 4).fill(0.5);
    return makeBatch({ x, shape: this.sampleShape, indices, labels: Int32Array.from(indices, (i) => i % 2), numClasses: 2 });
  }
  describeSample(index) { return 'sample ' + index; }
}
export class ScriptedHandler extends DataHandler {
  getData() { return { train: new Scripted(this.info), test: new Scripted(this.info) }; }
}
`,
  );
  const configFile = path.join(party.dir, `${name}.yaml`);
  await writeFile(configFile, `data:\n  name: ScriptedHandler\n  path: ./scripted-handler.mjs\n  info: ${JSON.stringify(info)}\n`);
  return configFile;
}

forEachBackend((backend) => {
  describe('TrainingRunner', () => {
    it('repeats a run exactly for the same seed (data order, initial weights, dropout), and not for another', async () => {
      const trainOnce = async (seed: number) => {
        const runner = await opened(backend, { builtin: 'mnist-cnn', learning_rate: 0.01, seed });
        try {
          await runner.train(1);
          return (await runner.getWeights()).map((w) => Array.from(w.data));
        } finally {
          await runner.close();
        }
      };
      const first = await trainOnce(7);
      expect(await trainOnce(7)).toEqual(first);
      expect(await trainOnce(8)).not.toEqual(first);
    });

    it('opens, trains with progress, evaluates, round-trips the weights and closes', async () => {
      const runner = new TrainingRunner();
      const info = await runner.open({ configFile: party.configFile, model: MLP, backend });
      expect(info).toEqual({
        backend: { name: backend, description: expect.stringMatching(new RegExp(`^backend: ${backend} \\(.*requested\\)$`)) },
        classNames: TOY_CLASSES,
        samples: { train: party.trainSamples, test: party.testSamples },
        sampleShape: { height: 12, width: 12, channels: 1 },
        model: { name: 'mlp', parameters: 144 * 128 + 128 + 128 * 3 + 3, weights: 4 },
        settings: { learningRate: 0.01, batchSize: 8 },
      });

      const emitted: TrainProgress[] = [];
      const called: TrainProgress[] = [];
      runner.on('progress', (event) => emitted.push(event));
      const trained = await runner.train(4, { progressEveryMs: 0, onProgress: (event) => called.push(event) });
      expect(trained.stopped).toBe(false);
      expect(trained.samples).toBe(4 * party.trainSamples);
      expect(trained.epochs.at(-1)!.loss).toBeLessThan(trained.epochs[0]!.loss);
      expect(called).toEqual(emitted);
      expect(called.filter((e) => e.type === 'batch')).toHaveLength(4 * 6);
      expect(called.filter((e) => e.type === 'epoch')).toEqual(trained.epochs.map((e) => ({ type: 'epoch', ...e })));

      const evaluated = await runner.evaluate();
      expect(evaluated.samples).toBe(party.testSamples);
      expect(evaluated.accuracy).toBeGreaterThan(0.6);
      expect(evaluated.confusion.flat().reduce((a, b) => a + b, 0)).toBe(party.testSamples);

      const weights = await runner.getWeights();
      expect(weights.map((w) => `${w.name} [${w.shape}]`)).toEqual([
        'dense/kernel [144,128]',
        'dense/bias [128]',
        'dense_1/kernel [128,3]',
        'dense_1/bias [3]',
      ]);
      const zeros = weights.map((w) => ({ ...w, data: new Float32Array(w.data.length) }));
      await runner.setWeights(checkWeights(zeros, weights));
      expect(zeros.every((w) => w.data.length === 0)).toBe(true); // transferred, not copied
      expect((await runner.getWeights()).every((w) => w.data.every((v) => v === 0))).toBe(true);
      expect((await runner.evaluate()).loss).toBeCloseTo(Math.log(3), 5); // all-zero weights predict every class alike

      await runner.setWeights(checkWeights(weights, weights));
      expect(await runner.evaluate()).toEqual(evaluated);
      await runner.close();
      expect(runner.state).toBe('closed');
      await expect(runner.evaluate()).rejects.toThrow('evaluate: the training thread is not running (it was closed)');
    });

    it('stops within one batch of the stop arriving, leaving weights that can be read and trained on', async () => {
      const runner = await opened(backend);
      let afterStop: number | null = null;
      let stopping: Promise<unknown> | undefined;
      const result = await runner.train(100, {
        progressEveryMs: 0,
        onProgress: (event) => {
          if (event.type !== 'batch') return;
          if (afterStop !== null) afterStop++;
          stopping ??= runner.stop().then((what) => {
            afterStop = 0;
            return what;
          });
        },
      });
      expect(await stopping).toBe('train');
      expect(result.stopped).toBe(true);
      expect(afterStop).toBeLessThanOrEqual(1);
      expect(result.samples).toBeLessThan(100 * party.trainSamples);
      const weights = await runner.getWeights();
      expect(weights.every((w) => w.data.every(Number.isFinite))).toBe(true);
      expect(await runner.stop()).toBeNull(); // nothing runs
      expect((await runner.train(1)).stopped).toBe(false);
      await runner.close();
    });

    it('refuses a call while another runs, and says which one is running', async () => {
      const runner = await opened(backend);
      const training = runner.train(3);
      await expect(runner.getWeights()).rejects.toThrow(
        'getWeights refused: the training thread is busy with train; wait for it to finish, or send stop',
      );
      expect((await training).stopped).toBe(false);
      await runner.close();
    });

    it('closes mid-training: the training stops, then the thread ends', async () => {
      const runner = await opened(backend);
      const training = runner.train(100);
      await new Promise((resolve) => runner.once('progress', resolve));
      await runner.close();
      expect((await training).stopped).toBe(true);
      expect(runner.state).toBe('closed');
      await runner.close(); // again: nothing to do
    });

    it("applies a round's batch size to the train split and its learning rate to the optimizer", async () => {
      const runner = await opened(backend);
      expect(await runner.configure({ batchSize: 16 })).toEqual({ learningRate: 0.01, batchSize: 16 });
      const batches: number[] = [];
      await runner.train(1, { progressEveryMs: 0, onProgress: (event) => event.type === 'batch' && batches.push(event.batches) });
      expect(batches).toEqual([3, 3, 3]); // 48 samples in batches of 16, not 6 of 8

      expect(await runner.configure({ learningRate: 0 })).toEqual({ learningRate: 0, batchSize: 16 });
      const before = await runner.getWeights();
      await runner.train(1);
      expect(await runner.getWeights()).toEqual(before); // a step of rate 0 moves nothing

      await runner.configure({ learningRate: 0.05 });
      await runner.train(1);
      expect(await runner.getWeights()).not.toEqual(before);
      await expect(runner.configure({ batchSize: 0 })).rejects.toThrow(/^bad request "configure" to the training thread: batchSize: /);
      await runner.close();
    });

    it('runs two training threads at once, each with its own backend instance, and closes both', async () => {
      // tfjs-node's binding keeps its TensorFlow context per thread (N-API instance data), so threads neither share nor clash.
      const runners = await Promise.all([opened(backend), opened(backend)]);
      const trained = await Promise.all(runners.map((runner) => runner.train(2)));
      for (const result of trained) expect(result.epochs[1]!.loss).toBeLessThan(result.epochs[0]!.loss);
      await Promise.all(runners.map((runner) => runner.close()));
      expect(runners.map((runner) => runner.state)).toEqual(['closed', 'closed']);
    });

    it('trains a CNN', async () => {
      const runner = await opened(backend, { builtin: 'mnist-cnn', learning_rate: 0.01 });
      const trained = await runner.train(6);
      expect(trained.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
      expect(trained.epochs.at(-1)!.loss).toBeLessThan(trained.epochs[0]!.loss);
      expect((await runner.evaluate()).accuracy).toBeGreaterThan(0.5);
      await runner.close();
    });
  });

  describe('stopping an evaluation', () => {
    it('rejects it as stopped, and the thread goes on serving', async () => {
      const runner = await opened(backend, MLP, await scriptedParty('slow', { delay_ms: 20 }));
      const evaluating = runner.evaluate();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await runner.stop()).toBe('evaluate');
      await expect(evaluating).rejects.toThrow('evaluate was stopped before it finished');
      expect(await runner.getWeights()).toHaveLength(4);
      await runner.close();
    });
  });

  describe('a training thread that dies', () => {
    it('rejects the pending call with the exit code, reports the death, and refuses later calls', async () => {
      const runner = await opened(backend, MLP, await scriptedParty('exits', { crash: 'exit' }));
      const died = new Promise<Error>((resolve) => runner.once('died', resolve));
      await expect(runner.train(1)).rejects.toThrow('train: the training thread exited with code 7 before it answered');
      expect((await died).message).toBe('the training thread exited with code 7');
      expect(runner.state).toBe('dead');
      await expect(runner.getWeights()).rejects.toThrow('getWeights: the training thread is not running (it exited with code 7)');
      await runner.close();
      expect(runner.state).toBe('dead');
    });

    it("names the thread's uncaught error", async () => {
      const runner = await opened(backend, MLP, await scriptedParty('throws', { crash: 'throw' }));
      await expect(runner.train(1)).rejects.toThrow('train: the training thread crashed before it answered: the handler blew up');
      expect(runner.state).toBe('dead');
    });
  });
});

describe('TrainingRunner, whatever the backend', () => {
  it('answers requests that fail with what failed, and goes on serving', async () => {
    const runner = new TrainingRunner();
    await expect(runner.train(1)).rejects.toThrow('train failed: nothing is open: send open (a config file) first');
    const missing = path.join(party.dir, 'missing.yaml');
    await expect(runner.open({ configFile: missing, model: MLP })).rejects.toThrow(
      `open failed: reading the config: ${missing}: cannot read the config: no such file`,
    );
    await expect(runner.open({ configFile: party.configFile, model: { path: 'nowhere/model.json' }, backend: 'cpu' })).rejects.toThrow(
      `open failed: building the model: ${path.join(party.dir, 'nowhere/model.json')}: file not found`,
    );
    await expect(runner.open({ configFile: party.configFile, model: { builtin: 'vgg16' } as never })).rejects.toThrow(
      /^bad request "open" to the training thread: model\.builtin: /,
    );
    await expect(runner.setWeights([{ name: 'dense/kernel', shape: [1], dtype: 'float32', data: [1] }] as never)).rejects.toThrow(
      'bad request "setWeights" to the training thread: arrays.0.data: expected a Float32Array',
    );
    const info = await runner.open({ configFile: party.configFile, model: MLP, backend: 'cpu' });
    expect(info.backend).toEqual({ name: 'cpu', description: 'backend: cpu (requested)', warning: expect.stringMatching(/very slow/) });
    await expect(runner.setWeights(checkWeights([], []))).rejects.toThrow(
      'setWeights failed: expected 4 weight arrays (dense/kernel … dense_1/bias), got 0',
    );
    await expect(runner.open({ configFile: party.configFile, model: MLP })).rejects.toThrow(
      `open failed: ${party.configFile} is already open in this training thread`,
    );
    expect((await runner.train(1)).stopped).toBe(false);
    await runner.close();
  });

  it('takes the model, the backend and its threads from the config when the call names none (every other test names them)', async () => {
    const configured = await toyParty(await tempDir('tributary-runner-model-'), {
      model: '{ builtin: mlp, optimizer: sgd, learning_rate: 0.05 }',
      training: '{ backend: wasm, threads: 1 }',
    });
    const runner = new TrainingRunner();
    try {
      await expect(runner.open({ configFile: party.configFile })).rejects.toThrow(
        `open failed: reading the config: ${party.configFile}: model: missing: add a \`model:\` section`,
      );
      const info = await runner.open({ configFile: configured.configFile });
      expect(info.backend.description).toMatch(/^backend: wasm \((no )?simd, 1 thread: one thread was asked for; requested\)$/);
      expect(info.model).toEqual({ name: 'mlp', parameters: 144 * 128 + 128 + 128 * 3 + 3, weights: 4 });
      expect(info.settings).toEqual({ learningRate: 0.05, batchSize: 8 });
    } finally {
      await runner.close();
      await rm(configured.dir, { recursive: true, force: true });
    }
  });
});
