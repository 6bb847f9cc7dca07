// Tests (Node, real tfjs on the tensorflow, wasm and cpu backends): weights out and in as named float32 arrays, every mismatch
// refused by name, nothing leaked.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ModelSectionSchema } from '../../../common/model-config.js';
import { buildModel } from '../../../main/engine/model-spec.js';
import { checkWeights, getWeights, setWeights, WeightMismatchError } from '../../../main/engine/weights.js';
import type { CheckedWeights, NamedArray } from '../../../main/engine/weights.js';
import { ALL_BACKENDS, forEachBackend } from './backends.js';

// mnist-cnn on 10x10 images: the same layers and names as on MNIST, small enough to train 20 times on cpu in a second or two.
const cnn = () =>
  buildModel(tf, ModelSectionSchema.parse({ builtin: 'mnist-cnn' }), { inputShape: [10, 10, 1], numClasses: 3, baseDir: '.' });

/** The arrays checked against the model's own weights, as the party checks a server's arrays against its model. */
const checkedFor = (model: tf.LayersModel, arrays: readonly NamedArray[]) => checkWeights(arrays, getWeights(model));

/** Arrays shaped like the model's, each value distinct, so a swapped or stale array shows. */
function distinct(model: tf.LayersModel, offset: number): NamedArray[] {
  return getWeights(model).map((w, i) => ({ ...w, data: w.data.map((_, j) => Math.fround(Math.sin(offset + i * 1000 + j))) }));
}

function caught(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('accepted, expected a refusal');
}

forEachBackend(() => {
  describe('getWeights / setWeights', () => {
    it('round-trips named float32 arrays in model.weights order', async () => {
      const model = await cnn();
      const arrays = getWeights(model);
      expect(arrays.map((w) => w.name)).toEqual(model.weights.map((w) => w.originalName));
      expect(arrays.every((w) => w.dtype === 'float32' && w.data instanceof Float32Array)).toBe(true);
      expect(arrays.map((w) => w.data.length)).toEqual(model.weights.map((w) => w.shape.reduce((a: number, b) => a * b!, 1)));

      const wanted = distinct(model, 1);
      setWeights(model, checkedFor(model, wanted));
      expect(getWeights(model)).toEqual(wanted);
      model.dispose();
    });

    it("neither shares its arrays with the model nor keeps the caller's", async () => {
      const model = await cnn();
      const wanted = distinct(model, 2);
      setWeights(model, checkedFor(model, wanted));
      const before = getWeights(model);
      wanted[0]!.data.fill(7);
      before[1]!.data.fill(7);
      expect(getWeights(model)[0]!.data[0]).not.toBe(7);
      expect(getWeights(model)[1]!.data[0]).not.toBe(7);
      model.dispose();
    });

    it('checkWeights refuses every mismatch, values included, with an error naming the first bad weight', async () => {
      const model = await cnn();
      const good = getWeights(model);
      const withArray = (index: number, change: Partial<NamedArray> | Record<string, unknown>) =>
        good.map((w, i) => (i === index ? ({ ...w, ...change } as NamedArray) : w));
      const refuse = (arrays: NamedArray[], message: string, index?: number) => {
        const error = caught(() => checkWeights(arrays, good));
        expect(error).toBeInstanceOf(WeightMismatchError);
        expect((error as Error).message).toBe(message);
        expect((error as WeightMismatchError).index).toBe(index);
      };

      refuse(good.slice(1), 'expected 6 weight arrays (conv2d/kernel … dense/bias), got 5');
      refuse(withArray(3, { name: 'dense/bias' }), 'weight 3: expected conv2d_1/bias, got dense/bias', 3);
      refuse(
        withArray(3, { shape: [32], data: new Float32Array(32) }),
        "weight 3 conv2d_1/bias: shape [32] does not match the model's [64]",
        3,
      );
      refuse(withArray(3, { dtype: 'int32' }), "weight 3 conv2d_1/bias: dtype int32, but the model's weights are float32", 3);
      refuse(withArray(3, { data: new Int32Array(64) }), 'weight 3 conv2d_1/bias: expected its data as a Float32Array, got Int32Array', 3);
      refuse(withArray(3, { data: new Float32Array(63) }), 'weight 3 conv2d_1/bias: shape [64] holds 64 values, got 63', 3);
      const nan = new Float32Array(64);
      nan[17] = Number.NaN;
      refuse(withArray(3, { data: nan }), 'weight 3 conv2d_1/bias: value 17 is NaN; weights must be finite', 3);
      const inf = new Float32Array(64);
      inf[0] = -Infinity;
      refuse(withArray(3, { data: inf }), 'weight 3 conv2d_1/bias: value 0 is -Infinity; weights must be finite', 3);
      model.dispose();
    });

    it('setWeights refuses weights checked for another model, and changes nothing', async () => {
      const model = await cnn();
      const good = getWeights(model);
      const otherSlots = good.map((w, i) => (i === 5 ? { ...w, shape: [4] } : w));
      // A bad last array must not leave the earlier ones set.
      const other = checkWeights([...distinct(model, 3).slice(0, 5), { ...good[5]!, shape: [4], data: new Float32Array(4) }], otherSlots);
      expect((caught(() => setWeights(model, other)) as Error).message).toBe(
        "weight 5 dense/bias: shape [4] does not match the model's [3]",
      );
      const fewer = checkWeights(good.slice(1), good.slice(1));
      expect((caught(() => setWeights(model, fewer)) as Error).message).toBe(
        'expected 6 weight arrays (conv2d/kernel … dense/bias), got 5',
      );
      expect(getWeights(model)).toEqual(good);
      model.dispose();
    });

    it('setWeights takes CheckedWeights as they are: values were checked where they came in, and are not scanned again', async () => {
      const model = await cnn();
      const weights = distinct(model, 4);
      const checked = checkedFor(model, weights);
      // Changed after the check, as nothing in Tributary does: the training side does not look at values a second time.
      weights[3]!.data[5] = Number.NaN;
      setWeights(model, checked);
      expect(getWeights(model)[3]!.data[5]).toBeNaN();
      expectTypeOf<NamedArray[]>().not.toExtend<CheckedWeights>();
      expectTypeOf(setWeights).parameter(1).toEqualTypeOf<CheckedWeights>();
      model.dispose();
    });

    it('leaks no tensor over 20 set/train/get cycles', async () => {
      const model = await cnn();
      const xs = tf.randomUniform([2, 10, 10, 1], 0, 1, 'float32', 1);
      const ys = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
      const cycle = async (i: number) => {
        setWeights(model, checkedFor(model, distinct(model, i)));
        await model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0 });
        return getWeights(model);
      };
      await cycle(0); // The first step makes the optimizer's slot variables, which live as long as the model.
      const baseline = tf.memory().numTensors;
      for (let i = 1; i <= 20; i++) await cycle(i);
      expect(tf.memory().numTensors).toBe(baseline);
      tf.dispose([xs, ys]);
      model.dispose();
    });
  });
}, ALL_BACKENDS);
