// Runs wherever DICOM is decoded: encapsulated JPEG family frames to raw samples, through cornerstone's wasm codecs
// (libjpeg-turbo, CharLS, OpenJPEG, loaded once per thread) and jpeg-lossless-decoder-js.
import { createRequire } from 'node:module';
import { Decoder as LosslessDecoder } from 'jpeg-lossless-decoder-js';
import { DicomDecodeError, describeThrown } from './errors.js';
import type { Codec } from './syntaxes.js';

/** Little-endian samples, pixel-interleaved, `bytesPerSample` each; color JPEG baseline comes back already as RGB. */
export interface RawFrame {
  bytes: Uint8Array;
  bytesPerSample: number;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  delete(): void;
}

type WasmModule = Record<string, new () => WasmDecoder>;

const require = createRequire(import.meta.url);
const WASM: Record<'jpeg-baseline' | 'jpeg-ls' | 'j2k', { module: string; decoder: string; name: string }> = {
  'jpeg-baseline': { module: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', decoder: 'JPEGDecoder', name: 'JPEG baseline' },
  'jpeg-ls': { module: '@cornerstonejs/codec-charls/decodewasmjs', decoder: 'JpegLSDecoder', name: 'JPEG-LS' },
  j2k: { module: '@cornerstonejs/codec-openjpeg/decodewasmjs', decoder: 'J2KDecoder', name: 'JPEG 2000' },
};
const modules = new Map<string, Promise<WasmModule>>();

function wasmModule(codec: keyof typeof WASM): Promise<WasmModule> {
  let module = modules.get(codec);
  if (!module) {
    const factory = require(WASM[codec].module) as (settings: object) => Promise<WasmModule>;
    // OpenJPEG prints progress lines to stdout; failures come back as exceptions, so its output is dropped.
    modules.set(codec, (module = factory({ print: () => {}, printErr: () => {} })));
  }
  return module;
}

export interface FrameShape {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
}

export async function decodeCompressed(
  codec: Exclude<Codec, 'native' | 'rle'>,
  frame: Uint8Array,
  shape: FrameShape,
  file: string,
): Promise<RawFrame> {
  const name = codec === 'jpeg-lossless' ? 'JPEG lossless' : WASM[codec].name;
  // jpeg-lossless-decoder-js reads three components only at 8 bits (wider ones it would fold into one).
  if (codec === 'jpeg-lossless' && shape.samples === 3 && shape.bitsAllocated > 8)
    throw new DicomDecodeError(file, `JPEG lossless color above 8 bits (BitsAllocated ${shape.bitsAllocated}) is not supported`);
  let raw: RawFrame;
  try {
    // libjpeg-turbo 3 decodes 8-bit lossless gray exactly, but would turn three components it guesses to be YCbCr
    // into rounded RGB; those and wider samples go to jpeg-lossless-decoder-js, which returns the stored values.
    if (codec !== 'jpeg-lossless') raw = await decodeWasm(codec, frame);
    else raw = shape.bitsAllocated === 8 && shape.samples === 1 ? await decodeWasm('jpeg-baseline', frame) : decodeLossless(frame, shape);
  } catch (thrown) {
    throw new DicomDecodeError(file, `corrupt ${name} fragment: the codec failed (${describeThrown(thrown)})`);
  }
  const expected = shape.rows * shape.columns * shape.samples * raw.bytesPerSample;
  if (raw.bytes.length !== expected)
    throw new DicomDecodeError(
      file,
      `corrupt ${name} fragment: it decodes to ${raw.bytes.length} bytes, not the ${expected} of a ${shape.columns}x${shape.rows} frame`,
    );
  return raw;
}

async function decodeWasm(codec: keyof typeof WASM, frame: Uint8Array): Promise<RawFrame> {
  const decoder = new (await wasmModule(codec))[WASM[codec].decoder]!();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    // The decoded buffer is a view into the wasm heap, reused by the next decode: copy it out.
    return { bytes: decoder.getDecodedBuffer().slice(), bytesPerSample: info.bitsPerSample > 8 ? 2 : 1 };
  } finally {
    decoder.delete();
  }
}

/**
 * jpeg-lossless-decoder-js (2.1.2) can stop one pixel short when the last code runs into the end marker, leaving it 0
 * (seen here on 8-bit frames): its own output position, which it advances per pixel, must have passed the last row.
 */
function decodeLossless(frame: Uint8Array, shape: FrameShape): RawFrame {
  const bytesPerSample = shape.bitsAllocated > 8 ? 2 : 1;
  const decoder = new LosslessDecoder();
  const decoded = decoder.decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.length, bytesPerSample);
  if (decoder.yLoc !== decoder.yDim) throw new Error(`the codestream ends at row ${decoder.yLoc} of ${decoder.yDim}`);
  return { bytes: new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength), bytesPerSample };
}
