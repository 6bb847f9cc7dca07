// Tests (Node, tfjs wasm): registering the training kernels works before the backend starts, and twice.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../../main/engine/kernels/index.js';
import { initWasm } from '../backends.js';
import { random } from './harness.js';

const names = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'OneHot',
  'UnsortedSegmentSum',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Conv3DBackpropFilterV2',
  'Conv3DBackpropInputV2',
  'BatchMatMul',
  'Sum',
  'Identity',
  'Cast',
  'Transpose',
  'Mean',
  'Tile',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'FusedBatchNorm',
];

describe('registerWasmTrainingKernels', () => {
  it('registers before tf.setBackend("wasm"), and the stock matMul it wraps is set up when the backend starts', async () => {
    expect(registerWasmTrainingKernels(tf)).toEqual(names);
    await initWasm();
    const product = tf.matMul(tf.tensor2d(random(12, 1), [4, 3]), tf.tensor2d(random(15, 2), [5, 3]), false, true);
    expect(product.shape).toEqual([4, 5]);
    product.dispose();
  });

  it('is idempotent: a second call registers nothing and matMul still reaches the stock kernel', () => {
    expect(registerWasmTrainingKernels(tf)).toEqual([]);
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(Array.from(tf.matMul(a, a, true, false).dataSync())).toEqual([10, 14, 14, 20]);
    a.dispose();
  });
});
