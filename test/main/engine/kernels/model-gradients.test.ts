// Tests (Node, tfjs cpu vs wasm and tensorflow): whole Keras-style CNNs get the same gradients and train the same on each backend as on cpu.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachBackend } from '../backends.js';
import type { TrainingBackend } from '../backends.js';
import { expectClose, random, reportWorst, type Run } from './harness.js';

const inputShape = [12, 12, 1];
const batch = 6;
const classes = 4;

/**
 * conv (stride 2 'same', 12 filters on one channel: the im2col filter gradient) -> conv (stride 1 'valid': the swapped
 * conv one) -> maxpool -> dense, weights fixed so both backends start equal.
 */
function cnn(activation: 'relu' | 'linear'): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape, filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'valid', activation }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
  model.setWeights(model.getWeights().map((w, i) => tf.tidy(() => tf.tensor(random(w.size, 100 + i, -0.5, 0.5), w.shape))));
  return model;
}

const xs = random(batch * 12 * 12, 1);
const labels = Array.from({ length: batch }, (_, i) => i % classes);

function data() {
  return { x: tf.tensor4d(xs, [batch, 12, 12, 1]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).cast('float32') };
}

async function gradients(backend: 'cpu' | TrainingBackend, activation: 'relu' | 'linear'): Promise<Run[]> {
  await tf.setBackend(backend);
  const model = cnn(activation);
  const { x, y } = data();
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor),
    model.trainableWeights.map((w) => w.read() as tf.Variable),
  );
  const runs = Object.values(grads).map((g) => ({ values: Float32Array.from(g.dataSync()), shape: g.shape }));
  tf.dispose([...Object.values(grads), value, x, y]);
  expect(tf.memory().numTensors).toBe(before - 2);
  model.dispose();
  return runs;
}

async function losses(backend: 'cpu' | TrainingBackend, steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  const model = cnn('relu');
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const { x, y } = data();
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push((await model.trainOnBatch(x, y)) as number);
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

afterAll(reportWorst);

forEachBackend((backend) => {
  describe('a CNN', () => {
    it.each(['relu', 'linear'] as const)('has the gradients it has on cpu (activation %s)', async (activation) => {
      const want = await gradients('cpu', activation);
      const got = await gradients(backend, activation);
      expect(got.length).toBe(6);
      for (let i = 0; i < want.length; i++) expectClose(`CNN gradients (${activation}) on ${backend}`, got[i]!, want[i]!, 1e-4);
    });

    it('trains to the same losses as on cpu', async () => {
      const want = await losses('cpu', 5);
      const got = await losses(backend, 5);
      expect(want[4]).toBeLessThan(want[0]!);
      expectClose(
        `CNN training losses on ${backend}`,
        { values: Float32Array.from(got), shape: [5] },
        { values: Float32Array.from(want), shape: [5] },
        1e-4,
      );
    });
  });
});
