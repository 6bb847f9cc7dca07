// Tests (Node, tfjs cpu vs wasm and tensorflow): whole Keras-style CNNs, the resnet and mobilenetv2 built-ins among them, get the same
// gradients and train the same on each backend as on cpu.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBuiltin } from '../../../../main/engine/builtin-models.js';
import type { BuiltinOptions } from '../../../../main/engine/builtin-models.js';
import { forEachBackend } from '../backends.js';
import type { TrainingBackend } from '../backends.js';
import { errors, expectClose, expectSame, random, reportWorst, type Run } from './harness.js';

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

/**
 * The image built-ins, small: every op they use (strided and 1x1 convs, depthwise convs, zero padding, BatchNormalization
 * in training mode, ReLU and ReLU6, add, global average pooling, dense, softmax) is in the gradients compared below.
 */
const BUILTINS = [
  { builtin: 'resnet', options: { width: 4 }, shape: [16, 16, 1], tolerance: { tensorflow: 1e-4, wasm: 1e-4 } },
  { builtin: 'mobilenetv2', options: { alpha: 0.35 }, shape: [32, 32, 1], tolerance: { tensorflow: 3e-3, wasm: 1e-1 } },
] as const satisfies readonly {
  builtin: string;
  options: BuiltinOptions;
  shape: readonly number[];
  /**
   * Relative, per weight. mobilenetv2's 52 BatchNormalizations in training mode over 8 samples (down to 1x1 pixels)
   * amplify float32 rounding: tensorflow's gradients came within 3e-4 to 1.1e-3 of cpu's, wasm's within 4.9e-2 in
   * blocks 0-6 (about 1e-3 from block 7 on). A wrong kernel is off by O(1); resnet is held to 1e-4.
   */
  tolerance: Record<TrainingBackend, number>;
}[];
type Builtin = (typeof BUILTINS)[number];
/** BatchNormalization over 8 samples: over fewer, a deep net's batch statistics amplify float32 rounding beyond any tolerance. */
const builtinBatch = 8;

/**
 * Trainable weights fixed so every backend starts equal; gammas within 1, where the comparison is well-conditioned (larger
 * ones, or a ReLU6 clipping often, put values within rounding of a kink, where backends may take different sides). ReLU6's
 * clipped side is checked on its own below. The classifier's kernel is small, so mobilenetv2's 1,280 features give logits
 * SGD can bring down (not ones in the tens). The moving statistics keep their zeros and ones.
 */
function builtinModel({ builtin, options, shape }: Builtin): tf.LayersModel {
  const model = buildBuiltin(tf, builtin, shape, classes, options);
  model.trainableWeights.forEach((w, i) => {
    const name = w.originalName;
    const range = name.endsWith('/gamma') ? 1 : name === 'predictions/kernel' ? 0.05 : 0.5;
    const size = w.shape.reduce((a, b) => a! * b!, 1)!;
    w.write(tf.tidy(() => tf.tensor(random(size, 200 + i, -range, range), w.shape as number[])));
  });
  return model;
}

function builtinData({ shape }: Builtin) {
  const size = builtinBatch * shape[0] * shape[1] * shape[2];
  const y = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: builtinBatch }, (_, i) => i % classes),
        'int32',
      ),
      classes,
    )
    .cast('float32');
  return { x: tf.tensor4d(random(size, 5, 0, 1), [builtinBatch, ...shape]), y };
}

/** The loss's gradients with BatchNormalization in training mode (batch statistics), as a training step takes them. */
async function builtinGradients(backend: 'cpu' | TrainingBackend, spec: Builtin): Promise<Run[]> {
  await tf.setBackend(backend);
  const model = builtinModel(spec);
  const { x, y } = builtinData(spec);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
    model.trainableWeights.map((w) => w.read() as tf.Variable),
  );
  const runs = Object.values(grads).map((g) => ({ values: Float32Array.from(g.dataSync()), shape: g.shape }));
  tf.dispose([...Object.values(grads), value, x, y]);
  expect(tf.memory().numTensors).toBe(before - 2);
  model.dispose();
  return runs;
}

/**
 * Per weight, relative to its largest gradient; a weight whose gradient is zero in exact arithmetic (a BatchNormalization
 * beta whose shift the next BatchNormalization takes out again: mobilenetv2's project_BN) is held to the whole model's scale.
 */
function expectGradientsClose(label: string, got: Run[], want: Run[], tolerance: number): void {
  const scaleOf = (run: Run) => run.values.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
  const overall = Math.max(...want.map(scaleOf));
  want.forEach((w, i) => {
    if (scaleOf(w) > 1e-3 * overall) expectClose(label, got[i]!, w, tolerance);
    else expect(errors(got[i]!, w).maxAbs).toBeLessThan(tolerance * overall);
  });
}

/**
 * Two SGD steps' losses, then the trained model's predictions (BatchNormalization on its moving statistics). SGD moves
 * each weight by its gradient, so the losses agree as far as the gradients do; Adam would step even a gradient of rounding
 * noise by about the learning rate.
 */
async function builtinTraining(backend: 'cpu' | TrainingBackend, spec: Builtin): Promise<{ losses: Run; predictions: Run }> {
  await tf.setBackend(backend);
  const model = builtinModel(spec);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
  const { x, y } = builtinData(spec);
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  const predicted = model.predict(x) as tf.Tensor;
  const predictions = { values: Float32Array.from(await predicted.data()), shape: predicted.shape };
  tf.dispose([x, y, predicted]);
  model.dispose();
  return { losses: { values: Float32Array.from(losses), shape: [2] }, predictions };
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

  it("has ReLU6's gradient (tf.layers.reLU, maxValue 6) on both sides of the clip, as on cpu", async () => {
    // Values from -3 to 9, none within 0.01 of a kink (0 or 6), so every backend takes the same side of each.
    const values = random(4096, 9, -3, 9).map((v) => (Math.abs(v) < 0.01 || Math.abs(v - 6) < 0.01 ? v + 0.05 : v));
    const upstream = random(4096, 10);
    const relu6 = tf.layers.reLU({ maxValue: 6 });
    await expectSame('ReLU6 gradient', () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(relu6.apply(x) as tf.Tensor, tf.tensor(upstream, [8, 8, 8, 8]))))(
        tf.tensor(values, [8, 8, 8, 8]),
      ),
    );
  });

  describe.each(BUILTINS)('the $builtin built-in', (spec) => {
    // mobilenetv2 on the cpu backend takes 5-20 s on a loaded 2-core machine: more than the default 30 s would allow at worst.
    it('has the gradients it has on cpu, BatchNormalization in training mode', { timeout: 120_000 }, async () => {
      const want = await builtinGradients('cpu', spec);
      const got = await builtinGradients(backend, spec);
      expect(got.length).toBe(want.length);
      expectGradientsClose(`${spec.builtin} gradients on ${backend}`, got, want, spec.tolerance[backend]);
    });
  });

  // The optimizer step and BatchNormalization's inference path, on resnet: mobilenetv2's ops are all in the gradients above,
  // and after two steps its moving statistics (momentum 0.999) are still about their zeros and ones, so its 17 blocks would
  // predict un-normalised, where rounding grows to tens of percent.
  it('trains the resnet built-in to lower losses, the same as on cpu, and then predicts the same', async () => {
    const spec = BUILTINS[0];
    const want = await builtinTraining('cpu', spec);
    const got = await builtinTraining(backend, spec);
    expect(want.losses.values[1]).toBeLessThan(want.losses.values[0]!);
    expectClose(`resnet training losses on ${backend}`, got.losses, want.losses, 1e-4);
    expectClose(`resnet predictions after training on ${backend}`, got.predictions, want.predictions, 1e-4);
  });
});
