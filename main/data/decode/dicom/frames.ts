// Runs wherever DICOM is decoded: finds each frame's bytes, native (checked against the header's size) or encapsulated.
import type { DataSet, Element } from 'dicom-parser';
import { DicomDecodeError, describeThrown } from './errors.js';
import { dicomParser } from './parser.js';
import { PIXEL_DATA, type ImageHeader } from './header.js';

export function frameBytes(h: ImageHeader): number {
  const samples = h.photometric === 'YBR_FULL_422' ? 2 : h.samplesPerPixel; // Y Y Cb Cr per two pixels
  return h.rows * h.columns * samples * (h.bitsAllocated / 8);
}

/** Native frames as views into the file, after checking PixelData holds exactly what the header says. */
export function nativeFrames(dataSet: DataSet, h: ImageHeader, file: string): Uint8Array[] {
  const element = dataSet.elements[PIXEL_DATA]!;
  if (element.hadUndefinedLength)
    throw new DicomDecodeError(file, `PixelData is encapsulated (fragments) under a native transfer syntax ${h.transferSyntax}`);
  const perFrame = frameBytes(h);
  const needed = perFrame * h.frames;
  const held = element.length;
  // One byte more is the even-length pad of an odd-sized PixelData.
  if (held !== needed && held !== needed + 1) throw new DicomDecodeError(file, sizeMismatch(h, held, needed, perFrame));
  const bytes = dataSet.byteArray;
  return Array.from({ length: h.frames }, (_, f) =>
    bytes.subarray(element.dataOffset + f * perFrame, element.dataOffset + (f + 1) * perFrame),
  );
}

function sizeMismatch(h: ImageHeader, held: number, needed: number, perFrame: number): string {
  const shape = `${h.columns}x${h.rows}, ${h.samplesPerPixel} sample(s), ${h.frames} frame(s) at BitsAllocated ${h.bitsAllocated}`;
  if (h.frames > 1 && held < needed && held % perFrame === 0)
    return `PixelData holds ${held / perFrame} frame(s) but NumberOfFrames claims ${h.frames} frames`;
  return `BitsAllocated ${h.bitsAllocated} or the image size disagrees with the data length: PixelData holds ${held} bytes, ${shape} need ${needed}`;
}

/** Encapsulated frames: by the basic offset table, else one fragment per frame, else (one frame) all fragments. */
export function encapsulatedFrames(dataSet: DataSet, h: ImageHeader, file: string): Uint8Array[] {
  const element: Element = dataSet.elements[PIXEL_DATA]!;
  const fragments = element.fragments ?? [];
  if (!element.encapsulatedPixelData || fragments.length === 0)
    throw new DicomDecodeError(
      file,
      `PixelData is not encapsulated (no fragments) under the compressed transfer syntax ${h.transferSyntax}`,
    );
  const table = element.basicOffsetTable ?? [];
  if (table.length === 0 && h.frames > 1 && fragments.length !== h.frames)
    throw new DicomDecodeError(
      file,
      `${fragments.length} fragments for ${h.frames} frames and no offset table: frames cannot be told apart`,
    );
  if (table.length > 0 && table.length !== h.frames)
    throw new DicomDecodeError(file, `the offset table lists ${table.length} frames but NumberOfFrames claims ${h.frames} frames`);
  try {
    return Array.from({ length: h.frames }, (_, f) =>
      table.length > 0
        ? dicomParser.readEncapsulatedImageFrame(dataSet, element, f)
        : dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, h.frames > 1 ? f : 0, h.frames > 1 ? 1 : fragments.length),
    );
  } catch (thrown) {
    throw new DicomDecodeError(file, `encapsulated PixelData is damaged (${describeThrown(thrown)})`);
  }
}

/** JPEG, JPEG-LS and JPEG 2000 codestreams all end in 0xFFD9 (EOI / EOC): a fragment cut short does not. */
export function endsWithEoi(frame: Uint8Array): boolean {
  let end = frame.length;
  while (end > 2 && frame[end - 1] === 0) end--; // fragments are padded to even length
  return frame[end - 2] === 0xff && frame[end - 1] === 0xd9;
}
