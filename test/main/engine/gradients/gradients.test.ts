// Tests (Node, tfjs cpu vs tensorflow and wasm): Tributary's BatchNorm, ReLU and ReLU6 gradients equal tfjs-core's own, computed on cpu.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingGradients } from '../../../../main/engine/gradients/index.js';
import { forEachBackend } from '../backends.js';
import type { TrainingBackend } from '../backends.js';
import { expectClose, random, reportWorst, type Run } from '../kernels/harness.js';

/** tfjs-core's gradients, taken before ours replace them: the reference, run on the cpu backend. */
const NAMES = ['FusedBatchNorm', 'Mean', 'Relu', 'Relu6'];
const stock = NAMES.map((name) => tf.getGradient(name)!);
registerTrainingGradients(tf);
const ours = NAMES.map((name) => tf.getGradient(name)!);

const use = (set: tf.GradConfig[]) => set.forEach((gradient) => tf.registerGradient(gradient));

type Variables = Record<string, { values: Float32Array; shape: number[] }>;

/** d loss / d each variable, where the loss weighs every output element differently (so no gradient is a plain sum). */
async function gradients(
  backend: 'cpu' | TrainingBackend,
  f: (v: Record<string, tf.Variable>) => tf.Tensor,
  inputs: Variables,
): Promise<Run[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const variables = Object.fromEntries(
    Object.entries(inputs).map(([name, { values, shape }]) => [name, tf.tidy(() => tf.variable(tf.tensor(values, shape)))]),
  );
  const { value, grads } = tf.variableGrads(() => {
    const y = f(variables);
    return tf.sum(tf.mul(y, tf.tensor(random(y.size, 77), y.shape)));
  }, Object.values(variables));
  const runs = Object.values(grads).map((g) => ({ values: Float32Array.from(g.dataSync()), shape: g.shape }));
  tf.dispose([value, ...Object.values(grads), ...Object.values(variables)]);
  expect(tf.memory().numTensors).toBe(before);
  return runs;
}

/** Ours on `backend` against tfjs-core's on cpu, every variable's gradient within `tolerance` relative to its scale. */
async function expectStockGradients(
  label: string,
  backend: TrainingBackend,
  f: (v: Record<string, tf.Variable>) => tf.Tensor,
  inputs: Variables,
) {
  use(stock);
  const want = await gradients('cpu', f, inputs);
  use(ours);
  const got = await gradients(backend, f, inputs);
  expect(got.length).toBe(Object.keys(inputs).length);
  want.forEach((w, i) => expectClose(`${label} d${Object.keys(inputs)[i]} on ${backend}`, got[i]!, w, 2e-5));
}

const input = (shape: number[], seed: number, lo = -2, hi = 2) => ({
  values: random(
    shape.reduce((a, b) => a * b, 1),
    seed,
    lo,
    hi,
  ),
  shape,
});

/** BatchNormalization in training mode, as tfjs-layers computes it: the batch's moments, then the FusedBatchNorm kernel. */
function trainingBatchNorm(axes: number[], epsilon: number) {
  return ({ x, gamma, beta }: Record<string, tf.Variable>) => {
    const { mean, variance } = tf.moments(x!, axes);
    return tf.batchNorm(x!, mean, variance, beta, gamma, epsilon);
  };
}

afterAll(reportWorst);

forEachBackend((backend) => {
  afterAll(() => use(ours));

  describe('the BatchNorm gradient', () => {
    it("equals tfjs-core's in training mode (batch moments), NHWC", async () => {
      const inputs = { x: input([4, 5, 6, 8], 1), gamma: input([8], 2, 0.5, 1.5), beta: input([8], 3) };
      await expectStockGradients('BN NHWC training', backend, trainingBatchNorm([0, 1, 2], 1e-3), inputs);
    });

    it("equals tfjs-core's for a dense layer's [batch, features]", async () => {
      await expectStockGradients('BN 2-D', backend, trainingBatchNorm([0], 1e-3), {
        x: input([6, 7], 6),
        gamma: input([7], 7),
        beta: input([7], 8),
      });
    });

    it("equals tfjs-core's with respect to the mean and variance as inputs (inference form, a site fine-tuning with moving statistics)", async () => {
      const inputs = {
        x: input([2, 3, 3, 4], 9),
        mean: input([4], 10),
        variance: input([4], 11, 0.1, 2),
        gamma: input([4], 12),
        beta: input([4], 13),
      };
      await expectStockGradients('BN inference', backend, (v) => tf.batchNorm(v.x!, v.mean!, v.variance!, v.beta, v.gamma, 1e-3), inputs);
    });
  });

  it(`runs ${backend === 'tensorflow' ? "TensorFlow's fused ops" : 'tfjs ops, without Tile'} for BatchNorm, ReLU and ReLU6`, async () => {
    await tf.setBackend(backend);
    const x = tf.variable(tf.tensor(random(2 * 4 * 4 * 3, 15), [2, 4, 4, 3]));
    const { kernels } = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.sum(tf.relu6(tf.relu(tf.batchNorm(x, mean, variance, tf.zerosLike(mean), tf.onesLike(mean), 1e-3))));
      }, [x]);
      tf.dispose([value, ...Object.values(grads)]);
      return [];
    });
    x.dispose();
    const names = kernels.map((kernel) => kernel.name);
    if (backend === 'tensorflow') expect(names).toEqual(expect.arrayContaining(['FusedBatchNormGradV3', 'ReluGrad', 'Relu6Grad']));
    else expect(names.filter((name) => ['Tile', 'FusedBatchNormGradV3', 'ReluGrad'].includes(name))).toEqual([]);
  });

  describe('the Mean gradient', () => {
    it("equals tfjs-core's over some axes, all axes, and with kept dimensions", async () => {
      const x = input([3, 4, 5, 6], 16);
      await expectStockGradients('Mean NHW', backend, (v) => tf.mean(v.x!, [0, 1, 2]), { x });
      await expectStockGradients('Mean all', backend, (v) => tf.mean(v.x!), { x });
      await expectStockGradients('Mean axis 1 kept', backend, (v) => tf.mean(v.x!, 1, true), { x });
      await expectStockGradients('Mean axes -1, 0', backend, (v) => tf.mean(v.x!, [-1, 0]), { x });
    });
  });

  describe('the ReLU and ReLU6 gradients', () => {
    it("equal tfjs-core's", async () => {
      // Values around 0 and 6 both sides, none exactly on a boundary (where TensorFlow's ReLU6 and tfjs's differ at x = 6).
      const x = input([2, 5, 5, 3], 14, -3, 9);
      await expectStockGradients('ReLU', backend, (v) => tf.relu(v.x!), { x });
      await expectStockGradients('ReLU6', backend, (v) => tf.relu6(v.x!), { x });
    });
  });

  describe('a BatchNorm CNN trained with Adam', () => {
    const model = () => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 6, kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization({ momentum: 0.9 }),
          tf.layers.reLU({ maxValue: 6 }),
          tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      m.setWeights(
        m.getWeights().map((w, i) => tf.tidy(() => (i === 3 ? tf.ones(w.shape) : tf.tensor(random(w.size, 200 + i, -0.5, 0.5), w.shape)))),
      );
      return m;
    };

    /** Losses of five Adam steps and every weight after them, BatchNorm's moving mean and variance included. */
    async function train(on: 'cpu' | TrainingBackend): Promise<{ losses: Run; weights: Run[] }> {
      await tf.setBackend(on);
      const m = model();
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const x = tf.tensor(random(5 * 8 * 8 * 2, 21), [5, 8, 8, 2]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3).cast('float32');
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      const weights = m.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync()), shape: w.shape }));
      tf.dispose([x, y]);
      m.dispose();
      return { losses: { values: Float32Array.from(losses), shape: [5] }, weights };
    }

    beforeAll(() => use(ours));

    it("trains to tfjs-core's losses and weights, moving statistics included", async () => {
      use(stock);
      const want = await train('cpu');
      use(ours);
      const got = await train(backend);
      expect(want.losses.values[4]).toBeLessThan(want.losses.values[0]!);
      expectClose(`BN CNN losses on ${backend}`, got.losses, want.losses, 1e-4);
      // Weights 3 and 4 are the moving mean and variance: they moved from their start (0 and 1) and agree.
      expect(Math.abs(want.weights[3]!.values[0]!)).toBeGreaterThan(1e-3);
      want.weights.forEach((w, i) => expectClose(`BN CNN weight ${i} on ${backend}`, got.weights[i]!, w, 1e-4));
    });
  });
});

describe('registerTrainingGradients', () => {
  it('registers nothing a second time', () => {
    expect(registerTrainingGradients(tf)).toEqual([]);
    expect(NAMES.map((name) => tf.getGradient(name))).toEqual(ours);
  });
});
