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
 * A stack of `count` slices, each resized to height x width as it is put in, so whoever decodes the slices holds
 * one source slice at a time; then resampled along the depth.
 */
export class SliceStack {
  readonly #stack: Float32Array;
  readonly #plane: number;

  constructor(
    readonly count: number,
    readonly size: VolumeSize,
  ) {
    this.#plane = size.height * size.width;
    this.#stack = new Float32Array(count * this.#plane);
  }

  put(z: number, slice: FloatSlice): void {
    const { size } = this;
    this.#stack.set(resizeFloat(slice.pixels, { ...slice, channels: 1 }, size, size.interpolation), z * this.#plane);
  }

  /** depth x height x width: slice z of the result at z * height * width. */
  resampled(): Float32Array {
    const { count, size } = this;
    return resizeFloat(
      this.#stack,
      { width: 1, height: count, channels: this.#plane },
      { width: 1, height: size.depth },
      size.interpolation,
    );
  }
}

/** Slices 0..count-1, in depth order, resampled: depth x height x width. */
export function resampleSlices(count: number, sliceAt: (z: number) => FloatSlice, size: VolumeSize): Float32Array {
  const stack = new SliceStack(count, size);
  for (let z = 0; z < count; z++) stack.put(z, sliceAt(z));
  return stack.resampled();
}
