// Runs anywhere in main: turns the `normalize` option into a per-channel lookup table, and back for previews.
import type { Normalize } from '../../common/data-config.js';
import { perChannel } from './intensity.js';

/** channels x 256 floats: the model input for pixel value v of channel c is lut[c * 256 + v]. */
export function normalizeLut(normalize: Normalize, channels: number): Float32Array {
  const { mean, std } = perChannel(normalize, channels);
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean[c]!) / std[c]!;
  refuseNonFinite(lut, mean, std);
  return lut;
}

/** Every decoded value comes from this table: a non-finite entry (a tiny std, a huge mean) would poison every batch. */
function refuseNonFinite(lut: Float32Array, mean: number[], std: number[]): void {
  const at = lut.findIndex((value) => !Number.isFinite(value));
  if (at < 0) return;
  const [c, v] = [Math.floor(at / 256), at % 256];
  const formula = `(${v} / 255 - ${mean[c]}) / ${std[c]}`;
  throw new Error(
    `data.info.normalize: pixel value ${v} of channel ${c} becomes ${formula} = ${lut[at]} as a float32; every model input must be finite`,
  );
}

/** The inverse: model input back to a displayable 0-255 pixel value, per channel. */
export function denormalizer(normalize: Normalize, channels: number): (value: number, channel: number) => number {
  const { mean, std } = perChannel(normalize, channels);
  return (value, channel) => Math.round((value * std[channel]! + mean[channel]!) * 255);
}
