// Runs in the training thread: calls stock tfjs-backend-wasm kernels from inside our kernels, on backend TensorInfos.
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Tf = typeof tfjs;
export type Info = tfjs.TensorInfo;
export type Shape4 = [number, number, number, number];
/** Spatial padding of an NHWC tensor: top, bottom, left, right. Negative values crop. */
export type Pads = [number, number, number, number];

/** What every kernel here needs: the tfjs build (for its utilities and registry) and the wasm backend of the call. */
export interface Wasm {
  tf: Tf;
  backend: BackendWasm;
}

type Attrs = Record<string, number | number[] | boolean | string | number[][] | null | undefined>;

/**
 * Calls a kernel of the backend directly, as the wasm kernels call each other: the result is backend data only, not an
 * engine tensor, so it is invisible to tf.memory() and to gradient tapes, and must be freed with `free`.
 */
export function run(w: Wasm, kernelName: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
  const kernel = w.tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel`);
  return kernel.kernelFunc({ inputs, backend: w.backend, attrs: attrs as tfjs.NamedAttrMap }) as Info;
}

export function free(w: Wasm, ...infos: Info[]): void {
  for (const info of infos) w.backend.disposeData(info.dataId);
}

export function transpose(w: Wasm, x: Info, perm: number[]): Info {
  return run(w, 'Transpose', { x }, { perm });
}

export function reshape(w: Wasm, x: Info, shape: number[]): Info {
  return run(w, 'Reshape', { x }, { shape });
}

/** A new tensor whose memory the caller fills (wasm's malloc does not clear it). */
export function output(w: Wasm, shape: number[], dtype: tfjs.DataType = 'float32'): Info {
  return w.backend.makeOutput(shape, dtype);
}

/** A view of a tensor's memory. Take it after the last allocation of the kernel: a growing heap detaches old views. */
export function f32(w: Wasm, x: Info): Float32Array {
  return w.backend.typedArrayFromHeap(x) as Float32Array;
}

/**
 * XNNPACK's NHWC convolution with explicit padding. XNNPACK accepts only non-negative padding, so a negative pad
 * (rows or columns the convolution never reaches) is cropped from the input first.
 */
export function conv2d(
  w: Wasm,
  x: Info,
  filter: Info,
  strides: [number, number],
  dilations: [number, number],
  pads: Pads,
  depthwise = false,
): Info {
  const cropped = crop(w, x, pads);
  const [top, bottom, left, right] = pads.map((p) => Math.max(p, 0)) as Pads;
  const attrs = {
    strides,
    dilations,
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  };
  const y = run(w, depthwise ? 'DepthwiseConv2dNative' : 'Conv2D', { x: cropped ?? x, filter }, attrs);
  if (cropped !== undefined) free(w, cropped);
  return y;
}

function crop(w: Wasm, x: Info, [top, bottom, left, right]: Pads): Info | undefined {
  if (Math.min(top, bottom, left, right) >= 0) return undefined;
  const [n, h, wd, c] = x.shape as Shape4;
  const cutTop = Math.max(-top, 0);
  const cutLeft = Math.max(-left, 0);
  const size = [n, h - cutTop - Math.max(-bottom, 0), wd - cutLeft - Math.max(-right, 0), c];
  return run(w, 'Slice', { x }, { begin: [0, cutTop, cutLeft, 0], size });
}
