// Runs in the training thread on the tensorflow backend: kernels that run TensorFlow's own fused gradient ops through tfjs-node's generic op call.
import type * as tfjs from '@tensorflow/tfjs';

type Tf = typeof tfjs;

/** What of tfjs-node's NodeJSKernelBackend these kernels use (the package is optional, so its types are not imported). */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tfjs.TensorInfo[]): tfjs.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tfjs.TensorInfo[], outputs: number): tfjs.Tensor[];
}

interface OpAttr {
  name: string;
  type: number;
  value: number | string | boolean;
}

/** Kernel names: TensorFlow's op names, which tfjs 4.22 does not use for kernels of its own. */
export const RELU_GRAD = 'ReluGrad';
export const RELU6_GRAD = 'Relu6Grad';
export const BATCH_NORM_GRAD = 'FusedBatchNormGradV3';

const floatType = ({ binding }: NodeBackend, name = 'T'): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT });

/** dy * (x > 0) (ReluGrad), dy * (0 < x < 6) (Relu6Grad): one native op instead of tfjs's IsNan, Greater, Fill, Select, Cast, Multiply. */
function activationGrad(kernelName: string): tfjs.KernelConfig {
  return {
    kernelName,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const node = backend as unknown as NodeBackend;
      return node.executeSingleOutput(kernelName, [floatType(node)], [inputs['dy']!, inputs['x']!]);
    },
  };
}

/**
 * FusedBatchNormGradV3 in inference form (is_training false): the mean and variance are inputs, as in tfjs's FusedBatchNorm,
 * so it returns dx = dy * scale * rsqrt(variance + epsilon), dscale = sum(dy * (x - mean)) * rsqrt(variance + epsilon) and
 * doffset = sum(dy) over N, H, W, in one pass. NHWC x, rank-1 scale, mean and variance; the third reserve space is unused on CPU.
 */
const batchNormGrad: tfjs.KernelConfig = {
  kernelName: BATCH_NORM_GRAD,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const node = backend as unknown as NodeBackend;
    const { dy, x, scale, mean, variance } = inputs as Record<string, tfjs.TensorInfo>;
    const opAttrs: OpAttr[] = [
      floatType(node),
      floatType(node, 'U'),
      { name: 'epsilon', type: node.binding.TF_ATTR_FLOAT, value: (attrs as { varianceEpsilon: number }).varianceEpsilon },
      { name: 'data_format', type: node.binding.TF_ATTR_STRING, value: 'NHWC' },
      { name: 'is_training', type: node.binding.TF_ATTR_BOOL, value: false },
    ];
    const outputs = node.executeMultipleOutputs(BATCH_NORM_GRAD, opAttrs, [dy!, x!, scale!, mean!, variance!, variance!], 5);
    // The two reserve-space outputs are empty placeholders: freed here, so that only dx, dscale and doffset leave the kernel.
    for (const unused of outputs.slice(3)) unused.dispose();
    return outputs.slice(0, 3);
  },
};

export const TENSORFLOW_KERNELS: readonly tfjs.KernelConfig[] = [activationGrad(RELU_GRAD), activationGrad(RELU6_GRAD), batchNormGrad];

/** Whether the current backend has one of these kernels (only tensorflow does): the gradients fall back to tfjs ops elsewhere. */
export function hasKernel(tf: Tf, kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
