// Tests bench:train's shared initial weights: the file round trip, and Keras given Tributary's weights predicts what tfjs predicts.
import { execFile } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readInitWeights, writeInitWeights, writeTrainOrder } from '../../bench/lib/init-weights.js';
import { VENV_DIR, VENV_READY } from '../../bench/lib/venv.js';
import { epochOrder } from '../../main/data/shuffle.js';
import { buildBuiltin } from '../../main/engine/builtin-models.js';
import { getWeights } from '../../main/engine/weights.js';
import { tempDir } from '../fixtures/corpus.js';

const run = promisify(execFile);
const REFERENCE = path.resolve('bench', 'reference');
const VENV_PYTHON = path.join(VENV_DIR, 'bin', 'python');
const env = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined, TF_CPP_MIN_LOG_LEVEL: '2' };

describe('init-weights files', () => {
  it('read back what was written, names, shapes and values', async () => {
    const base = path.join(await tempDir('tributary-init-'), 'w');
    const arrays = [
      { name: 'conv/kernel', shape: [2, 3], dtype: 'float32' as const, data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'conv/bias', shape: [2], dtype: 'float32' as const, data: Float32Array.from([-0.5, 0.25]) },
    ];
    await writeInitWeights(base, arrays);
    expect(await readInitWeights(base)).toEqual(arrays);
  });

  it('refuses values that do not fill the manifest, naming both files', async () => {
    const base = path.join(await tempDir('tributary-init-'), 'w');
    await writeInitWeights(base, [{ name: 'dense/bias', shape: [3], dtype: 'float32', data: Float32Array.from([1, 2, 3]) }]);
    await fsp.writeFile(`${base}.f32`, Buffer.alloc(8));
    await expect(readInitWeights(base)).rejects.toThrow(`${base}.f32: 8 bytes, but ${base}.json describes 12`);
  });
});

const FASHION_MNIST_TRAIN = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
describe.skipIf(!existsSync(FASHION_MNIST_TRAIN))('the train order the references take (needs dataset-fashion-mnist)', () => {
  it("is the Idx handler's first epoch: its records in the generator's seeded order", async () => {
    const file = path.join(await tempDir('tributary-order-'), 'order.u32');
    await writeTrainOrder(file, path.resolve('examples', 'idx', 'party.yaml'), 200);
    const bytes = await fsp.readFile(file);
    const order = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(Array.from(order)).toEqual(Array.from(epochOrder(60_000, true, 0, 0).subarray(0, 200)));
  }, 60_000);
});

const venvReady = existsSync(VENV_READY);
const venvSuite = `Keras loading Tributary's weights${venvReady ? '' : ' (skipped: .bench/venv is not built; npm run bench:train makes it)'}`;
describe.skipIf(!venvReady)(venvSuite, () => {
  // mnist-cnn: a Sequential model (Keras prefixes its paths); mobilenetv2: depthwise kernels, BatchNorm, Keras's own
  // application, compared at an early depthwise convolution (deeper, its untrained activations fade to nothing, and its softmax is uniform).
  it.each([
    ['mnist-cnn', 28, null],
    ['mobilenetv2', 32, 'block_3_depthwise'],
  ] as const)(
    '%s: Keras computes what tfjs computes from the same weights',
    async (name, side, layer) => {
      const dir = await tempDir('tributary-init-');
      const model = buildBuiltin(tf, name, [side, side, 1], 10);
      await writeInitWeights(path.join(dir, 'w'), getWeights(model));
      const x = tf.randomUniform([2, side, side, 1], 0, 1, 'float32', 7);
      await fsp.writeFile(path.join(dir, 'x.f32'), Buffer.from((await x.data()).buffer));
      const probe = layer === null ? model : tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
      const expected = Array.from(await (probe.predict(x) as tf.Tensor).data());
      // Outputs that differ from each other by much of their size: weights loaded in the wrong places could not give them all.
      const scale = Math.max(...expected.map(Math.abs));
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.1 * scale);
      const script = [
        'import json, sys',
        'import numpy as np',
        `sys.path.insert(0, ${JSON.stringify(REFERENCE)})`,
        'from keras_models import MODELS',
        'from train_reference import load_init_weights',
        `model = MODELS[${JSON.stringify(name)}]((${side}, ${side}, 1), 10)`,
        `load_init_weights(model, ${JSON.stringify(path.join(dir, 'w'))})`,
        ...(layer === null ? [] : ['import keras', `model = keras.Model(model.inputs, model.get_layer(${JSON.stringify(layer)}).output)`]),
        `x = np.fromfile(${JSON.stringify(path.join(dir, 'x.f32'))}, dtype='<f4').reshape(2, ${side}, ${side}, 1)`,
        'print(json.dumps(model.predict(x, verbose=0).ravel().tolist()))',
      ].join('\n');
      const { stdout } = await run(VENV_PYTHON, ['-c', script], { env, maxBuffer: 1 << 24 });
      const predicted = JSON.parse(stdout.trim().split('\n').pop()!) as number[];
      expect(predicted).toHaveLength(expected.length);
      predicted.forEach((p, i) => expect(Math.abs(p - expected[i]!), `output ${i}`).toBeLessThanOrEqual(1e-4 * scale));
    },
    180_000,
  );
});
