// Runs in a decode worker thread: a full-depth image at the model's size as one fixed-size decoded-cache record.
import type { ResizedImage } from './float-row.js';

/**
 * Four float64 before the float32 values: fullScale, window center, window width (NaN where absent), and a spare.
 * float64, so a window read back from the cache is the very number the file held and epochs agree to the bit.
 */
const HEAD = 4;
const HEAD_BYTES = HEAD * 8;

/** Bytes of a float record for `values` model values. */
export function floatRecordBytes(values: number): number {
  return HEAD_BYTES + values * 4;
}

/** A new buffer: the worker copies it into the job's pending records. */
export function encodeFloatRecord({ values, fullScale, fileWindow }: ResizedImage): Uint8Array {
  const record = new Uint8Array(floatRecordBytes(values.length));
  const head = new Float64Array(record.buffer, 0, HEAD);
  head[0] = fullScale ?? NaN;
  head[1] = fileWindow?.center ?? NaN;
  head[2] = fileWindow?.width ?? NaN;
  new Float32Array(record.buffer, HEAD_BYTES).set(values);
  return record;
}

/** Views into `record` (valid until it is read into again); `record` starts at an 8-byte aligned offset. */
export function decodeFloatRecord(record: Uint8Array): ResizedImage {
  const head = new Float64Array(record.buffer, record.byteOffset, HEAD);
  const [fullScale, center, width] = [head[0]!, head[1]!, head[2]!];
  return {
    values: new Float32Array(record.buffer, record.byteOffset + HEAD_BYTES, (record.byteLength - HEAD_BYTES) / 4),
    ...(!Number.isNaN(fullScale) && { fullScale }),
    ...(!Number.isNaN(center) && !Number.isNaN(width) && { fileWindow: { center, width } }),
  };
}
