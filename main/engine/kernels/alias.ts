// Runs in the training thread: Identity and same-dtype Cast for wasm as a second reference to the input's memory, not a copy.
import type * as tfjs from '@tensorflow/tfjs';
import type { Info, Tf } from './wasm-ops.js';

/**
 * The gradient tape clones every tensor it saves for the backward pass, and the stock kernel copies the data each time
 * (three 5.5 MB copies per MNIST step at batch 64). Tensors are immutable, so a clone can share the memory, counted
 * by the backend as Reshape's output is, and as the cpu backend's Identity does. Strings go to the stock kernel.
 */
export function identityConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: Info };
      return x.dtype === 'string' ? stock.kernelFunc(args) : alias(args.backend as tfjs.KernelBackend, x);
    },
  };
}

/** A cast to the dtype the tensor already has (ReLU's gradient casts its float32 step to float32) is a clone too. */
export function castConfig(tf: Tf, stock: tfjs.KernelConfig): tfjs.KernelConfig {
  return {
    kernelName: tf.Cast,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: Info };
      const { dtype } = args.attrs as unknown as tfjs.CastAttrs;
      return dtype === x.dtype && dtype !== 'string' ? alias(args.backend as tfjs.KernelBackend, x) : stock.kernelFunc(args);
    },
  };
}

function alias(backend: tfjs.KernelBackend, x: Info): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
