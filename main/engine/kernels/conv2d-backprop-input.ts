// Runs in the training thread: Conv2DBackpropInput (the gradient a conv layer passes down) for wasm, as XNNPACK convs.
import type * as tfjs from '@tensorflow/tfjs';
import { fullConvolution } from './full-convolution.js';
import { free, transpose, type Info, type Shape4, type Tf, type Wasm } from './wasm-ops.js';

/** The stock wasm kernel loops over scalars (73 ms for MNIST's second conv layer at batch 64, against 9.7 ms here). */
export function conv2DBackpropInputConfig(tf: Tf): tfjs.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: Info; filter: Info };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tfjs.Conv2DBackpropInputAttrs;
      const w = { tf, backend } as Wasm;
      const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
      const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, format);
      if (format === 'channelsLast') return fullConvolution(w, dy, filter, info, false);
      const dyNhwc = transpose(w, dy, [0, 2, 3, 1]);
      const dx = fullConvolution(w, dyNhwc, filter, info, false);
      const dxNchw = transpose(w, dx, [0, 3, 1, 2]);
      free(w, dyNhwc, dx);
      return dxNchw;
    },
  };
}
