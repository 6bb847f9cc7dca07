// Runs in a decode worker thread (or inline): a stack of float slices resampled in float32 to depth x height x width (NIfTI and DICOM volumes).
/*
 * Separable resampling, not one trilinear pass: every slice goes through resizeFloat (Pillow's filters, as a 2-D
 * sample does), then the stack goes through resizeFloat once more along the depth, seen as an image one pixel wide
 * and `slices` rows high whose pixels hold a whole slice each: the same filter, one linear pass over whole slices. With
 * the default bilinear that is linear on each axis (Pillow's triangle, widened when shrinking, so a shrunk axis is
 * averaged rather than aliased); nearest picks voxels. float32 throughout, no 8-bit step.
 */
import { resizeFloat, type Interpolation } from './float-resize.js';

export interface VolumeSize {
  depth: number;
  height: number;
  width: number;
  interpolation: Interpolation;
}

/** One slice of one channel, rows of `width` values. */
export interface FloatSlice {
  pixels: Float32Array;
  height: number;
  width: number;
}

/**
 * Slices 0..count-1, in depth order, resampled: depth x height x width. Each slice is asked for once, in order, and
 * resized before the next is asked for, so a caller that decodes on demand holds one source slice at a time.
 */
export function resampleSlices(count: number, sliceAt: (z: number) => FloatSlice, size: VolumeSize): Float32Array {
  const plane = size.height * size.width;
  const stack = new Float32Array(count * plane);
  for (let z = 0; z < count; z++) {
    const slice = sliceAt(z);
    stack.set(resizeFloat(slice.pixels, { ...slice, channels: 1 }, size, size.interpolation), z * plane);
  }
  return resizeFloat(stack, { width: 1, height: count, channels: plane }, { width: 1, height: size.depth }, size.interpolation);
}
