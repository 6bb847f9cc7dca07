// Runs anywhere in main: a synchronous PNG decoder for the small non-interlaced files that make up most image datasets.
import { constants as bufferConstants } from 'node:buffer';
import { crc32, inflateSync } from 'node:zlib';

/** 8 bits per channel, interleaved, row-major: gray, gray+alpha, RGB or RGBA. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** May be a view into a larger (pooled) buffer: copy it before transferring its ArrayBuffer. */
  data: Uint8Array;
}

/** A file that cannot be decoded; `reason` is written for the site operator who has to find and fix the file. */
export class ImageDecodeError extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
    this.name = 'ImageDecodeError';
  }
}

/** A valid PNG this decoder leaves to sharp (Adam7 interlacing, or image data longer than its header implies). */
export class NeedsSharp extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'NeedsSharp';
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel and the bit depths the PNG spec allows, per color type. */
const COLOR_TYPES: Record<number, { samples: 1 | 2 | 3 | 4; depths: number[] }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16] },
  2: { samples: 3, depths: [8, 16] },
  3: { samples: 1, depths: [1, 2, 4, 8] },
  4: { samples: 2, depths: [8, 16] },
  6: { samples: 4, depths: [8, 16] },
};
const PALETTE = 3;

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

interface Chunks {
  header: Header;
  palette?: Uint8Array;
  transparency?: Uint8Array;
  idat: Uint8Array[];
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** The error for bytes no decoder recognises: empty, a PNG cut inside its signature, or something else entirely. */
export function unrecognizedFile(bytes: Uint8Array): ImageDecodeError {
  if (bytes.length === 0) return new ImageDecodeError('empty file (0 bytes)');
  if (bytes.length < 8 && Array.from(bytes).every((b, i) => b === SIGNATURE[i]))
    return new ImageDecodeError(`truncated PNG: the file is only ${bytes.length} bytes`);
  // The first bytes, printable, tell an operator what the file really is (text, HTML, an archive ...).
  const start = Array.from(bytes.subarray(0, 8), (b) =>
    b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
  );
  return new ImageDecodeError(`not an image: starts with '${start.join('')}'`);
}

/** Refuse an image by its header dimensions, before anything of its size is allocated. */
export function checkPixelLimit(width: number, height: number, maxPixels: number): void {
  const pixels = width * height;
  if (pixels > maxPixels) {
    const n = (v: number) => v.toLocaleString('en-US');
    throw new ImageDecodeError(
      `image is ${width}x${height} (${n(pixels)} pixels), over the limit of ${n(maxPixels)}; raise max_pixels if this is a real image`,
    );
  }
}

export function decodePng(bytes: Uint8Array, maxPixels: number): DecodedImage {
  const chunks = readChunks(bytes, maxPixels);
  return toChannels(...unfilteredRows(chunks), chunks);
}

/** Samples at the file's own depth: a 16-bit PNG keeps all 16 bits (0..65535), not only the high byte. */
export interface FullDepthImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** 65535 for 16-bit files, 255 for the rest (decoded as decodePng does). */
  maxValue: number;
  data: Float32Array;
}

/**
 * decodePng without the 8-bit step, for the float32 paths (medical and scientific images). A 16-bit file's tRNS color
 * key adds no alpha channel here: alpha is dropped on the way to the model anyway.
 */
export function decodePngFullDepth(bytes: Uint8Array, maxPixels: number): FullDepthImage {
  const chunks = readChunks(bytes, maxPixels);
  const { width, height, depth, colorType } = chunks.header;
  const [rows, rowBytes] = unfilteredRows(chunks);
  if (depth !== 16) {
    const image = toChannels(rows, rowBytes, chunks);
    return { width, height, channels: image.channels, maxValue: 255, data: Float32Array.from(image.data) };
  }
  const channels = COLOR_TYPES[colorType]!.samples;
  const data = new Float32Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (rows[2 * i]! << 8) | rows[2 * i + 1]!; // rows are packed, big-endian
  return { width, height, channels, maxValue: 65535, data };
}

/** The image data inflated and unfiltered into packed rows, and the bytes per row. */
function unfilteredRows(chunks: Chunks): [rows: Uint8Array, rowBytes: number] {
  const { header } = chunks;
  if (header.interlaced) throw new NeedsSharp('Adam7-interlaced PNG');
  const bitsPerPixel = header.depth * COLOR_TYPES[header.colorType]!.samples;
  const rowBytes = Math.ceil((header.width * bitsPerPixel) / 8);
  const rows = inflateRows(chunks.idat, header, rowBytes);
  unfilter(rows, header.height, rowBytes, Math.max(1, bitsPerPixel >> 3));
  return [rows, rowBytes];
}

function readChunks(bytes: Uint8Array, maxPixels: number): Chunks {
  if (!isPng(bytes)) throw unrecognizedFile(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; ;) {
    if (at + 8 > bytes.length) throw new ImageDecodeError(`truncated PNG: the file ends after ${bytes.length} bytes with no IEND chunk`);
    const length = view.getUint32(at);
    const type = chunkType(bytes, at);
    if (header === undefined && type !== 'IHDR') throw new ImageDecodeError(`corrupt PNG: the first chunk is '${type}', not IHDR`);
    // Everything before IEND has been read and checked, so a cut inside IEND's own checksum loses nothing.
    if (type === 'IEND') break;
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length < length) throw new ImageDecodeError(`truncated PNG: ${type} ends after ${body.length} of ${length} bytes`);
    if (at + 12 + length > bytes.length) throw new ImageDecodeError(`truncated PNG: the file ends inside the checksum of ${type}`);
    if (isUsed(type) && crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      throw new ImageDecodeError(`corrupt PNG: the ${type} chunk at byte ${at} fails its CRC check (the file is damaged)`);
    }
    if (type === 'IHDR') {
      header = parseHeader(body);
      checkPixelLimit(header.width, header.height, maxPixels);
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (isCritical(type)) throw new ImageDecodeError(`unsupported PNG: unknown critical chunk '${type}'`);
    at += 12 + length;
  }
  if (idat.length === 0) throw new ImageDecodeError('corrupt PNG: no IDAT chunk, so no image data');
  if (header!.colorType === PALETTE && !(palette && palette.length > 0 && palette.length <= 768 && palette.length % 3 === 0)) {
    throw new ImageDecodeError('corrupt PNG: palette image without a valid PLTE chunk');
  }
  return { header: header!, palette, transparency, idat };
}

function chunkType(bytes: Uint8Array, at: number): string {
  let type = '';
  for (let i = at + 4; i < at + 8; i++) {
    // Chunk types are four ASCII letters; anything else means the chunk walk has left the real structure.
    const letter = bytes[i]! | 0x20;
    if (letter < 0x61 || letter > 0x7a) throw new ImageDecodeError(`corrupt PNG: no valid chunk at byte ${at}`);
    type += String.fromCharCode(bytes[i]!);
  }
  return type;
}

function isUsed(type: string): boolean {
  return type === 'IHDR' || type === 'PLTE' || type === 'tRNS' || type === 'IDAT';
}

function isCritical(type: string): boolean {
  return type.charCodeAt(0) < 0x61;
}

function parseHeader(body: Uint8Array): Header {
  if (body.length !== 13) throw new ImageDecodeError(`corrupt PNG: IHDR is ${body.length} bytes, not 13`);
  const view = new DataView(body.buffer, body.byteOffset, 13);
  const [width, height] = [view.getUint32(0), view.getUint32(4)];
  const [depth, colorType, compression, filter, interlace] = body.subarray(8, 13);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    throw new ImageDecodeError(`corrupt PNG: IHDR says ${width}x${height}`);
  if (!COLOR_TYPES[colorType!]?.depths.includes(depth!))
    throw new ImageDecodeError(`corrupt PNG: color type ${colorType} with bit depth ${depth} is not valid PNG`);
  if (compression !== 0 || filter !== 0 || interlace! > 1)
    throw new ImageDecodeError('corrupt PNG: unknown compression, filter or interlace method in IHDR');
  return { width, height, depth: depth!, colorType: colorType!, interlaced: interlace === 1 };
}

/**
 * Inflate into exactly the filtered size the header implies, so a lying IDAT cannot make us allocate more.
 * node:zlib beat fflate here: on 3000 Fashion-MNIST 28x28 PNGs (one thread), inflateSync took 5.1-5.8 us/image,
 * fflate's unzlibSync 9.3-9.7 us into a preset output buffer and 19-27 us sizing its own.
 */
function inflateRows(idat: Uint8Array[], header: Header, rowBytes: number): Uint8Array {
  const expected = header.height * (rowBytes + 1);
  const compressed = idat.reduce((sum, part) => sum + part.length, 0);
  // Deflate expands at most 1032:1 (a 258-byte match coded in 2 bits), so a header that promises far more than the
  // compressed data can hold is refused here, before a buffer of the promised size exists.
  if (expected > compressed * 1032) {
    throw new ImageDecodeError(
      `truncated PNG: ${compressed} bytes of compressed image data cannot hold the ${expected} bytes a ${header.width}x${header.height} image needs`,
    );
  }
  if (expected >= bufferConstants.MAX_LENGTH)
    throw new ImageDecodeError(`image is ${header.width}x${header.height}, too large to decode in memory`);
  let rows: Uint8Array;
  try {
    // A chunk one byte longer than the output holds it whole: no concatenation copy (peak memory is the image itself),
    // and zlib sees the stream end without allocating a second chunk.
    rows = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), {
      maxOutputLength: expected,
      chunkSize: Math.max(64, expected + 1),
    });
  } catch (error) {
    throw inflateFailure(error as NodeJS.ErrnoException, expected);
  }
  if (rows.length < expected)
    throw new ImageDecodeError(
      `truncated PNG: the image data holds ${rows.length} of the ${expected} bytes a ${header.width}x${header.height} image needs`,
    );
  return rows;
}

function inflateFailure(error: NodeJS.ErrnoException, expected: number): Error {
  // libpng accepts (and ignores) surplus image data, so such a file is odd but not broken: sharp decides.
  if (error.code === 'ERR_BUFFER_TOO_LARGE')
    return new NeedsSharp(`image data inflates to more than the ${expected} bytes its header implies`);
  if (error.code === 'Z_BUF_ERROR') return new ImageDecodeError('truncated PNG: the compressed image data stops early', { cause: error });
  return new ImageDecodeError(`corrupt PNG: the image data does not inflate (${error.message})`, { cause: error });
}

/**
 * Undo the per-row filters in place, packing the rows tightly as it goes: row y is written at y*rowBytes while it is
 * read from y*(rowBytes+1)+1, so each write lands on bytes already read, and the previous row is already packed.
 */
function unfilter(buf: Uint8Array, height: number, rowBytes: number, bpp: number): void {
  const zeros = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const src = y * (rowBytes + 1) + 1;
    const dst = y * rowBytes;
    const prev = y === 0 ? zeros : buf;
    const up = y === 0 ? 0 : dst - rowBytes;
    const filter = buf[src - 1]!;
    if (filter === 0) buf.copyWithin(dst, src, src + rowBytes);
    else if (filter === 1) unSub(buf, src, dst, rowBytes, bpp);
    else if (filter === 2) unUp(buf, src, dst, rowBytes, prev, up);
    else if (filter === 3) unAverage(buf, src, dst, rowBytes, bpp, prev, up);
    else if (filter === 4) unPaeth(buf, src, dst, rowBytes, bpp, prev, up);
    else throw new ImageDecodeError(`corrupt PNG: row ${y} has filter type ${filter}, which does not exist`);
  }
}

function unSub(buf: Uint8Array, src: number, dst: number, n: number, bpp: number): void {
  for (let i = 0; i < bpp; i++) buf[dst + i] = buf[src + i]!;
  for (let i = bpp; i < n; i++) buf[dst + i] = buf[src + i]! + buf[dst + i - bpp]!;
}

function unUp(buf: Uint8Array, src: number, dst: number, n: number, prev: Uint8Array, up: number): void {
  for (let i = 0; i < n; i++) buf[dst + i] = buf[src + i]! + prev[up + i]!;
}

function unAverage(buf: Uint8Array, src: number, dst: number, n: number, bpp: number, prev: Uint8Array, up: number): void {
  for (let i = 0; i < bpp; i++) buf[dst + i] = buf[src + i]! + (prev[up + i]! >> 1);
  for (let i = bpp; i < n; i++) buf[dst + i] = buf[src + i]! + ((buf[dst + i - bpp]! + prev[up + i]!) >> 1);
}

function unPaeth(buf: Uint8Array, src: number, dst: number, n: number, bpp: number, prev: Uint8Array, up: number): void {
  for (let i = 0; i < bpp; i++) buf[dst + i] = buf[src + i]! + prev[up + i]!;
  for (let i = bpp; i < n; i++) {
    const a = buf[dst + i - bpp]!,
      b = prev[up + i]!,
      c = prev[up + i - bpp]!;
    const pa = Math.abs(b - c),
      pb = Math.abs(a - c),
      pc = Math.abs(a + b - c - c);
    buf[dst + i] = buf[src + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
  }
}

/**
 * Bring unfiltered rows to 8-bit channels the way libpng does for libvips, so this path and sharp agree byte for byte:
 * palettes expand to RGB (RGBA when tRNS is present), a tRNS key adds an alpha channel to gray or RGB, 1/2/4-bit gray
 * scales up to 0..255, and 16-bit samples keep their high byte (sharp's 8-bit output truncates, it does not round).
 */
function toChannels(rows: Uint8Array, rowBytes: number, { header, palette, transparency }: Chunks): DecodedImage {
  const { width, height, depth, colorType } = header;
  if (colorType === PALETTE) return expandPalette(rows, header, rowBytes, palette!, transparency);
  const samples = COLOR_TYPES[colorType]!.samples;
  const key = colorKey(transparency, samples, depth);
  if (key === undefined && depth === 8) return { width, height, channels: samples, data: rows.subarray(0, height * rowBytes) };
  if (key === undefined && depth === 16) return { width, height, channels: samples, data: keepHighBytes(rows, width * height * samples) };
  return expandSamples(rows, header, rowBytes, samples, key);
}

/** The tRNS color key of a gray or RGB image, masked to its bit depth as libpng does; none for other types. */
function colorKey(transparency: Uint8Array | undefined, samples: number, depth: number): number[] | undefined {
  if (transparency === undefined || (samples !== 1 && samples !== 3) || transparency.length !== samples * 2) return undefined;
  const mask = (1 << depth) - 1;
  return Array.from({ length: samples }, (_, s) => ((transparency[2 * s]! << 8) | transparency[2 * s + 1]!) & mask);
}

function keepHighBytes(rows: Uint8Array, count: number): Uint8Array {
  for (let i = 0; i < count; i++) rows[i] = rows[2 * i]!;
  return rows.subarray(0, count);
}

/** One sample of a packed row at the file's bit depth (1, 2, 4, 8 or 16 bits). */
function sampleAt(rows: Uint8Array, rowStart: number, index: number, depth: number): number {
  if (depth === 8) return rows[rowStart + index]!;
  if (depth === 16) return (rows[rowStart + 2 * index]! << 8) | rows[rowStart + 2 * index + 1]!;
  const bit = index * depth;
  return (rows[rowStart + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

function expandSamples(
  rows: Uint8Array,
  { width, height, depth }: Header,
  rowBytes: number,
  samples: 1 | 2 | 3 | 4,
  key: number[] | undefined,
): DecodedImage {
  const channels = (key ? samples + 1 : samples) as 1 | 2 | 3 | 4;
  const data = new Uint8Array(width * height * channels);
  const to8 = depth === 16 ? (v: number) => v >> 8 : (v: number) => (v * 255) / ((1 << depth) - 1);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let transparent = key !== undefined;
      for (let s = 0; s < samples; s++) {
        const v = sampleAt(rows, y * rowBytes, x * samples + s, depth);
        if (key && v !== key[s]) transparent = false;
        data[o++] = to8(v);
      }
      if (key) data[o++] = transparent ? 0 : 255;
    }
  }
  return { width, height, channels, data };
}

/** Out-of-range indices read black and opaque, as libpng's zero-padded palette gives them; libpng ignores a tRNS longer than the palette. */
function expandPalette(
  rows: Uint8Array,
  { width, height, depth }: Header,
  rowBytes: number,
  palette: Uint8Array,
  tRNS: Uint8Array | undefined,
): DecodedImage {
  const transparency = tRNS && tRNS.length > 0 && tRNS.length <= palette.length / 3 ? tRNS : undefined;
  const channels = transparency ? 4 : 3;
  const lut = new Uint8Array(256 * channels);
  for (let i = 0; i < 256; i++) {
    if (3 * i + 2 < palette.length) lut.set(palette.subarray(3 * i, 3 * i + 3), i * channels);
    if (transparency) lut[i * 4 + 3] = transparency[i] ?? 255;
  }
  const data = new Uint8Array(width * height * channels);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const entry = sampleAt(rows, y * rowBytes, x, depth) * channels;
      for (let c = 0; c < channels; c++) data[o++] = lut[entry + c]!;
    }
  }
  return { width, height, channels, data };
}
