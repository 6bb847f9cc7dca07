// Runs in a decode worker thread (or inline): one full-depth image to one model row: channels, float resize, intensity.
import { applyIntensity, resolveIntensity, type AppliedIntensity, type FloatImage, type IntensitySpec, type Window } from '../intensity.js';
import { convertChannels } from './channels.js';
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
export function toChannelsFloat({ data, channels }: Pick<FloatImage, 'data' | 'channels'>, target: 1 | 3): Float32Array {
  return convertChannels(data, channels, target, (length) => new Float32Array(length), floatLuma);
}

function floatLuma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/**
 * Channels, then resize in float: the values the model row is made of, still in stored units. Gray going to three
 * channels is resized once and then repeated (resizing is per channel, so the result is the same at a third of the work).
 */
export function resizedImage(image: FloatImage, target: RowTarget): ResizedImage {
  const gray = image.channels <= 2;
  const working = gray ? 1 : target.channels;
  const converted = toChannelsFloat(image, working);
  const resized = resizeFloat(converted, { ...image, channels: working }, target, target.interpolation);
  const values = working === target.channels ? resized : toChannelsFloat({ ...target, channels: 1, data: resized }, target.channels);
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
