// Runs anywhere in main: one file of a DICOM tree to an index entry, from a bounded read of its header, never its pixel data.
import type { DataSet } from 'dicom-parser';
import { constants, promises as fsp } from 'node:fs';
import { constants as zlib, inflateRawSync } from 'node:zlib';
import { DicomDecodeError, describeThrown } from '../decode/dicom/errors.js';
import { frameBytes } from '../decode/dicom/frames.js';
import { identifying, isDicom, nonImageClass, overrunError, PIXEL_DATA, readHeader, sopClassOf, tagName } from '../decode/dicom/header.js';
import { dicomParser } from '../decode/dicom/parser.js';
import { SYNTAXES, syntaxName } from '../decode/dicom/syntaxes.js';
import type { PhiHasher } from './phi-hash.js';

export interface HeaderLimits {
  /** A header (all before PixelData) longer than this is not indexed: the file is listed as unreadable, saying so. */
  maxHeaderBytes: number;
  maxPixels: number;
}

/** Where a file is and the stamp that tells whether it changed since it was indexed. */
export interface FileStamp {
  /** Relative to the tree, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
}

/** An image's header. The four keys are salted hashes (see phi-hash.ts): the index holds no identifier in the clear. */
export interface ImageEntry {
  kind: 'image';
  sopClass: string;
  modality?: string;
  bodyPart?: string;
  seriesDescription?: string;
  patient?: string;
  study?: string;
  series?: string;
  instance?: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  transferSyntax: string;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  instanceNumber?: number;
  /** ImagePositionPatient along the slice normal (from ImageOrientationPatient), to order a series' slices. */
  position?: number;
}

/** `non-image`: DICOM without pixels to train on (DICOMDIR, SR, PDF ...); `not-dicom`: no 'DICM' at byte 128. */
export interface OtherEntry {
  kind: 'non-image' | 'unreadable' | 'not-dicom';
  reason: string;
}

export type IndexEntry = FileStamp & (ImageEntry | OtherEntry);

/** Most headers fit the first read; a longer one is read again, four times longer each time, up to the cap. */
const FIRST_READ = 16 * 1024;
/** A deflated header may inflate to at most this many times the bytes read. */
const INFLATE_RATIO = 64;

type Outcome = ImageEntry | OtherEntry | undefined;

/** The entry for the file at `file` (absolute) of `size` bytes; the stamp is the caller's. */
export async function indexFile(file: string, size: number, limits: HeaderLimits, hasher: PhiHasher): Promise<ImageEntry | OtherEntry> {
  if (size === 0) return { kind: 'unreadable', reason: 'empty file (0 bytes)' };
  // Non-blocking: a FIFO in the tree is refused, never waited on.
  const handle = await fsp.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    for (let want = Math.min(size, FIRST_READ, limits.maxHeaderBytes); ; want = Math.min(size, want * 4, limits.maxHeaderBytes)) {
      const bytes = await readPrefix(handle, want);
      if (!isDicom(bytes)) return { kind: 'not-dicom', reason: "not a DICOM Part 10 file: no 'DICM' at byte 128" };
      const outcome = entryOf(bytes, bytes.length < want || bytes.length >= size, size, limits, hasher);
      if (outcome) return outcome;
      if (want >= limits.maxHeaderBytes)
        return {
          kind: 'unreadable',
          reason: `header not indexed: no PixelData within the first ${limits.maxHeaderBytes} bytes (the max_header_bytes cap)`,
        };
    }
  } finally {
    await handle.close();
  }
}

async function readPrefix(handle: fsp.FileHandle, length: number): Promise<Uint8Array> {
  const bytes = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(bytes, got, length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return bytes.subarray(0, got);
}

/** The entry these bytes make, or undefined when the header goes on past them (only when `complete` is false). */
function entryOf(bytes: Uint8Array, complete: boolean, size: number, limits: HeaderLimits, hasher: PhiHasher): Outcome {
  const unreadable = (reason: string): Outcome => (complete ? { kind: 'unreadable', reason } : undefined);
  // A non-image class shows in the meta header: a 100 MB encapsulated PDF is skipped without reading on.
  const metaClass = metaSopClass(bytes);
  const what = metaClass && nonImageClass(metaClass);
  if (what) return { kind: 'non-image', reason: `${what}, SOP class ${metaClass}` };
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, {
      untilTag: PIXEL_DATA,
      inflater: (array: Uint8Array, at: number) => inflatePrefix(array, at),
    });
  } catch (thrown) {
    if (thrown instanceof DicomDecodeError) return unreadable(thrown.reason);
    return unreadable(overrunError(thrown, '')?.reason ?? `not a readable DICOM file (${describeThrown(thrown)})`);
  }
  const past = elementPastEnd(dataSet);
  if (past)
    return unreadable(`element ${tagName(past.tag)} claims ${past.length} bytes but only ${past.left} remain: a truncated or corrupt file`);
  if (!dataSet.elements[PIXEL_DATA] && !complete) return undefined;
  return imageEntry(dataSet, size, limits, hasher);
}

function metaSopClass(bytes: Uint8Array): string | undefined {
  try {
    return dicomParser.readPart10Header(bytes).string('x00020002');
  } catch {
    return undefined; // a meta header cut by the read, or damaged: the full parse says which
  }
}

/** Z_SYNC_FLUSH: a deflated data set cut by the read inflates as far as its bytes go, without an error. */
function inflatePrefix(array: Uint8Array, at: number): Uint8Array {
  const body = inflateRawSync(array.subarray(at), { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: array.length * INFLATE_RATIO });
  const whole = new Uint8Array(at + body.length);
  whole.set(array.subarray(0, at));
  whole.set(body, at);
  return whole;
}

/** dicom-parser skips a value by its length without checking it against the bytes: an element running past them. */
function elementPastEnd(dataSet: DataSet): { tag: string; length: number; left: number } | undefined {
  const end = dataSet.byteArray.length;
  for (const element of Object.values(dataSet.elements)) {
    if (element.tag === PIXEL_DATA || element.hadUndefinedLength) continue;
    if (element.dataOffset + element.length > end) return { tag: element.tag, length: element.length, left: end - element.dataOffset };
  }
  return undefined;
}

function imageEntry(dataSet: DataSet, size: number, limits: HeaderLimits, hasher: PhiHasher): ImageEntry | OtherEntry {
  let header;
  try {
    header = readHeader(dataSet, '', { maxBytes: Infinity, maxPixels: limits.maxPixels });
  } catch (error) {
    if (!(error instanceof DicomDecodeError)) throw error;
    const noPixels = error.reason.startsWith('not an image');
    return { kind: noPixels ? 'non-image' : 'unreadable', reason: noPixels ? error.reason.slice('not an image: '.length) : error.reason };
  }
  const problem = pixelProblem(dataSet, header, size);
  if (problem) return { kind: 'unreadable', reason: problem };
  const ids = identifying(dataSet);
  const hashed = (value: string | undefined) => (value === undefined ? undefined : hasher.hash(value));
  return {
    kind: 'image',
    sopClass: sopClassOf(dataSet),
    modality: ids.modality,
    bodyPart: ids.bodyPartExamined,
    seriesDescription: ids.seriesDescription,
    patient: hashed(ids.patientId),
    study: hashed(ids.studyInstanceUid),
    series: hashed(ids.seriesInstanceUid),
    instance: hashed(ids.sopInstanceUid),
    rows: header.rows,
    columns: header.columns,
    frames: header.frames,
    samplesPerPixel: header.samplesPerPixel,
    transferSyntax: header.transferSyntax,
    photometric: header.photometric,
    bitsAllocated: header.bitsAllocated,
    bitsStored: header.bitsStored,
    instanceNumber: dataSet.intString('x00200013'),
    position: slicePosition(dataSet),
  };
}

/** What the decoder would refuse that the header already shows: the syntax, and a native PixelData of the wrong size. */
function pixelProblem(dataSet: DataSet, header: ReturnType<typeof readHeader>, size: number): string | undefined {
  const syntax = SYNTAXES[header.transferSyntax];
  if (!syntax) return `unsupported transfer syntax ${header.transferSyntax} (${syntaxName(header.transferSyntax)})`;
  if (syntax.codec !== 'native' || header.transferSyntax === '1.2.840.10008.1.2.1.99') return undefined; // offsets of a deflated set are not the file's
  const pixels = dataSet.elements[PIXEL_DATA]!;
  if (pixels.dataOffset + pixels.length > size)
    return `truncated pixel data: the file ends ${size - pixels.dataOffset} bytes into a ${pixels.length}-byte PixelData`;
  const needed = frameBytes(header) * header.frames;
  if (!pixels.hadUndefinedLength && pixels.length !== needed && pixels.length !== needed + 1)
    return (
      `BitsAllocated ${header.bitsAllocated}, the image size or NumberOfFrames disagrees with the data length: ` +
      `PixelData holds ${pixels.length} bytes, the header needs ${needed}`
    );
  return undefined;
}

/** ImagePositionPatient projected on the normal of ImageOrientationPatient's row and column directions. */
function slicePosition(dataSet: DataSet): number | undefined {
  const at = (tag: string, count: number) => Array.from({ length: count }, (_, i) => dataSet.floatString(tag, i));
  const position = at('x00200032', 3);
  const orientation = at('x00200037', 6);
  if (![...position, ...orientation].every((v) => v !== undefined && Number.isFinite(v))) return undefined;
  const [r0, r1, r2, c0, c1, c2] = orientation as number[];
  const normal = [r1! * c2! - r2! * c1!, r2! * c0! - r0! * c2!, r0! * c1! - r1! * c0!];
  return normal.reduce((sum, n, i) => sum + n * position[i]!, 0);
}
