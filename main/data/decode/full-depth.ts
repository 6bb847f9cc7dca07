// Runs in a decode worker thread (or inline): images with more than 8 bits per sample (16-bit PNG and TIFF, float TIFF, DICOM) as float32.
import sharp from 'sharp';
import type { FloatImage, Window } from '../intensity.js';
import { decodeDicom, isDicom, type ImageHeader } from './dicom/index.js';
import { sharpCall, sniffFormat, type TargetImage } from './image.js';
import { checkPixelLimit, decodePngFullDepth, ImageDecodeError, isPng, NeedsSharp } from './png-decode.js';

export interface FullDepthDecoded {
  image: FloatImage;
  original: TargetImage['original'];
}

/** Byte 24 of a PNG is IHDR's bit depth (8 signature bytes, 8 of chunk length and type, 8 of width and height). */
function pngDepth(bytes: Uint8Array): number {
  return bytes.length > 24 ? bytes[24]! : 0;
}

/**
 * The image at full depth, or null when it has 8 bits per sample or fewer (those keep the exact 8-bit path). `frame`
 * picks one frame of a multi-frame DICOM file; other formats have only frame 0.
 */
export async function decodeFullDepth(bytes: Uint8Array, maxPixels: number, frame = 0, file = 'image'): Promise<FullDepthDecoded | null> {
  if (isDicom(bytes)) return dicomFrame(bytes, maxPixels, frame, file);
  if (frame !== 0) throw new ImageDecodeError(`frame ${frame} asked of a single-frame image`);
  if (isPng(bytes) && pngDepth(bytes) === 16) return png16(bytes, maxPixels);
  if (sniffFormat(bytes) === 'tiff') return tiff(bytes, maxPixels);
  return null;
}

async function dicomFrame(bytes: Uint8Array, maxPixels: number, frame: number, file: string): Promise<FullDepthDecoded> {
  const { header, frames, channels } = await decodeDicom(bytes, file, { maxPixels, frame });
  const data = frames[0]!;
  const fileWindow = dicomWindow(header);
  return {
    image: { width: header.columns, height: header.rows, channels, data, ...(fileWindow && { fileWindow }) },
    original: { width: header.columns, height: header.rows, channels, format: 'dicom' },
  };
}

/** The file's own window (its first WindowCenter / WindowWidth), if it has a usable one. */
export function dicomWindow({ windowCenter: center, windowWidth: width }: ImageHeader): Window | undefined {
  // A width under 1 is not a usable linear window (PS3.3 C.11.2.1.2.1): the image then has no window of its own.
  return center !== undefined && width !== undefined && width >= 1 ? { center, width } : undefined;
}

function png16(bytes: Uint8Array, maxPixels: number): Promise<FullDepthDecoded> | FullDepthDecoded {
  try {
    const { width, height, channels, data } = decodePngFullDepth(bytes, maxPixels);
    return { image: { width, height, channels, data, fullScale: 65535 }, original: { width, height, channels, format: 'png' } };
  } catch (error) {
    if (!(error instanceof NeedsSharp)) throw error;
    return viaSharp(bytes, 'png', maxPixels); // interlaced: libpng reads it, at 16 bits as well
  }
}

async function tiff(bytes: Uint8Array, maxPixels: number): Promise<FullDepthDecoded | null> {
  const meta = await sharpCall('tiff', () => sharp(bytes, { limitInputPixels: false }).metadata());
  if (meta.depth === 'uchar') return null;
  return viaSharp(bytes, 'tiff', maxPixels);
}

/**
 * sharp at the file's own depth. Its raw output converts to sRGB unless told the colour space, and grey16 / rgb16
 * are the spaces that keep 16-bit samples as they are; float samples keep their values as b-w. Other depths (signed,
 * 32-bit integer, float color) are refused by name rather than read through a conversion that changes them.
 */
async function viaSharp(bytes: Uint8Array, format: 'png' | 'tiff', maxPixels: number): Promise<FullDepthDecoded> {
  const meta = await sharpCall(format, () => sharp(bytes, { limitInputPixels: false }).metadata());
  checkPixelLimit(meta.width, meta.height, maxPixels);
  const color = meta.channels >= 3;
  const space = meta.depth === 'ushort' ? (color ? 'rgb16' : 'grey16') : meta.depth === 'float' && !color ? 'b-w' : undefined;
  if (!space) throw new ImageDecodeError(`unsupported ${format.toUpperCase()}: ${meta.channels} channel(s) of ${meta.depth} samples`);
  const input = { failOn: 'truncated', ignoreIcc: true, limitInputPixels: maxPixels } as const;
  const { data, info } = await sharpCall(format, () =>
    sharp(bytes, input)
      .toColourspace(space)
      .raw({ depth: meta.depth as 'ushort' | 'float' })
      .toBuffer({ resolveWithObject: true }),
  );
  const Samples = meta.depth === 'ushort' ? Uint16Array : Float32Array;
  const aligned = data.byteOffset % Samples.BYTES_PER_ELEMENT === 0 ? data : new Uint8Array(data); // a copy starts at offset 0
  const samples = new Samples(aligned.buffer, aligned.byteOffset, aligned.length / Samples.BYTES_PER_ELEMENT);
  const channels = info.channels as FloatImage['channels'];
  return {
    image: {
      width: info.width,
      height: info.height,
      channels,
      data: Float32Array.from(samples),
      ...(meta.depth === 'ushort' && { fullScale: 65535 }),
    },
    original: { width: meta.width, height: meta.height, channels: meta.channels, format },
  };
}
