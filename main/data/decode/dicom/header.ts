// Runs wherever DICOM is decoded: parses a Part 10 file's data set with dicom-parser, bounded, and reads its image header.
/*
 * dicom-parser over dcmjs: it only indexes elements (offsets and lengths into the file's own bytes, no copies), has no
 * dependencies, and its failures carry the partial data set, so a cut file names the element it was cut in; dcmjs
 * builds a full JS object tree of every value, which a decoder of 100k-file trees does not need.
 */
import type { DataSet, Element } from 'dicom-parser';
import { inflateRawSync } from 'node:zlib';
import { DEFAULT_MAX_PIXELS } from '../../../../common/data-config.js';
import { DicomDecodeError, describeThrown } from './errors.js';
import { dicomParser } from './parser.js';

export interface DicomLimits {
  /** Files larger than this are refused before they are read or parsed. */
  maxBytes: number;
  /** Rows x Columns x frames over this are refused before any pixel buffer exists. */
  maxPixels: number;
}

/** 512 MiB covers a 1000-frame 512x512 16-bit series; a deflated data set may inflate to no more than this either. */
export const DEFAULT_LIMITS: DicomLimits = { maxBytes: 512 * 2 ** 20, maxPixels: DEFAULT_MAX_PIXELS };

/** What decoding needs and a scan may show: structure only, nothing that identifies a patient. */
export interface ImageHeader {
  transferSyntax: string;
  sopClass: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: 1 | 3;
  photometric: string;
  planar: boolean;
  bitsAllocated: 8 | 16 | 32;
  bitsStored: number;
  signed: boolean;
  slope: number;
  intercept: number;
  windowCenter?: number;
  windowWidth?: number;
}

/** IDENTIFYING: links an image to a patient. Only for a caller that asks, and never for a log, error or scan output. */
export interface IdentifyingFields {
  patientId?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  modality?: string;
  bodyPartExamined?: string;
  seriesDescription?: string;
}

const NON_IMAGE: [prefix: string, what: string][] = [
  ['1.2.840.10008.1.3.10', 'a DICOMDIR (a media directory)'],
  ['1.2.840.10008.5.1.4.1.1.88.', 'a structured report (SR)'],
  ['1.2.840.10008.5.1.4.1.1.104.1', 'an encapsulated PDF'],
  ['1.2.840.10008.5.1.4.1.1.104.', 'an encapsulated document'],
  ['1.2.840.10008.5.1.4.1.1.11.', 'a presentation state'],
  ['1.2.840.10008.5.1.4.1.1.66', 'a raw data or registration object'],
];

export const PIXEL_DATA = 'x7fe00010';

/** The file is Part 10 if it has 'DICM' after the 128-byte preamble; nothing else is read as DICOM. */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

export function parseDataSet(bytes: Uint8Array, file: string, limits: DicomLimits): DataSet {
  if (bytes.length === 0) throw new DicomDecodeError(file, 'empty file (0 bytes)');
  if (bytes.length > limits.maxBytes)
    throw new DicomDecodeError(file, `file is ${bytes.length} bytes, over the limit of ${limits.maxBytes}`);
  if (!isDicom(bytes)) throw new DicomDecodeError(file, "not a DICOM Part 10 file: no 'DICM' at byte 128");
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, { inflater: (array: Uint8Array, at: number) => inflate(array, at, file, limits) });
  } catch (thrown) {
    if (thrown instanceof DicomDecodeError) throw thrown;
    throw overrunError(thrown, file) ?? new DicomDecodeError(file, `not a readable DICOM file (${describeThrown(thrown)})`);
  }
  checkLengths(dataSet, file);
  return dataSet;
}

/** Deflated syntax: the meta header as it is, then the rest inflated, with the output bounded by the file-size limit. */
function inflate(array: Uint8Array, at: number, file: string, limits: DicomLimits): Uint8Array {
  let body: Buffer;
  try {
    body = inflateRawSync(array.subarray(at), { maxOutputLength: limits.maxBytes });
  } catch (error) {
    throw new DicomDecodeError(file, `deflated data set does not inflate within ${limits.maxBytes} bytes (${(error as Error).message})`);
  }
  const whole = new Uint8Array(at + body.length);
  whole.set(array.subarray(0, at));
  whole.set(body, at);
  return whole;
}

/** dicom-parser stops at an element longer than what is left and hands back the data set so far: name that element. */
export function overrunError(thrown: unknown, file: string): DicomDecodeError | undefined {
  if (typeof thrown !== 'object' || thrown === null || !('dataSet' in thrown)) return undefined;
  const partial = (thrown as { dataSet: DataSet }).dataSet;
  const tags = Object.keys(partial.elements);
  const last = partial.elements[tags[tags.length - 1] ?? ''];
  if (!last || last.dataOffset + last.length <= partial.byteArray.length) return undefined;
  const left = partial.byteArray.length - last.dataOffset;
  if (last.tag === PIXEL_DATA)
    return new DicomDecodeError(file, `truncated pixel data: the file ends ${left} bytes into a ${last.length}-byte PixelData`);
  return new DicomDecodeError(
    file,
    `element ${tagName(last.tag)} claims ${last.length} bytes but only ${left} remain: a truncated or corrupt file`,
  );
}

/** Every element, nested ones too, must lie inside the bytes, whatever the parser let through. */
function checkLengths(dataSet: DataSet, file: string): void {
  const size = dataSet.byteArray.length;
  const walk = (elements: Record<string, Element>) => {
    for (const element of Object.values(elements)) {
      if (!element.hadUndefinedLength && element.dataOffset + element.length > size)
        throw new DicomDecodeError(file, `element ${tagName(element.tag)} claims ${element.length} bytes past the end of the file`);
      for (const item of element.items ?? []) if (item.dataSet) walk(item.dataSet.elements);
    }
  };
  walk(dataSet.elements);
}

export function tagName(tag: string): string {
  return `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5, 9).toUpperCase()})`;
}

export function identifying(dataSet: DataSet): IdentifyingFields {
  const text = (tag: string) => dataSet.string(tag) || undefined;
  return {
    patientId: text('x00100020'),
    studyInstanceUid: text('x0020000d'),
    seriesInstanceUid: text('x0020000e'),
    sopInstanceUid: text('x00080018'),
    modality: text('x00080060'),
    bodyPartExamined: text('x00180015'),
    seriesDescription: text('x0008103e'),
  };
}

/** What a non-image SOP class is, in words (a DICOMDIR, a structured report ...), or undefined for any other class. */
export function nonImageClass(sopClass: string): string | undefined {
  return NON_IMAGE.find(([prefix]) => sopClass.startsWith(prefix))?.[1];
}

export function sopClassOf(dataSet: DataSet): string {
  return dataSet.string('x00020002') ?? dataSet.string('x00080016') ?? '';
}

export function readHeader(dataSet: DataSet, file: string, limits: DicomLimits): ImageHeader {
  const sopClass = sopClassOf(dataSet);
  const nonImage = nonImageClass(sopClass);
  if (nonImage) throw new DicomDecodeError(file, `not an image: ${nonImage}, SOP class ${sopClass}`);
  if (!dataSet.elements[PIXEL_DATA])
    throw new DicomDecodeError(file, `not an image: no PixelData ${tagName(PIXEL_DATA)}, SOP class ${sopClass || 'unknown'}`);
  const number = (tag: string, name: string, fallback?: number): number => {
    const value = dataSet.uint16(tag) ?? fallback;
    if (value === undefined) throw new DicomDecodeError(file, `${name} ${tagName(tag)} is missing`);
    return value;
  };
  const rows = number('x00280010', 'Rows');
  const columns = number('x00280011', 'Columns');
  const bitsAllocated = number('x00280100', 'BitsAllocated');
  const header: ImageHeader = {
    transferSyntax: dataSet.string('x00020010') ?? '',
    sopClass,
    rows,
    columns,
    frames: dataSet.intString('x00280008') ?? 1,
    samplesPerPixel: number('x00280002', 'SamplesPerPixel', 1) as 1 | 3,
    photometric: dataSet.string('x00280004') ?? '',
    planar: dataSet.uint16('x00280006') === 1,
    bitsAllocated: bitsAllocated as 8 | 16 | 32,
    bitsStored: number('x00280101', 'BitsStored', bitsAllocated),
    signed: dataSet.uint16('x00280103') === 1,
    slope: dataSet.floatString('x00281053') ?? 1,
    intercept: dataSet.floatString('x00281052') ?? 0,
    windowCenter: dataSet.floatString('x00281050'),
    windowWidth: dataSet.floatString('x00281051'),
  };
  checkHeader(header, file, limits);
  return header;
}

function checkHeader(h: ImageHeader, file: string, limits: DicomLimits): void {
  const refuse = (reason: string) => {
    throw new DicomDecodeError(file, reason);
  };
  if (h.rows === 0 || h.columns === 0) refuse(`image is ${h.columns}x${h.rows}`);
  if (!Number.isInteger(h.frames) || h.frames < 1) refuse(`NumberOfFrames is ${h.frames}`);
  const pixels = h.rows * h.columns * h.frames;
  if (pixels > limits.maxPixels)
    refuse(`image claims ${h.columns}x${h.rows} in ${h.frames} frame(s) (${pixels} pixels), over the limit of ${limits.maxPixels}`);
  if (![8, 16, 32].includes(h.bitsAllocated)) refuse(`BitsAllocated ${h.bitsAllocated} is not supported (8, 16 or 32)`);
  if (h.bitsStored < 1 || h.bitsStored > h.bitsAllocated)
    refuse(`BitsStored ${h.bitsStored} does not fit BitsAllocated ${h.bitsAllocated}`);
  if (h.samplesPerPixel !== 1 && h.samplesPerPixel !== 3) refuse(`SamplesPerPixel ${h.samplesPerPixel} is not supported (1 or 3)`);
  const mono = h.photometric === 'MONOCHROME1' || h.photometric === 'MONOCHROME2';
  const color = ['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT'].includes(h.photometric);
  if (!(mono && h.samplesPerPixel === 1) && !(color && h.samplesPerPixel === 3))
    refuse(`PhotometricInterpretation '${h.photometric}' with ${h.samplesPerPixel} sample(s) per pixel is not supported`);
  if (!Number.isFinite(h.slope) || !Number.isFinite(h.intercept) || h.slope === 0)
    refuse(`RescaleSlope ${h.slope} / RescaleIntercept ${h.intercept} are not usable`);
}
