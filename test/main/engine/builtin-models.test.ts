// Tests (Node, real tfjs on cpu, Keras 3.15's own numbers): the resnet and mobilenetv2 built-ins have Keras's layers, names,
// output shapes and parameter counts, take their `model:` keys, refuse data they cannot take, and round-trip through a model.json.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSectionSchema } from '../../../common/model-config.js';
import { buildBuiltin } from '../../../main/engine/builtin-models.js';
import { modelFile } from '../../../main/engine/model-file.js';
import { buildModel } from '../../../main/engine/model-spec.js';
import { makeDivisible } from '../../../main/engine/models/mobilenet-v2.js';
import { getWeights } from '../../../main/engine/weights.js';
import { tempDir } from '../../fixtures/corpus.js';
import { random } from './kernels/harness.js';

type LayerRow = [name: string, className: string, outputShape: number[], params: number];
interface KerasModel {
  params: number;
  trainable: number;
  layers?: LayerRow[];
}
/** Written by test/fixtures/keras-models.py from Keras 3.15 (keras.applications.MobileNetV2, and the agreed resnet in Keras layers). */
const KERAS = JSON.parse(readFileSync(new URL('../../fixtures/keras-models.json', import.meta.url), 'utf8')) as Record<
  string,
  KerasModel
> & {
  keras: string;
};

const spec = (section: unknown) => ModelSectionSchema.parse(section);
const issues = (section: unknown) => ModelSectionSchema.safeParse(section).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

function layerRows(model: tf.LayersModel): LayerRow[] {
  return model.layers.map((layer) => [layer.name, layer.getClassName(), (layer.outputShape as number[]).slice(1), layer.countParams()]);
}

function counts(model: tf.LayersModel): KerasModel {
  const trainable = model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
  return { params: model.countParams(), trainable };
}

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await tempDir('tributary-builtins-');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the model: keys of the image built-ins', () => {
  it('takes depth and width for resnet, alpha for mobilenetv2, and leaves them unset by default', () => {
    expect(spec({ builtin: 'resnet', depth: 2, width: 16 })).toMatchObject({ builtin: 'resnet', depth: 2, width: 16 });
    expect(spec({ builtin: 'mobilenetv2', alpha: 0.35 })).toMatchObject({ builtin: 'mobilenetv2', alpha: 0.35 });
    expect(spec({ builtin: 'resnet' })).not.toHaveProperty('width');
  });

  it('names the key that does not belong to the builtin, or is out of range', () => {
    expect(issues({ builtin: 'mnist-cnn', width: 8 })).toEqual(['width: only `builtin: resnet` takes `width`']);
    expect(issues({ builtin: 'resnet', alpha: 0.5 })).toEqual(['alpha: only `builtin: mobilenetv2` takes `alpha`']);
    expect(issues({ path: 'model.json', depth: 2 })).toEqual(['depth: only `builtin: resnet` takes `depth`']);
    expect(issues({ builtin: 'resnet', depth: 0 })?.[0]).toMatch(/^depth: /);
    expect(issues({ builtin: 'resnet', width: 2.5 })?.[0]).toMatch(/^width: /);
    expect(issues({ builtin: 'mobilenetv2', alpha: 0 })?.[0]).toMatch(/^alpha: /);
    expect(issues({ builtin: 'resnet', freeze: ['conv1', ''] })?.[0]).toMatch(/^freeze\.1: /);
  });
});

describe('mobilenetv2', () => {
  it(`is Keras ${KERAS.keras}'s MobileNetV2 at 96x96x1, alpha 1.0, 10 classes: every layer's name, class, output shape and parameters`, () => {
    const keras = KERAS['mobilenetv2_96x96x1_a1']!;
    const model = buildBuiltin(tf, 'mobilenetv2', [96, 96, 1], 10);
    expect(counts(model)).toEqual({ params: 2_270_218, trainable: 2_236_106 });
    expect(counts(model)).toEqual({ params: keras.params, trainable: keras.trainable });
    expect(layerRows(model)).toEqual(keras.layers);
    expect(model.name).toBe('mobilenetv2_1.00_96');
    model.dispose();
  });

  it.each([
    [[32, 32, 1], 0.35, 'mobilenetv2_32x32x1_a0.35'],
    [[35, 47, 3], 0.35, 'mobilenetv2_35x47x3_a0.35'],
    [[64, 64, 3], 1.4, 'mobilenetv2_64x64x3_a1.4'],
  ] as const)('has the parameters Keras counts at %j, alpha %s (odd sides padded as correct_pad does)', (shape, alpha, key) => {
    const model = buildBuiltin(tf, 'mobilenetv2', shape, 5, { alpha });
    expect(counts(model)).toEqual({ params: KERAS[key]!.params, trainable: KERAS[key]!.trainable });
    model.dispose();
  });

  it("rounds filters as Keras's _make_divisible does", () => {
    expect([32 * 0.35, 16 * 0.35, 24 * 0.35, 320 * 1.4, 1280 * 1.4, 10].map((v) => makeDivisible(v))).toEqual([16, 8, 8, 448, 1792, 16]);
  });

  it('refuses images under 32x32, as Keras does, and data that is not images', () => {
    expect(() => buildBuiltin(tf, 'mobilenetv2', [16, 40, 1], 10)).toThrow(
      'model.builtin: mobilenetv2 needs images of at least 32x32, but the data is 16x40',
    );
    expect(() => buildBuiltin(tf, 'mobilenetv2', [784], 10)).toThrow(
      "model.builtin: mobilenetv2 needs images (height x width x channels), but the data's shape is [784]",
    );
  });
});

describe('resnet', () => {
  it('has 309,418 parameters at width 32, depth 1 (308,074 trainable), layer for layer as the same net in Keras', () => {
    const keras = KERAS['resnet_64x64x1_d1_w32']!;
    const model = buildBuiltin(tf, 'resnet', [64, 64, 1], 10);
    expect(counts(model)).toEqual({ params: 309_418, trainable: 308_074 });
    expect(layerRows(model)).toEqual(keras.layers);
    const bn = model.getLayer('stage2_block1_shortcut_bn').getConfig();
    expect([bn.momentum, bn.epsilon]).toEqual([0.99, 0.001]);
    model.dispose();
  });

  it.each([
    [[16, 16, 1], 1, 4, 'resnet_16x16x1_d1_w4'],
    [[17, 23, 3], 2, 8, 'resnet_17x23x3_d2_w8'],
  ] as const)('has the parameters Keras counts at %j, depth %s, width %s', (shape, depth, width, key) => {
    const model = buildBuiltin(tf, 'resnet', shape, 5, { depth, width });
    expect(counts(model)).toEqual({ params: KERAS[key]!.params, trainable: KERAS[key]!.trainable });
    if (depth === 2) expect(model.layers.map((l) => l.name)).toContain('stage3_block2_add');
    model.dispose();
  });

  it('refuses data that is not images', () => {
    expect(() => buildBuiltin(tf, 'resnet', [12], 3)).toThrow(
      "model.builtin: resnet needs images (height x width x channels), but the data's shape is [12]",
    );
  });
});

describe('the image built-ins as model.json files', () => {
  it.each([
    ['resnet', { depth: 1, width: 4 }, [16, 16, 1]],
    ['mobilenetv2', { alpha: 0.35 }, [32, 32, 1]],
  ] as const)(
    '%s saves as a Layers model.json of standard Keras layers and loads back through `path`, predicting the same',
    async (builtin, keys, shape) => {
      const options = { inputShape: shape, numClasses: 3, baseDir: dir };
      const original = await buildModel(tf, spec({ builtin, ...keys }), options);
      await original.save(modelFile(path.join(dir, builtin, 'model.json')));
      const loaded = await buildModel(tf, spec({ path: `${builtin}/model.json` }), options);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(original.layers.map((l) => l.getClassName()));
      expect(getWeights(loaded)).toEqual(getWeights(original));
      const x = tf.tensor4d(random(2 * shape[0] * shape[1], 7), [2, ...shape]);
      const [a, b] = [original.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([x, a, b]);
      original.dispose();
      loaded.dispose();
    },
  );
});
