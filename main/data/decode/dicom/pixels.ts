// Runs wherever DICOM is decoded: raw little-endian samples to float32 values, masked, sign-extended, rescaled, in RGB.
import type { ImageHeader } from './header.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How the samples of one frame are laid out once any codec has run. */
export interface Layout {
  bytesPerSample: number;
  planar: boolean;
  /** The photometric of these samples: a JPEG baseline decoder has already turned YBR into RGB. */
  photometric: string;
}

/** [rows, columns, channels] float32 of one frame; every step is in float, none rounds to 8 bits. */
export function toFloat(bytes: Uint8Array, h: ImageHeader, layout: Layout): Float32Array {
  const channels = h.samplesPerPixel;
  const out = new Float32Array(h.rows * h.columns * channels);
  if (layout.photometric === 'YBR_FULL_422') readSubsampled(bytes, out, h);
  else readSamples(bytes, out, h, layout);
  if (layout.photometric === 'YBR_FULL' || layout.photometric === 'YBR_FULL_422') ybrToRgb(out, h.bitsStored);
  return out;
}

/** The stored value of each sample, through MONOCHROME1 inversion and the modality rescale. */
function valueOf(h: ImageHeader): (raw: number) => number {
  const bits = h.bitsStored;
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const top = 2 ** (bits - 1);
  const invert = h.photometric === 'MONOCHROME1';
  const { slope, intercept } = h;
  return (raw) => {
    let v = bits === 32 ? raw : raw % (mask + 1); // % not &: a 32-bit & would turn to a signed int
    if (h.signed && v >= top) v -= 2 * top;
    if (invert) v = h.signed ? -1 - v : mask - v; // ~v within BitsStored bits
    return v * slope + intercept;
  };
}

function readSamples(bytes: Uint8Array, out: Float32Array, h: ImageHeader, layout: Layout): void {
  const size = layout.bytesPerSample;
  if (size <= 2 && !layout.planar) return readThroughTable(bytes, out, sampleTable(h, size), size);
  const table = size <= 2 ? sampleTable(h, size) : undefined;
  const value = table ? undefined : valueOf(h);
  const count = out.length;
  const plane = h.rows * h.columns;
  const channels = h.samplesPerPixel;
  for (let i = 0; i < count; i++) {
    // Planar files store all of red, then green, then blue; out is always interleaved.
    const src = layout.planar ? (i % channels) * plane + Math.floor(i / channels) : i;
    const at = src * size;
    if (table) out[i] = table[size === 1 ? bytes[at]! : bytes[at]! | (bytes[at + 1]! << 8)]!;
    else out[i] = value!(readUint32(bytes, at));
  }
}

/**
 * Interleaved 8- and 16-bit samples, the common case, in loops with nothing but the lookup: the general loop above
 * spent a decode thread 0.7 ms per 512 x 512 frame on its per-sample branches (bench:medical's CPU profile).
 */
function readThroughTable(bytes: Uint8Array, out: Float32Array, table: Float32Array, size: number): void {
  const count = out.length;
  if (size === 1) {
    for (let i = 0; i < count; i++) out[i] = table[bytes[i]!]!;
  } else if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    // The samples are little-endian, as the host is: a 16-bit view reads them directly.
    const samples = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = table[samples[i]!]!;
  } else {
    for (let i = 0, at = 0; i < count; i++, at += 2) out[i] = table[bytes[at]! | (bytes[at + 1]! << 8)]!;
  }
}

/**
 * The tables made most recently, by what they were made for: the frames of a series share BitsStored, sign and
 * rescale, and a shuffled mixed tree alternates between a few kinds (a 16-bit CT table took 0.5 ms to remake).
 */
const tables = new Map<string, Float32Array>();
const TABLES_KEPT = 4;

/**
 * Every 8- or 16-bit raw sample's value (masked, sign-extended, inverted, rescaled), made once per kind of frame: a
 * lookup per sample instead of those steps, which were a fifth of a decode thread's time on a mixed CT tree. The same
 * float32 values as valueOf gives, since out holds float32 either way.
 */
function sampleTable(h: ImageHeader, size: number): Float32Array {
  const key = `${size} ${h.bitsStored} ${h.signed} ${h.photometric === 'MONOCHROME1'} ${h.slope} ${h.intercept}`;
  let table = tables.get(key);
  if (table) {
    tables.delete(key); // to the back: the most recently used
  } else {
    const value = valueOf(h);
    table = new Float32Array(size === 1 ? 256 : 65536);
    for (let raw = 0; raw < table.length; raw++) table[raw] = value(raw);
    if (tables.size >= TABLES_KEPT) tables.delete(tables.keys().next().value!);
  }
  tables.set(key, table);
  return table;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 2 ** 24;
}

/** YBR_FULL_422 (native): Y1 Y2 Cb Cr for each pair of pixels along a row, Cb and Cr shared by the pair. */
function readSubsampled(bytes: Uint8Array, out: Float32Array, h: ImageHeader): void {
  const value = valueOf(h);
  for (let p = 0; p < h.rows * h.columns; p++) {
    const pair = (p >> 1) * 4;
    out[p * 3] = value(bytes[pair + (p & 1)]!);
    out[p * 3 + 1] = value(bytes[pair + 2]!);
    out[p * 3 + 2] = value(bytes[pair + 3]!);
  }
}

/** PS3.3 C.7.6.3.1.2, in float and clipped to the stored range, as pydicom + numpy compute it in the fixtures. */
function ybrToRgb(out: Float32Array, bits: number): void {
  const half = 2 ** (bits - 1);
  const max = 2 ** bits - 1;
  const clip = (v: number) => (v < 0 ? 0 : v > max ? max : v);
  for (let i = 0; i < out.length; i += 3) {
    const y = out[i]!,
      cb = out[i + 1]! - half,
      cr = out[i + 2]! - half;
    out[i] = clip(y + 1.402 * cr);
    out[i + 1] = clip(y - 0.344136 * cb - 0.714136 * cr);
    out[i + 2] = clip(y + 1.772 * cb);
  }
}
