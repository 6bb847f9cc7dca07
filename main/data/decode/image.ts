// Runs in a decode worker thread (or inline): one image file's bytes to pixels at the model's size and channel count.
import sharp from 'sharp';
import { convertChannels } from './channels.js';
import { checkPixelLimit, decodePng, ImageDecodeError, isPng, NeedsSharp, unrecognizedFile, type DecodedImage } from './png-decode.js';

export interface TargetSpec {
  /** The model's input size; without one, each image keeps its own. */
  height?: number;
  width?: number;
  channels: 1 | 3;
  interpolation: 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';
  maxPixels: number;
}

export interface TargetImage {
  /** 8-bit, row-major, interleaved; may be a view into a larger buffer. */
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
  original: { width: number; height: number; channels: number; format: string };
}

export type Format = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff';

const FORMAT_NAMES: Record<Format, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', gif: 'GIF', tiff: 'TIFF' };
const KERNELS = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos3: 'lanczos3' } as const;

// The decode pool already runs one image per thread, so libvips threads within an image would only oversubscribe the
// cores (sharp defaults to one per core on macOS and Windows), and its operation cache keeps inputs that an epoch reads
// once. Both settings are process-wide in libvips: every thread that loads this module sets the same values.
sharp.concurrency(1);
sharp.cache(false);

/** The format by magic bytes: file extensions in datasets are often wrong. */
export function sniffFormat(bytes: Uint8Array): Format | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (isPng(bytes)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  return undefined;
}

export async function decodeImage(bytes: Uint8Array, spec: TargetSpec): Promise<TargetImage> {
  const { image, original } = await decode(bytes, spec.maxPixels);
  const height = spec.height ?? image.height;
  const width = spec.width ?? image.width;
  const converted = toChannels(image, spec.channels);
  const pixels = height === image.height && width === image.width ? converted : await resize(converted, image, spec, height, width);
  return { pixels, height, width, channels: spec.channels, original };
}

async function decode(bytes: Uint8Array, maxPixels: number): Promise<{ image: DecodedImage; original: TargetImage['original'] }> {
  const format = sniffFormat(bytes);
  if (format === undefined) throw unrecognizedFile(bytes);
  if (format === 'png') {
    try {
      const image = decodePng(bytes, maxPixels);
      return { image, original: { width: image.width, height: image.height, channels: image.channels, format } };
    } catch (error) {
      if (!(error instanceof NeedsSharp)) throw error;
    }
  }
  return decodeWithSharp(bytes, format, maxPixels);
}

/**
 * sharp for what the PNG fast path does not cover. failOn 'truncated' is the loosest level that still refuses a cut-off
 * JPEG ('none' returns it half gray); stricter levels would also refuse files with harmless warnings, which PIL reads.
 * Embedded ICC profiles and EXIF orientation are ignored, as PIL-based loaders such as Keras' load_img ignore them:
 * sites of one federation should see the same pixels, and the PNG fast path applies neither.
 */
async function decodeWithSharp(
  bytes: Uint8Array,
  format: Format,
  maxPixels: number,
): Promise<{ image: DecodedImage; original: TargetImage['original'] }> {
  const input = { failOn: 'truncated', ignoreIcc: true, limitInputPixels: maxPixels } as const;
  // The header alone, without sharp's own limit, so an oversized image gets the same message as on the PNG path.
  const meta = await sharpCall(format, () => sharp(bytes, { ...input, limitInputPixels: false }).metadata());
  checkPixelLimit(meta.width, meta.height, maxPixels);
  // sharp's raw output is always sRGB (gray comes back as three equal channels): our channel step treats it as any RGB.
  const { data, info } = await sharpCall(format, () => sharp(bytes, input).raw().toBuffer({ resolveWithObject: true }));
  return {
    image: { width: info.width, height: info.height, channels: info.channels, data },
    original: { width: meta.width, height: meta.height, channels: meta.channels, format },
  };
}

export async function sharpCall<T>(format: Format, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const detail = (error as Error).message.replace(/\s+/g, ' ').trim();
    throw new ImageDecodeError(`unreadable ${FORMAT_NAMES[format]}: ${detail}`, { cause: error });
  }
}

function toChannels({ data, channels }: DecodedImage, target: 1 | 3): Uint8Array {
  return convertChannels(data, channels, target, (length) => new Uint8Array(length), luma);
}

/**
 * ITU-R 601-2 luma exactly as Pillow (7.0 and later) computes RGB to L: 16-bit fixed point, rounded. Pillow before 7.0
 * truncated (R*299 + G*587 + B*114) / 1000, which is one level lower for about half of all colors.
 */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

async function resize(pixels: Uint8Array, from: DecodedImage, spec: TargetSpec, height: number, width: number): Promise<Uint8Array> {
  // These pixels already passed the max_pixels check when they were decoded.
  const raw = { width: from.width, height: from.height, channels: spec.channels };
  const resized = sharp(pixels, { raw, limitInputPixels: false }).resize(width, height, {
    fit: 'fill',
    kernel: KERNELS[spec.interpolation],
  });
  // Without this, sharp writes one-channel input back out as three sRGB channels.
  return (spec.channels === 1 ? resized.toColourspace('b-w') : resized).raw().toBuffer();
}
