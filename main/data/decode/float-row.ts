// Runs in a decode worker thread (or inline): one full-depth image to one model row: channels, float resize, intensity.
import { applyIntensity, resolveIntensity, type AppliedIntensity, type FloatImage, type IntensitySpec, type Window } from '../intensity.js';
import { resizeFloat, type Interpolation } from './float-resize.js';

export interface RowTarget {
  height: number;
  width: number;
  channels: 1 | 3;
  interpolation: Interpolation;
}

/** An image at the model's size and channels, before intensity: what a decoded cache keeps for full-depth images. */
export interface ResizedImage {
  values: Float32Array;
  fullScale?: number;
  fileWindow?: Window;
}

/**
 * Alpha is dropped (as for 8-bit images); gray is repeated to three channels; color to one channel is ITU-R 601-2
 * luma, unrounded (the 8-bit path rounds as Pillow does, a float path has no grey levels to round to).
 */
export function toChannelsFloat({ data, channels }: FloatImage, target: 1 | 3): Float32Array {
  if (channels === target) return data;
  const count = data.length / channels;
  const out = new Float32Array(count * target);
  const gray = channels <= 2;
  for (let p = 0, i = 0, o = 0; p < count; p++, i += channels, o += target) {
    if (target === 3) {
      out[o] = data[i]!;
      out[o + 1] = data[gray ? i : i + 1]!;
      out[o + 2] = data[gray ? i : i + 2]!;
    } else out[o] = gray ? data[i]! : 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  }
  return out;
}

/** Channels, then resize in float: the values the model row is made of, still in stored units. */
export function resizedImage(image: FloatImage, target: RowTarget): ResizedImage {
  const converted = toChannelsFloat(image, target.channels);
  const values = resizeFloat(converted, { ...image, channels: target.channels }, target, target.interpolation);
  return {
    values,
    ...(image.fullScale !== undefined && { fullScale: image.fullScale }),
    ...(image.fileWindow && { fileWindow: image.fileWindow }),
  };
}

/** Intensity on resized values, written to out[at...]; returns what was applied. */
export function writeResized(
  resized: ResizedImage,
  channels: number,
  spec: IntensitySpec,
  out: Float32Array,
  at: number,
): AppliedIntensity {
  const applied = resolveIntensity(spec.window, resized, resized.values);
  applyIntensity(resized.values, channels, applied, spec, out, at);
  return applied;
}

/** The whole step, for a handler that decodes its own images (a NIfTI slice, a DICOM frame): see intensity.ts. */
export function writeFloatRow(image: FloatImage, target: RowTarget, spec: IntensitySpec, out: Float32Array, at: number): AppliedIntensity {
  return writeResized(resizedImage(image, target), target.channels, spec, out, at);
}
