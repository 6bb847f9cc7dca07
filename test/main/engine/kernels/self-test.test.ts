// Tests (Node, tfjs wasm, tensorflow and cpu): the start-up gradient self-test passes with our wasm kernels and TensorFlow's, and fails with wasm's stock ones.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../../main/engine/kernels/index.js';
import { selfTestGradients } from '../../../../main/engine/kernels/self-test.js';
import { forEachBackend, initWasm } from '../backends.js';

let stockMaxPoolGrad: tf.KernelConfig;
beforeAll(async () => {
  await initWasm();
  stockMaxPoolGrad = tf.getKernel(tf.MaxPoolGrad, 'wasm');
});

function memory() {
  return { tensors: tf.memory().numTensors, backend: tf.engine().backend.numDataIds(), cpu: tf.findBackend('cpu')!.numDataIds() };
}

// In order: the stock kernels first, then ours (registration is global to the process).
describe('selfTestGradients', () => {
  it('fails on stock tfjs-backend-wasm, which has no Conv2DBackpropFilter', () => {
    const result = selfTestGradients(tf);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Conv2DBackpropFilter/);
  });

  it("fails with our kernels but the stock MaxPoolGrad, which is wrong where a window's maximum is <= 0", () => {
    registerWasmTrainingKernels(tf);
    tf.unregisterKernel(tf.MaxPoolGrad, 'wasm');
    tf.registerKernel(stockMaxPoolGrad);
    const result = selfTestGradients(tf);
    expect(result.ok).toBe(false);
    expect(result.error).toBeUndefined();
    expect(result.maxRelError).toBeGreaterThan(0.01);
  });

  it('passes with our kernels, in well under a second, leaving no tensor or backend memory behind', () => {
    expect(registerWasmTrainingKernels(tf)).toEqual([tf.MaxPoolGrad]);
    selfTestGradients(tf); // the first call also creates the cpu backend
    const before = memory();
    const result = selfTestGradients(tf);
    expect(memory()).toEqual(before);
    expect(result.ok).toBe(true);
    expect(result.maxRelError).toBeLessThan(1e-5);
    expect(result.ms).toBeLessThan(250);
    console.log(`self-test: max rel error ${result.maxRelError.toExponential(2)} in ${result.ms.toFixed(1)} ms`);
  });

  // Only the one-channel filter gradient (the SIMD loop's case) and the sums over leading axes (bias gradients) are
  // spoiled, so only the checks beside the gradient chain can catch them.
  it.each([
    [tf.Conv2DBackpropFilter, (inputs: tf.NamedTensorInfoMap) => inputs.x!.shape[3] === 1],
    [tf.Sum, (inputs: tf.NamedTensorInfoMap) => inputs.x!.shape.length === 4],
  ] as const)("fails when our %s is off in one value (a first layer's filter gradient; a bias gradient)", (kernelName, spoils) => {
    const ours = tf.getKernel(kernelName, 'wasm');
    const offByOne: tf.KernelConfig = {
      ...ours,
      kernelFunc: (args) => {
        const out = ours.kernelFunc(args) as tf.TensorInfo;
        if (!spoils(args.inputs)) return out;
        const values = (args.backend as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(out);
        values[0] = values[0]! + 1;
        return out;
      },
    };
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel(offByOne);
    try {
      expect(selfTestGradients(tf)).toMatchObject({ ok: false });
    } finally {
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel(ours);
    }
    expect(selfTestGradients(tf).ok).toBe(true);
  });

  it('refuses to run when cpu, its reference, is the current backend', async () => {
    await tf.setBackend('cpu');
    expect(() => selfTestGradients(tf)).toThrow('the gradient self-test compares a backend with cpu: make wasm or tensorflow current');
    await tf.setBackend('wasm');
  });
});

forEachBackend(
  (backend) => {
    it('passes with its own kernels, leaving no tensor or backend memory behind', () => {
      selfTestGradients(tf);
      const before = memory();
      const result = selfTestGradients(tf);
      expect(memory()).toEqual(before);
      expect(result).toMatchObject({ ok: true });
      expect(result.maxRelError).toBeLessThan(1e-5);
      console.log(`self-test on ${backend}: max rel error ${result.maxRelError.toExponential(2)} in ${result.ms.toFixed(1)} ms`);
    });
  },
  ['tensorflow'],
);
