// Tests (plain Node, tfjs cpu): the global model's initial weights: repeatable by seed, and loadable back from a saved model.json.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildGlobalModel, saveTfjsModel } from '../../../../main/federation/server/initial-model.js';
import { ModelSectionSchema } from '../../../../common/model-config.js';
import { buildModel } from '../../../../main/engine/model-spec.js';

const section = (seed: number) => ({ builtin: 'mlp' as const, input_shape: [4], classes: 2, seed });

describe('buildGlobalModel', () => {
  it('gives the same initial weights for the same seed, other weights for another, in Keras order with layer names', async () => {
    const random = Math.random;
    const [a, b, c] = [
      await buildGlobalModel(section(1), '.'),
      await buildGlobalModel(section(1), '.'),
      await buildGlobalModel(section(2), '.'),
    ];
    expect(Math.random).toBe(random); // seeded for the build only
    expect(a.weights.map((w) => `${w.name} [${w.shape.join(', ')}]`)).toEqual([
      'dense/kernel [4, 128]',
      'dense/bias [128]',
      'dense_1/kernel [128, 2]',
      'dense_1/bias [2]',
    ]);
    expect(b.weights).toEqual(a.weights);
    expect(c.weights[0]!.data).not.toEqual(a.weights[0]!.data);
    for (const model of [a, b, c]) model.model.dispose();
  });

  it('starts from the weights a model.json lists', async () => {
    const global = await buildGlobalModel(section(3), '.');
    const shifted = global.weights.map((w) => ({ ...w, data: w.data.map((v) => v + 1) }));
    const file = await saveTfjsModel(global, shifted, await mkdtemp(path.join(os.tmpdir(), 'tributary-model-')));
    const loaded = await buildGlobalModel({ path: path.basename(file), input_shape: [4], classes: 2, seed: 0 }, path.dirname(file));
    expect(loaded.weights).toEqual(shifted);
    global.model.dispose();
    loaded.model.dispose();
  });

  it('shapes a built-in with the architecture keys, as a party with the same `model:` section builds it', async () => {
    const shape = { input_shape: [16, 16, 1], classes: 3, seed: 0 };
    const global = await buildGlobalModel({ builtin: 'resnet', depth: 2, width: 8, ...shape }, '.');
    const spec = ModelSectionSchema.parse({ builtin: 'resnet', depth: 2, width: 8 });
    const party = await buildModel(tf, spec, { inputShape: shape.input_shape, numClasses: shape.classes, baseDir: '.' });
    expect(global.weights.map((w) => `${w.name} [${w.shape.join(', ')}]`)).toEqual(
      party.getWeights().map((w, i) => `${party.weights[i]!.originalName} [${w.shape.join(', ')}]`),
    );
    expect(global.weights.length).toBeGreaterThan((await buildGlobalModel({ builtin: 'resnet', ...shape }, '.')).weights.length);
    global.model.dispose();
    party.dispose();
  });
});
