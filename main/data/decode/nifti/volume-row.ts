// Runs in a decode worker thread (or inline): a whole NIfTI volume resampled in float32 to depth x height x width, slices along an axis.
/*
 * Separable resampling, not one trilinear pass: every slice along `axis` goes through resizeFloat (Pillow's filters,
 * as a 2-D slice sample does), then the stack goes through resizeFloat once more along the depth, seen as an image one
 * pixel wide and `slices` rows high whose pixels hold a whole slice each: the same filter, one linear pass over whole
 * slices. With the default bilinear that is linear on each axis (Pillow's triangle, widened when shrinking, so a
 * shrunk axis is averaged rather than aliased); nearest picks voxels. float32 throughout, no 8-bit step.
 */
import { resizeFloat, type Interpolation } from '../float-resize.js';
import type { KeptVolume } from './kept-volumes.js';
import { sliceOfValues, type Axis } from './voxels.js';

export interface VolumeSize {
  depth: number;
  height: number;
  width: number;
  interpolation: Interpolation;
}

/** The volume's voxels, scaled (scl_slope / scl_inter) and resampled: depth x height x width, slice z along `axis` at z. */
export function resampleVolume({ header, values }: KeptVolume, axis: Axis, size: VolumeSize): Float32Array {
  const whole = { start: 0, end: header.voxels };
  const slices = header.dims[axis];
  const plane = size.height * size.width;
  const stack = new Float32Array(slices * plane);
  for (let z = 0; z < slices; z++) {
    const slice = sliceOfValues(values, header, whole, axis, z);
    stack.set(resizeFloat(slice.pixels, { ...slice, channels: 1 }, size, size.interpolation), z * plane);
  }
  return resizeFloat(stack, { width: 1, height: slices, channels: plane }, { width: 1, height: size.depth }, size.interpolation);
}
