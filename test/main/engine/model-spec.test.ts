// Tests (Node, real tfjs on the tensorflow, wasm and cpu backends): the `model:` section, the built-in architectures, and
// model.json files checked against the data.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFile } from '../../../main/engine/model-file.js';
import { ModelSectionSchema } from '../../../common/model-config.js';
import { buildModel, learningRateOf, setLearningRate } from '../../../main/engine/model-spec.js';
import type { BuildModelOptions } from '../../../main/engine/model-spec.js';
import { getWeights } from '../../../main/engine/weights.js';
import { tempDir } from '../../fixtures/corpus.js';
import { ALL_BACKENDS, forEachBackend } from './backends.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('tributary-model-spec-');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const mnist = (baseDir = '.'): BuildModelOptions => ({ inputShape: [28, 28, 1], numClasses: 10, baseDir });
const spec = (section: unknown) => ModelSectionSchema.parse(section);

describe('ModelSectionSchema', () => {
  it('fills in the Keras-like defaults', () => {
    expect(spec({ builtin: 'mnist-cnn' })).toEqual({
      builtin: 'mnist-cnn',
      optimizer: 'adam',
      learning_rate: 0.001,
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      seed: 0,
    });
  });

  it('wants exactly one of builtin and path, and known names', () => {
    const issues = (section: unknown) => ModelSectionSchema.safeParse(section).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({})).toEqual([['', 'set `builtin` (mnist-cnn or mlp or resnet or mobilenetv2 or cnn3d) or `path` (a model.json)']]);
    expect(issues({ builtin: 'mlp', path: 'model.json' })).toEqual([['path', 'set either `builtin` or `path`, not both']]);
    expect(issues({ builtin: 'resnet50' })?.[0]?.[0]).toBe('builtin');
    expect(issues({ builtin: 'mlp', loss: 'categorical_crossentropy' })?.[0]?.[0]).toBe('loss');
    expect(issues({ builtin: 'mlp', learning_rate: 0 })?.[0]?.[0]).toBe('learning_rate');
    expect(issues({ builtin: 'mlp', epochs: 3 })).toEqual([['', expect.stringContaining('"epochs"')]]);
  });
});

forEachBackend(() => {
  describe('buildModel with a builtin', () => {
    it("builds Keras's mnist_convnet: 34,826 parameters, Keras's layer names, compiled as configured", async () => {
      const model = await buildModel(tf, spec({ builtin: 'mnist-cnn', optimizer: 'sgd', learning_rate: 0.01 }), mnist());
      expect(model.countParams()).toBe(34_826);
      expect(model.layers.map((layer) => layer.getClassName())).toEqual([
        'Conv2D',
        'MaxPooling2D',
        'Conv2D',
        'MaxPooling2D',
        'Flatten',
        'Dropout',
        'Dense',
      ]);
      expect(getWeights(model).map((w) => `${w.name} [${w.shape}]`)).toEqual([
        'conv2d/kernel [3,3,1,32]',
        'conv2d/bias [32]',
        'conv2d_1/kernel [3,3,32,64]',
        'conv2d_1/bias [64]',
        'dense/kernel [1600,10]',
        'dense/bias [10]',
      ]);
      expect(model.optimizer).toBeInstanceOf(tf.SGDOptimizer);
      expect(model.metricsNames).toEqual(['loss', 'acc']);
      model.dispose();
    });

    it('gives the same weight names every time a builtin is built in one process', async () => {
      const [a, b] = [await buildModel(tf, spec({ builtin: 'mlp' }), mnist()), await buildModel(tf, spec({ builtin: 'mlp' }), mnist())];
      expect(getWeights(b).map((w) => w.name)).toEqual(getWeights(a).map((w) => w.name));
      expect(getWeights(a).map((w) => w.name)).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
      expect(a.countParams()).toBe(784 * 128 + 128 + 128 * 10 + 10);
      a.dispose();
      b.dispose();
    });

    it('builds the mlp on flat (tabular) data too, without a flatten layer', async () => {
      const model = await buildModel(tf, spec({ builtin: 'mlp', optimizer: 'rmsprop' }), { inputShape: [4], numClasses: 3, baseDir: '.' });
      expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Dense', 'Dropout', 'Dense']);
      expect(model.optimizer).toBeInstanceOf(tf.RMSPropOptimizer);
      model.dispose();
    });

    it('refuses data mnist-cnn cannot take', async () => {
      await expect(buildModel(tf, spec({ builtin: 'mnist-cnn' }), { inputShape: [784], numClasses: 10, baseDir: '.' })).rejects.toThrow(
        "model.builtin: mnist-cnn needs images (height x width x channels), but the data's shape is [784]",
      );
      await expect(buildModel(tf, spec({ builtin: 'mnist-cnn' }), { inputShape: [8, 9, 1], numClasses: 10, baseDir: '.' })).rejects.toThrow(
        'model.builtin: mnist-cnn needs images of at least 10x10, but the data is 8x9',
      );
    });
  });

  describe('buildModel with a model.json', () => {
    it('loads a saved model with its weights, relative to the config folder, compiled with the config', async () => {
      const original = await buildModel(tf, spec({ builtin: 'mnist-cnn' }), mnist());
      await original.save(modelFile(path.join(dir, 'cnn', 'model.json')));
      const loaded = await buildModel(tf, spec({ path: 'cnn/model.json', optimizer: 'rmsprop' }), mnist(dir));
      expect(loaded.countParams()).toBe(34_826);
      expect(getWeights(loaded)).toEqual(getWeights(original));
      expect(loaded.optimizer).toBeInstanceOf(tf.RMSPropOptimizer);
      original.dispose();
      loaded.dispose();
    });

    it('refuses a model that does not fit the data, naming the file', async () => {
      const colour = await buildModel(tf, spec({ builtin: 'mnist-cnn' }), { inputShape: [32, 32, 3], numClasses: 10, baseDir: '.' });
      await colour.save(modelFile(path.join(dir, 'colour', 'model.json')));
      colour.dispose();
      const file = path.join(dir, 'colour', 'model.json');
      await expect(buildModel(tf, spec({ path: 'colour/model.json' }), mnist(dir))).rejects.toThrow(
        `${file}: the model expects input 32x32x3, but the data is 28x28x1`,
      );
      await expect(
        buildModel(tf, spec({ path: 'colour/model.json' }), { inputShape: [32, 32, 3], numClasses: 5, baseDir: dir }),
      ).rejects.toThrow(`${file}: the model's output is 10, but the data has 5 classes`);
    });

    it('names the file when it is missing, or when tfjs cannot build what it describes', async () => {
      await expect(buildModel(tf, spec({ path: 'absent/model.json' }), mnist(dir))).rejects.toThrow(
        `${path.join(dir, 'absent', 'model.json')}: file not found`,
      );
      const file = path.join(dir, 'unknown-layer.json');
      await writeFile(file, JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Teleport', config: {} }] } }));
      await expect(buildModel(tf, spec({ path: 'unknown-layer.json' }), mnist(dir))).rejects.toThrow(
        new RegExp(`^${file}: tfjs could not build a Layers model from it: .*Teleport`),
      );
    });
  });

  describe('setLearningRate', () => {
    /** A dense softmax layer with fixed weights and no dropout: one step from the same start differs only by the rate. */
    async function oneStep(optimizer: 'adam' | 'sgd' | 'rmsprop', rate?: number): Promise<Float32Array> {
      const model = tf.sequential({ layers: [tf.layers.dense({ name: 'dense', units: 3, inputShape: [4], activation: 'softmax' })] });
      model.compile({
        optimizer: { adam: tf.train.adam, sgd: tf.train.sgd, rmsprop: tf.train.rmsprop }[optimizer](0.01),
        loss: 'categoricalCrossentropy',
      });
      model.setWeights([
        tf.tensor2d(
          Array.from({ length: 12 }, (_, i) => Math.sin(i)),
          [4, 3],
        ),
        tf.zeros([3]),
      ]);
      const before = getWeights(model)[0]!.data;
      if (rate !== undefined) setLearningRate(model, rate);
      expect(learningRateOf(model)).toBe(rate ?? 0.01);
      const [x, y] = [
        tf.tensor2d([
          [1, 2, 3, 4],
          [0, 1, 0, -1],
        ]),
        tf.tensor2d([
          [0, 0, 1],
          [1, 0, 0],
        ]),
      ];
      await model.trainOnBatch(x, y);
      const step = getWeights(model)[0]!.data.map((value, i) => value - before[i]!);
      tf.dispose([x, y]);
      model.dispose();
      return step;
    }

    it.each(['adam', 'sgd', 'rmsprop'] as const)(
      'changes the step %s takes: rate 0 leaves the weights as they were, twice the rate takes twice the step',
      async (optimizer) => {
        const step = await oneStep(optimizer);
        expect(step.some((d) => Math.abs(d) > 1e-4)).toBe(true);
        expect([...(await oneStep(optimizer, 0))].every((d) => d === 0)).toBe(true);
        const doubled = await oneStep(optimizer, 0.02);
        doubled.forEach((d, i) => expect(d).toBeCloseTo(2 * step[i]!, 6));
      },
    );

    it('refuses a rate that is negative or not a number', async () => {
      const model = await buildModel(tf, spec({ builtin: 'mlp' }), { inputShape: [4], numClasses: 3, baseDir: '.' });
      expect(() => setLearningRate(model, -0.1)).toThrow('a learning rate is a number >= 0, got -0.1');
      expect(() => setLearningRate(model, Number.NaN)).toThrow('got NaN');
      expect(learningRateOf(model)).toBe(0.001);
      model.dispose();
    });
  });
}, ALL_BACKENDS);
