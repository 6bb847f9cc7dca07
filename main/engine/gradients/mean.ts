// Runs in the training thread: Mean's gradient, which BatchNorm's batch moments take twice a layer, without tfjs-core's full-size ones tensor.
import type * as tfjs from '@tensorflow/tfjs';

type Tf = typeof tfjs;

/**
 * dx = dy / n, spread over the reduced axes. tfjs-core multiplies dy by `ones(x.shape)`, a full-size array made in
 * JavaScript and copied to the backend, then divides the full-size product by n. Here dy is divided while small, then
 * spread: on tensorflow by TensorFlow's Tile (one native op), elsewhere by a product with a backend-filled ones tensor
 * (wasm's Tile is its slowest kernel, ten times the fill and product).
 */
export function meanGradient(tf: Tf): tfjs.GradConfig {
  return {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tfjs.Tensor];
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      const kept = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
      const count = axes.reduce((n, axis) => n * x.shape[axis]!, 1);
      return {
        x: () => {
          const share = tf.div(tf.reshape(dy as tfjs.Tensor, kept), count);
          return tf.getBackend() === 'tensorflow' ? tf.broadcastTo(share, x.shape) : tf.mul(share, tf.fill(x.shape, 1));
        },
      };
    },
  };
}
