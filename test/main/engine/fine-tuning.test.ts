// Tests (Node, real tfjs on the tensorflow, wasm and cpu backends, real ImageFolder data): BatchNormalization trains on batch
// statistics and predicts with its moving ones, and `model.freeze` keeps the frozen layers' weights, moving statistics included.
import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import type { DataGenerator } from '../../../main/data/data-generator.js';
import { openData } from '../../../main/data/handler-loader.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { ModelSectionSchema } from '../../../common/model-config.js';
import { buildModel } from '../../../main/engine/model-spec.js';
import { modelFile } from '../../../main/engine/model-file.js';
import { evaluate } from '../../../main/engine/train/evaluator.js';
import { getWeights } from '../../../main/engine/weights.js';
import type { NamedArray } from '../../../main/engine/weights.js';
import { tempDir } from '../../fixtures/corpus.js';
import { ALL_BACKENDS, forEachBackend } from './backends.js';
import { random } from './kernels/harness.js';
import { TOY_CLASSES, toyParty } from './train/toy-party.js';
import type { ToyParty } from './train/toy-party.js';

let party: ToyParty;
let test: DataGenerator;
let train: DataGenerator;
beforeAll(async () => {
  party = await toyParty(await tempDir('tributary-fine-tuning-'));
  const { splits } = await openData(await loadPartyConfig(party.configFile));
  ({ train, test } = splits as Required<DataSplits>);
});
afterAll(async () => {
  await Promise.all([train.close(), test.close()]);
  await rm(party.dir, { recursive: true, force: true });
});

const SHAPE = [12, 12, 1] as const;
const CLASSES = TOY_CLASSES.length;

function resnet(section: Record<string, unknown> = {}, baseDir = '.'): Promise<tf.LayersModel> {
  const spec = ModelSectionSchema.parse({ builtin: 'resnet', width: 4, optimizer: 'sgd', learning_rate: 0.1, ...section });
  return buildModel(tf, spec, { inputShape: SHAPE, numClasses: CLASSES, baseDir });
}

function batch(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.tensor4d(random(n * 144, seed, 0, 2), [n, ...SHAPE]);
  const y = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: n }, (_, i) => i % CLASSES),
        'int32',
      ),
      CLASSES,
    )
    .cast('float32') as tf.Tensor2D;
  return { x, y };
}

/** The named weights, by name. */
function weightsOf(model: tf.LayersModel): Map<string, NamedArray> {
  return new Map(getWeights(model).map((w) => [w.name, w]));
}

function changed(before: Map<string, NamedArray>, after: Map<string, NamedArray>, name: string): boolean {
  const [a, b] = [before.get(name)!.data, after.get(name)!.data];
  return a.some((v, i) => v !== b[i]);
}

async function trainStep(model: tf.LayersModel, seed = 3): Promise<void> {
  const { x, y } = batch(8, seed);
  await model.trainOnBatch(x, y);
  tf.dispose([x, y]);
}

forEachBackend(() => {
  describe('BatchNormalization', () => {
    it('predicts a sample alone as it predicts it inside a batch (moving statistics, not the batch), before and after training', async () => {
      const model = await resnet();
      const check = async () => {
        const { x } = batch(6, 11);
        const whole = model.predict(x) as tf.Tensor;
        const alone = model.predict(x.slice([2, 0, 0, 0], [1, ...SHAPE])) as tf.Tensor;
        const [inBatch, single] = [await whole.slice([2, 0], [1, CLASSES]).data(), await alone.data()];
        single.forEach((v, i) => expect(Math.abs(v - inBatch[i]!)).toBeLessThan(1e-5));
        tf.dispose([x, whole, alone]);
      };
      await check();
      await trainStep(model);
      await trainStep(model, 4);
      await check();
      model.dispose();
    });

    it('updates the moving mean and variance in a training step (momentum 0.99), and not in evaluate or predict', async () => {
      const model = await resnet();
      const before = weightsOf(model);
      await trainStep(model);
      const trained = weightsOf(model);
      for (const name of ['conv1_bn/moving_mean', 'conv1_bn/moving_variance', 'stage3_block1_bn2/moving_mean']) {
        expect(changed(before, trained, name), name).toBe(true);
      }
      // From zeros, one step moves the moving mean to 0.01 x the batch mean: far smaller than the mean itself.
      const mean = trained.get('conv1_bn/moving_mean')!.data;
      expect(Math.max(...mean.map(Math.abs))).toBeLessThan(0.1);

      await evaluate(tf, model, test);
      const { x } = batch(5, 9);
      tf.dispose([x, model.predict(x) as tf.Tensor]);
      const evaluated = weightsOf(model);
      for (const name of trained.keys()) expect(changed(trained, evaluated, name), name).toBe(false);
      x.dispose();
      model.dispose();
    });
  });

  describe('model.freeze', () => {
    it('does not train the layers its patterns name: their weights and moving statistics stay, the others train', async () => {
      const model = await resnet({ freeze: ['conv1*', 'stage1_*', 'stage?_block1_shortcut'] });
      const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer'); // tfjs makes every input untrainable
      const frozen = layers.filter((layer) => !layer.trainable).map((layer) => layer.name);
      expect(frozen).toEqual([
        'conv1',
        'conv1_bn',
        'conv1_relu',
        ...['conv1', 'bn1', 'relu1', 'conv2', 'bn2', 'add', 'out'].map((part) => `stage1_block1_${part}`),
        'stage2_block1_shortcut',
        'stage3_block1_shortcut',
      ]);
      const before = weightsOf(model);
      await trainStep(model);
      const after = weightsOf(model);
      for (const name of before.keys()) {
        const layer = name.split('/')[0]!;
        expect(changed(before, after, name), name).toBe(!frozen.includes(layer));
      }
      model.dispose();
    });

    it('freezes a model.json model too', async () => {
      const original = await resnet();
      await original.save(modelFile(`${party.dir}/resnet/model.json`));
      original.dispose();
      const spec = ModelSectionSchema.parse({ path: 'resnet/model.json', freeze: ['stage3_*'] });
      const model = await buildModel(tf, spec, { inputShape: SHAPE, numClasses: CLASSES, baseDir: party.dir });
      const before = weightsOf(model);
      await trainStep(model);
      const after = weightsOf(model);
      expect(changed(before, after, 'stage3_block1_conv1/kernel')).toBe(false);
      expect(changed(before, after, 'stage3_block1_bn1/moving_mean')).toBe(false);
      expect(changed(before, after, 'stage2_block1_conv1/kernel')).toBe(true);
      model.dispose();
    });

    it('names the pattern that matches no layer, and refuses to freeze every weight', async () => {
      await expect(resnet({ freeze: ['conv1', 'stage4_*'] })).rejects.toThrow(
        'model.freeze: "stage4_*" matches no layer of resnet (its layers: input_layer, conv1, conv1_bn, conv1_relu, stage1_block1_conv1,',
      );
      await expect(resnet({ freeze: ['*'] })).rejects.toThrow(
        'model.freeze: [*] freezes every layer that has weights: nothing would be left to train',
      );
      // Regular-expression characters in a pattern are themselves.
      await expect(resnet({ freeze: ['conv1.bn'] })).rejects.toThrow('model.freeze: "conv1.bn" matches no layer');
    });
  });
}, ALL_BACKENDS);
