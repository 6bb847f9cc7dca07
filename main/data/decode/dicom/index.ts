// Runs in a decode worker thread (or inline): one DICOM Part 10 file to float32 frames, for the Dicom handler and the decode pool.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { decodeCompressed, type RawFrame } from './codecs.js';
import { codestreamSize } from './codestream.js';
import { DicomDecodeError } from './errors.js';
import { encapsulatedFrames, endsWithEoi, nativeFrames } from './frames.js';
import {
  DEFAULT_LIMITS,
  identifying,
  parseDataSet,
  readHeader,
  type DicomLimits,
  type IdentifyingFields,
  type ImageHeader,
} from './header.js';
import { toFloat, type Layout } from './pixels.js';
import { decodeRle } from './rle.js';
import { SYNTAXES, syntaxName, type Codec } from './syntaxes.js';

export { DicomDecodeError } from './errors.js';
export { isDicom, type DicomLimits, type IdentifyingFields, type ImageHeader } from './header.js';

/** The photometrics of JPEG 2000's component transforms, which OpenJPEG undoes (to RGB) as it decodes. */
const MCT_PHOTOMETRICS = ['YBR_RCT', 'YBR_ICT'];

export interface DecodedDicom {
  header: ImageHeader;
  /** One [rows, columns, channels] array per frame: modality values (HU for CT), RGB for color; only `frame` when asked. */
  frames: Float32Array[];
  channels: 1 | 3;
  /** IDENTIFYING (patient and study keys): present only when the caller asked with `identifying: true`. */
  identifying?: IdentifyingFields;
}

export interface DecodeDicomOptions extends Partial<DicomLimits> {
  identifying?: boolean;
  /** Decode this frame only (frames then holds just it): a sample that is one frame of a long series. */
  frame?: number;
}

/**
 * Decode a whole file. `file` is the name put in errors. Everything the header claims is checked against the bytes
 * before a buffer of that size exists; a damaged compressed frame is an error, never a frame of wrong pixels.
 */
export async function decodeDicom(bytes: Uint8Array, file: string, options: DecodeDicomOptions = {}): Promise<DecodedDicom> {
  const limits = { maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes, maxPixels: options.maxPixels ?? DEFAULT_LIMITS.maxPixels };
  const dataSet = parseDataSet(bytes, file, limits);
  const header = readHeader(dataSet, file, limits);
  const syntax = SYNTAXES[header.transferSyntax];
  if (!syntax)
    throw new DicomDecodeError(file, `unsupported transfer syntax ${header.transferSyntax} (${syntaxName(header.transferSyntax)})`);
  const { codec } = syntax;
  if (MCT_PHOTOMETRICS.includes(header.photometric) && codec !== 'j2k')
    throw new DicomDecodeError(file, `PhotometricInterpretation ${header.photometric} exists only in JPEG 2000, not in ${syntax.name}`);
  const frames: Float32Array[] = [];
  const only = options.frame;
  if (only !== undefined && !(Number.isInteger(only) && only >= 0 && only < header.frames))
    throw new DicomDecodeError(file, `frame ${only} asked of a file with ${header.frames} frame(s)`);
  const pick = (all: Uint8Array[]) => (only === undefined ? all : [all[only]!]);
  if (codec === 'native') {
    const layout = { bytesPerSample: header.bitsAllocated / 8, planar: header.planar, photometric: header.photometric };
    for (const frame of pick(nativeFrames(dataSet, header, file))) frames.push(toFloat(frame, header, layout));
  } else {
    for (const frame of pick(encapsulatedFrames(dataSet, header, file))) {
      const raw = await decodeFrame(codec, frame, header, file);
      frames.push(toFloat(raw.bytes, header, compressedLayout(codec, header, raw)));
    }
  }
  const decoded: DecodedDicom = { header, frames, channels: header.samplesPerPixel };
  if (options.identifying) decoded.identifying = identifying(dataSet);
  return decoded;
}

async function decodeFrame(codec: Exclude<Codec, 'native'>, frame: Uint8Array, h: ImageHeader, file: string): Promise<RawFrame> {
  const bytesPerSample = h.bitsAllocated / 8;
  if (codec === 'rle') return { bytes: decodeRle(frame, h.rows, h.columns, h.samplesPerPixel, bytesPerSample, file), bytesPerSample };
  checkCodestream(frame, h, file);
  const shape = { rows: h.rows, columns: h.columns, samples: h.samplesPerPixel, bitsAllocated: h.bitsAllocated };
  const raw = await decodeCompressed(codec, frame, shape, file);
  if (raw.bytesPerSample > bytesPerSample)
    throw new DicomDecodeError(
      file,
      `the ${syntaxName(h.transferSyntax)} codestream has more bits per sample than BitsAllocated ${h.bitsAllocated}`,
    );
  return raw;
}

/** Before a codec sees a frame: it must end in its end marker and claim the header's size, so no codec allocates for a lie. */
function checkCodestream(frame: Uint8Array, h: ImageHeader, file: string): void {
  const name = syntaxName(h.transferSyntax);
  if (!endsWithEoi(frame))
    throw new DicomDecodeError(file, `corrupt ${name} fragment: the codestream has no end marker (cut short or damaged)`);
  const size = codestreamSize(frame, name, file);
  if (size.width !== h.columns || size.height !== h.rows || size.components !== h.samplesPerPixel) {
    const claim = `${size.width}x${size.height} with ${size.components} component(s)`;
    throw new DicomDecodeError(
      file,
      `the ${name} codestream is ${claim}, the header says ${h.columns}x${h.rows} with ${h.samplesPerPixel}`,
    );
  }
}

/**
 * Codecs return interleaved samples. libjpeg-turbo turns a baseline frame's YCbCr into RGB itself, and OpenJPEG
 * undoes the component transform that YBR_RCT / YBR_ICT name; YBR_FULL in any other codec is still YBR_FULL.
 */
function compressedLayout(codec: Codec, h: ImageHeader, raw: RawFrame): Layout {
  const converted = codec === 'jpeg-baseline' || MCT_PHOTOMETRICS.includes(h.photometric);
  return { bytesPerSample: raw.bytesPerSample, planar: false, photometric: converted ? 'RGB' : h.photometric };
}

/**
 * Read a file for decodeDicom, refusing one over the size limit by its size, before any of it is read. Opened
 * non-blocking, so a FIFO named like a DICOM file is refused as not a regular file instead of hanging the thread.
 */
export function readDicomFile(path: string, maxBytes = DEFAULT_LIMITS.maxBytes): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    if (!stat.isFile()) throw new DicomDecodeError(path, 'not a regular file');
    if (size > maxBytes) throw new DicomDecodeError(path, `file is ${size} bytes, over the limit of ${maxBytes}`);
    const bytes = new Uint8Array(size);
    if (readSync(fd, bytes, 0, size, 0) !== size) throw new DicomDecodeError(path, 'the file changed size while it was read');
    return bytes;
  } finally {
    closeSync(fd);
  }
}
