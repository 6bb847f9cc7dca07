// Tests (Node, tfjs tensorflow and wasm): the early-freeing backward pass gives tfjs's own gradients, bit for bit, in less memory.
import * as tf from '@tensorflow/tfjs';
import { afterEach, expect, it } from 'vitest';
import { freeBackpropEarly, undoFreeBackpropEarly } from '../../../../main/engine/gradients/early-free.js';
import { forEachBackend } from '../backends.js';
import { random } from '../kernels/harness.js';

afterEach(() => expect(freeBackpropEarly(tf)).toBe(true)); // the state every other test runs in (registerTrainingGradients installs it)

/** The gradients of a small convolutional net: a convolution, BatchNorm on batch moments, ReLU6, a branch read twice, a mean. */
function netGradients(): { values: Float32Array[]; leftTensors: number } {
  const before = tf.memory().numTensors;
  const image = tf.tensor4d(random(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
  const kernel = tf.tidy(() => tf.variable(tf.tensor4d(random(3 * 3 * 3 * 4, 2, -0.5, 0.5), [3, 3, 3, 4])));
  const scale = tf.tidy(() => tf.variable(tf.tensor1d(random(4, 3, 0.5, 1.5))));
  const offset = tf.tidy(() => tf.variable(tf.tensor1d(random(4, 4))));
  const { value, grads } = tf.variableGrads(() => {
    const conv = tf.conv2d(image, kernel, 1, 'same');
    const { mean, variance } = tf.moments(conv, [0, 1, 2]);
    const normed = tf.relu6(tf.batchNorm(conv, mean, variance, offset, scale, 1e-3));
    return tf.mean(tf.add(tf.mul(normed, normed), tf.sin(normed)));
  });
  const values = [kernel, scale, offset].map((v) => Float32Array.from(grads[v.name]!.dataSync()));
  tf.dispose([value, image, kernel, scale, offset, ...Object.values(grads)]);
  return { values, leftTensors: tf.memory().numTensors - before };
}

/** Peak bytes of one backward pass through a chain of `ops` Sin ops (each saves its input) on `size` floats. */
async function chainPeakBytes(ops: number, size: number): Promise<number> {
  const x = tf.tidy(() => tf.variable(tf.tensor1d(random(size, 5))));
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => {
      let y: tf.Tensor = x;
      for (let i = 0; i < ops; i++) {
        const next = tf.sin(y);
        if (y !== x) y.dispose(); // the forward pass then holds only what the tape saved, as a model's mostly does
        y = next;
      }
      return tf.sum(y);
    });
    tf.dispose([value, ...Object.values(grads)]);
  });
  x.dispose();
  return profile.peakBytes;
}

forEachBackend(() => {
  it("gives tfjs's own gradients, bit for bit, from the same kernels, and leaves no tensor behind", async () => {
    const run = async () => {
      let result: ReturnType<typeof netGradients> | undefined;
      const profile = await tf.profile(() => void (result = netGradients()));
      return { ...result!, kernels: profile.kernels.map((kernel) => kernel.name) };
    };
    undoFreeBackpropEarly(tf);
    const stock = await run();
    expect(freeBackpropEarly(tf)).toBe(true);
    const early = await run();
    expect(early.leftTensors).toBe(0);
    expect(stock.leftTensors).toBe(0);
    // The image's gradient, off the path from the variables, is not taken: tfjs's kernels, no more.
    expect(early.kernels).toEqual(stock.kernels);
    early.values.forEach((values, i) => expect(values).toEqual(stock.values[i]));
  });

  it('holds less at the peak of a backward pass: each op frees its saved input and its gradient once past', async () => {
    undoFreeBackpropEarly(tf);
    const stock = await chainPeakBytes(24, 10_000);
    expect(freeBackpropEarly(tf)).toBe(true);
    const early = await chainPeakBytes(24, 10_000);
    // tfjs holds 24 saved inputs and then 24 gradients as well; early freeing, the 24 inputs and about two more.
    expect(early).toBeLessThan(stock * 0.65);
  });

  it('leaves gradients of gradients to tfjs, which reads the saved tensors twice there', () => {
    const x = tf.scalar(2);
    const second = tf.grad(tf.grad((t: tf.Tensor) => tf.pow(t, 3)));
    const result = second(x);
    expect(result.dataSync()[0]).toBeCloseTo(12, 5); // 6x
    tf.dispose([x, result]);
  });
});
