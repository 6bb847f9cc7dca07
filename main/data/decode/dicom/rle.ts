// Runs wherever DICOM is decoded: DICOM RLE Lossless (PS3.5 annex G) in JS, strict, so a damaged segment is an error.
import { DicomDecodeError } from './errors.js';

/**
 * One frame's fragment to little-endian, pixel-interleaved samples. Each segment is one byte plane of one sample
 * (most significant byte first) and must decode to exactly rows x columns bytes.
 */
export function decodeRle(
  frame: Uint8Array,
  rows: number,
  columns: number,
  samples: number,
  bytesPerSample: number,
  file: string,
): Uint8Array {
  const fail = (reason: string) => new DicomDecodeError(file, `corrupt RLE fragment: ${reason}`);
  if (frame.length < 64) throw fail(`${frame.length} bytes, shorter than the 64-byte RLE header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== samples * bytesPerSample) throw fail(`${segments} segments where ${samples * bytesPerSample} are needed`);
  const pixels = rows * columns;
  const stride = samples * bytesPerSample;
  const out = new Uint8Array(pixels * stride);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || start >= end) throw fail(`segment ${s + 1} lies at bytes ${start}..${end} of ${frame.length}`);
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample); // segments go from the most significant byte
    unpackBits(frame, start, end, out, sample * bytesPerSample + byte, stride, pixels, () =>
      fail(`segment ${s + 1} does not decode to ${pixels} bytes`),
    );
  }
  return out;
}

/** PackBits into every `stride`-th byte of out; at most one byte (an even-length pad) may be left over. */
function unpackBits(
  src: Uint8Array,
  at: number,
  end: number,
  out: Uint8Array,
  offset: number,
  stride: number,
  count: number,
  fail: () => Error,
): void {
  let n = 0;
  while (at < end && n < count) {
    const header = src[at++]!;
    if (header < 128) {
      const length = header + 1;
      if (n + length > count || at + length > end) throw fail();
      for (let i = 0; i < length; i++) out[offset + n++ * stride] = src[at++]!;
    } else if (header > 128) {
      const length = 257 - header;
      if (n + length > count || at >= end) throw fail();
      const value = src[at++]!;
      for (let i = 0; i < length; i++) out[offset + n++ * stride] = value;
    }
  }
  if (n < count || end - at > 1) throw fail();
}
