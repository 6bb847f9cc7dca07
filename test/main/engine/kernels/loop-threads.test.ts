// Tests (Node, real tfjs wasm, threaded build): our SIMD loops split over helper threads give cpu's results, and a helper's fault is an error, not a hang.
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../../main/engine/kernels/index.js';
import { loopThreadCount, runSplit } from '../../../../main/engine/kernels/loop-threads.js';
import { compiledLoop, i32, type LoopFunction } from '../../../../main/engine/kernels/wasm-asm.js';
import { enableWasmThreads, finishWasmThreads } from '../../../../main/engine/wasm-threads.js';
import { initWasm } from '../backends.js';
import { errors, on, random } from './harness.js';

const tensor = (shape: number[], seed: number) => tf.tensor(random(tf.util.sizeFromShape(shape), seed, 0.5, 2), shape);
const backend = () => tf.findBackend('wasm') as BackendWasm;

/** Same call on cpu and on the threaded wasm backend: the largest absolute difference. */
async function difference(f: () => tf.Tensor): Promise<number> {
  const want = await on('cpu', f);
  const got = await on('wasm', f);
  return errors(got, want).maxAbs;
}

/** A loop that stores 0 at the address it is given: out of bounds, it traps. */
const storeAt: LoopFunction = { params: 1, i32Locals: 0, v128Locals: 0, body: [0x20, 0, ...i32(0), 0x36, 2, 0, ...i32(0)] };

describe('loops split over the kernel helper threads (threaded wasm build)', () => {
  beforeAll(async () => {
    expect(enableWasmThreads(tf, wasm, 2)).toMatchObject({ ok: true, threads: 2 });
    await initWasm();
    finishWasmThreads(tf);
    registerWasmTrainingKernels(tf);
  });

  it('has one helper beside the calling thread for 2 threads', () => {
    expect(loopThreadCount(backend())).toBe(2);
  });

  // 8192 rows of 32: two parts of 4096 rows.
  it.each([
    ['x * [C]', () => tf.mul(tensor([8, 32, 32, 32], 1), tensor([32], 2))],
    ['[1,1,1,C] - x', () => tf.sub(tensor([1, 1, 1, 32], 3), tensor([8, 32, 32, 32], 4))],
    ['x / [C]', () => tf.div(tensor([8, 32, 32, 32], 5), tensor([32], 6))],
    ['x * y, same shapes (2 x 131072 floats)', () => tf.mul(tensor([8, 64, 64, 8], 14), tensor([8, 64, 64, 8], 15))],
  ])('%s equals cpu exactly', async (_, f) => {
    expect(await difference(f)).toBe(0);
  });

  it('FusedBatchNorm (8192 rows of 32, two parts) matches cpu', async () => {
    const c = [32];
    const f = () => tf.batchNorm(tensor([8, 32, 32, 32], 16), tensor(c, 17), tensor(c, 18), tensor(c, 19), tensor(c, 20), 0.001);
    const want = await on('cpu', f);
    expect(errors(await on('wasm', f), want).rel).toBeLessThan(1e-6);
  });

  // 64 columns are 4 passes, 2 per thread; each column is still summed in row order.
  it('Sum over leading axes equals cpu exactly, and Mean matches it', async () => {
    expect(await difference(() => tf.sum(tensor([16, 16, 16, 64], 7), [0, 1, 2]))).toBe(0);
    expect(await difference(() => tf.mean(tensor([16, 16, 16, 64], 8), [0, 1, 2]))).toBeLessThan(1e-6);
  });

  // A conv's weight gradient turns x [b,h,w,c] into [c,h,w,b]: split by h*w.
  it('Transpose swapping the first and last axes equals cpu exactly', async () => {
    expect(await difference(() => tf.transpose(tensor([8, 32, 32, 32], 9), [3, 1, 2, 0]))).toBe(0);
  });

  // 8 images of 32x32x32 by 3x3 taps: 2.4M multiply-adds, split in two, each part into its own sums.
  it('DepthwiseConv2dNativeBackpropFilter matches cpu', async () => {
    const dW = () =>
      tf
        .engine()
        .runKernel(
          tf.DepthwiseConv2dNativeBackpropFilter,
          { x: tensor([8, 32, 32, 32], 10), dy: tensor([8, 32, 32, 32], 11) },
          { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 32, 1] },
        ) as tf.Tensor;
    const want = await on('cpu', dW);
    const got = await on('wasm', dW);
    expect(errors(got, want).rel).toBeLessThan(1e-5);
  });

  // Stride 2, 32 images: 2.4M multiply-adds, split in two, each into its own images of dx.
  it('DepthwiseConv2dNativeBackpropInput with a stride matches cpu', async () => {
    const dx = () =>
      tf
        .engine()
        .runKernel(
          tf.DepthwiseConv2dNativeBackpropInput,
          { dy: tensor([32, 16, 16, 32], 12), filter: tensor([3, 3, 32, 1], 13) },
          { strides: 2, dilations: 1, pad: 'same', inputShape: [32, 32, 32, 32] },
        ) as tf.Tensor;
    const want = await on('cpu', dx);
    const got = await on('wasm', dx);
    expect(errors(got, want).rel).toBeLessThan(1e-5);
  });

  it('reports a helper that traps as an error, and the next split still runs', () => {
    const loop = compiledLoop(backend(), 'test storeAt', () => storeAt)!;
    const scratch = backend().makeOutput([4], 'float32');
    const at = (backend().typedArrayFromHeap(scratch) as Float32Array).byteOffset;
    try {
      expect(() =>
        runSplit(backend(), [
          { loop, args: [at] },
          { loop, args: [-4] },
        ]),
      ).toThrow('a kernel helper thread failed in its part of a loop');
      expect(() =>
        runSplit(backend(), [
          { loop, args: [at] },
          { loop, args: [at + 4] },
        ]),
      ).not.toThrow();
    } finally {
      backend().disposeData(scratch.dataId);
    }
  });
});
