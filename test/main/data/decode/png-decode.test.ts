// Runs under vitest: decodePng against sharp/libvips as the oracle, on every PNG color type, bit depth and filter type,
// and on broken files (truncated, corrupt, not images, decompression bombs).
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePng, ImageDecodeError, NeedsSharp, type DecodedImage } from '../../../../main/data/decode/png-decode.js';
import { encodePng, PNG_SIGNATURE, pngChunk } from '../../../../main/data/decode/png-encode.js';

const MAX_PIXELS = 0x3fff * 0x3fff;
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const COLOR_TYPE_OF_CHANNELS: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };
const SIZES: [number, number][] = [
  [1, 1],
  [3, 5],
  [28, 28],
  [31, 17],
  [2, 64],
];

interface Ihdr {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace?: number;
}

/** A deterministic PRNG (mulberry32), so a failing case can be reproduced. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sample values (0..2^depth-1) mixing noise, gradients and near-repeated rows, so adaptive filtering varies its choice. */
function samples(count: number, rowLength: number, depth: number, seed: number): number[] {
  const next = random(seed);
  const max = 2 ** depth - 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / rowLength),
      col = i % rowLength;
    const kind = row % 4;
    const value =
      kind === 0
        ? next() * max
        : kind === 1
          ? (col / rowLength) * max
          : kind === 2
            ? (((row * 7 + col * 3) % 64) / 63) * max
            : (out[i - rowLength] ?? 0) + next() * 2;
    out.push(Math.min(max, Math.round(value)));
  }
  return out;
}

const IEND = pngChunk('IEND', new Uint8Array(0));

function ihdrChunk({ width, height, depth, colorType, interlace = 0 }: Ihdr): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt32BE(width, 0);
  body.writeUInt32BE(height, 4);
  body.set([depth, colorType, 0, 0, interlace], 8);
  return pngChunk('IHDR', body);
}

/** Pack one row of samples at 1, 2, 4, 8 or 16 bits, big-endian, as PNG stores them. */
function packRow(values: number[], depth: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * depth) / 8));
  values.forEach((v, i) => {
    if (depth === 16) out.set([v >> 8, v & 0xff], 2 * i);
    else out[(i * depth) >> 3]! |= v << (8 - depth - ((i * depth) & 7));
  });
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filter packed rows with the type `pick(y)` gives each row: the PNG spec's definitions, written plainly. */
function filterRows(rows: Uint8Array[], bpp: number, pick: (y: number) => number): Uint8Array {
  const rowBytes = rows[0]!.length;
  const out = new Uint8Array(rows.length * (rowBytes + 1));
  rows.forEach((row, y) => {
    const prev = y > 0 ? rows[y - 1]! : new Uint8Array(rowBytes);
    const type = pick(y);
    out[y * (rowBytes + 1)] = type;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0,
        b = prev[i]!,
        c = i >= bpp ? prev[i - bpp]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type]!;
      out[y * (rowBytes + 1) + 1 + i] = (row[i]! - predictor) & 0xff;
    }
  });
  return out;
}

/** The filtered image data of samples (row-major, interleaved), each row filtered as `pick` says. */
function filteredOf(ihdr: Ihdr, values: number[], pick: (y: number) => number): Uint8Array {
  const perRow = ihdr.width * SAMPLES[ihdr.colorType]!;
  const rows = Array.from({ length: ihdr.height }, (_, y) => packRow(values.slice(y * perRow, (y + 1) * perRow), ihdr.depth));
  return filterRows(rows, Math.max(1, (ihdr.depth * SAMPLES[ihdr.colorType]!) >> 3), pick);
}

/** A whole PNG; `extra` chunks go between IHDR and IDAT, and the compressed data may be split over several IDATs. */
function buildPng(ihdr: Ihdr, filtered: Uint8Array, extra: Buffer[] = [], idatParts = 1): Buffer {
  const compressed = deflateSync(filtered);
  const size = Math.ceil(compressed.length / idatParts);
  const idats = Array.from({ length: idatParts }, (_, i) => pngChunk('IDAT', compressed.subarray(i * size, (i + 1) * size)));
  return Buffer.concat([PNG_SIGNATURE, ihdrChunk(ihdr), ...extra, ...idats, IEND]);
}

function readIhdr(png: Uint8Array): Required<Ihdr> {
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.readUInt32BE(16), height: view.readUInt32BE(20), depth: png[24]!, colorType: png[25]!, interlace: png[28]! };
}

/** Every chunk as [type, offset of its length field, data length]. */
function chunksOf(png: Uint8Array): [string, number, number][] {
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const out: [string, number, number][] = [];
  for (let at = 8; at + 8 <= png.length; at += 12 + view.readUInt32BE(at))
    out.push([view.toString('latin1', at + 4, at + 8), at, view.readUInt32BE(at)]);
  return out;
}

/** The filter type byte of every row of a non-interlaced PNG. */
function rowFilters(png: Uint8Array): number[] {
  const { width, height, depth, colorType } = readIhdr(png);
  const idat = chunksOf(png)
    .filter(([type]) => type === 'IDAT')
    .map(([, at, length]) => png.subarray(at + 8, at + 8 + length));
  const raw = inflateSync(Buffer.concat(idat));
  const stride = Math.ceil((width * depth * SAMPLES[colorType]!) / 8) + 1;
  return Array.from({ length: height }, (_, y) => raw[y * stride]!);
}

/** What sharp/libvips decodes: always sRGB, so gray comes back as three equal channels. */
async function viaSharp(png: Uint8Array): Promise<Buffer> {
  return sharp(png).raw().toBuffer();
}

/** Our decoded image as sharp reports it: gray and gray+alpha replicated to RGB and RGBA. */
function asSharpSees({ data, channels }: DecodedImage): Buffer {
  if (channels >= 3) return Buffer.from(data);
  const out: number[] = [];
  for (let i = 0; i < data.length; i += channels) out.push(data[i]!, data[i]!, data[i]!, ...(channels === 2 ? [data[i + 1]!] : []));
  return Buffer.from(out);
}

/** The 8-bit values a decoder must produce from samples, worked out independently of any decoder. */
function expected8(ihdr: Ihdr, values: number[], palette?: Uint8Array): Buffer {
  if (ihdr.colorType === 3) return Buffer.from(values.flatMap((v) => [...palette!.subarray(3 * v, 3 * v + 3)]));
  return Buffer.from(values.map((v) => (ihdr.depth === 16 ? v >> 8 : (v * 255) / (2 ** ihdr.depth - 1))));
}

function reason(bytes: Uint8Array, maxPixels = MAX_PIXELS): string {
  try {
    decodePng(bytes, maxPixels);
  } catch (error) {
    if (error instanceof ImageDecodeError) return error.reason;
    throw error;
  }
  throw new Error('decoded without error');
}

describe('decodePng agrees with sharp byte for byte', () => {
  it('decodes encodePng output in all four 8-bit color types to the exact pixels', async () => {
    const filters = new Set<number>();
    for (const channels of [1, 2, 3, 4]) {
      for (const [width, height] of SIZES) {
        const data = Uint8Array.from(samples(width * height * channels, width * channels, 8, width * 1000 + height * 10 + channels));
        const png = encodePng({ width, height, channels, data });
        expect(readIhdr(png)).toEqual({ width, height, depth: 8, colorType: COLOR_TYPE_OF_CHANNELS[channels], interlace: 0 });
        const decoded = decodePng(png, MAX_PIXELS);
        expect(decoded).toMatchObject({ width, height, channels });
        expect(Buffer.from(decoded.data)).toEqual(Buffer.from(data));
        expect(asSharpSees(decoded)).toEqual(await viaSharp(png));
        for (const f of rowFilters(png)) filters.add(f);
      }
    }
    // encodePng picks a filter per row; unless the textures make it use all five, this test would not cover unfiltering.
    expect([...filters].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  // Every layout a PNG can have; each row filtered with each of the five types, the first row included.
  const layouts: [depth: number, colorType: number][] = [
    [1, 0],
    [2, 0],
    [4, 0],
    [8, 0],
    [16, 0],
    [8, 2],
    [16, 2],
    [1, 3],
    [2, 3],
    [4, 3],
    [8, 3],
    [8, 4],
    [16, 4],
    [8, 6],
    [16, 6],
  ];
  it.each(layouts)('unfilters all five filter types at bit depth %i, color type %i', async (depth, colorType) => {
    const ihdr = { width: 13, height: 10, depth, colorType };
    const perRow = ihdr.width * SAMPLES[colorType]!;
    const values = samples(perRow * ihdr.height, perRow, depth, depth * 10 + colorType);
    const next = random(depth);
    const palette = Uint8Array.from({ length: 3 * 2 ** Math.min(depth, 8) }, () => Math.floor(next() * 256));
    const extra = colorType === 3 ? [pngChunk('PLTE', palette)] : [];
    for (let shift = 0; shift < 5; shift++) {
      const png = buildPng(
        ihdr,
        filteredOf(ihdr, values, (y) => (y + shift) % 5),
        extra,
      );
      expect(rowFilters(png)[0]).toBe(shift);
      const decoded = decodePng(png, MAX_PIXELS);
      expect(decoded.channels).toBe(colorType === 3 ? 3 : SAMPLES[colorType]);
      expect(Buffer.from(decoded.data)).toEqual(expected8(ihdr, values, palette));
      expect(asSharpSees(decoded)).toEqual(await viaSharp(png));
    }
  });

  it('expands palettes as sharp writes them, at 1, 2, 4 and 8 bits, with and without tRNS', async () => {
    for (const channels of [3, 4] as const) {
      for (const [colours, depth] of [
        [2, 1],
        [4, 2],
        [16, 4],
        [256, 8],
      ] as const) {
        const [width, height] = [31, 17];
        const data = Uint8Array.from(samples(width * height * channels, width * channels, 8, colours + channels));
        const png = await sharp(data, { raw: { width, height, channels } }).png({ palette: true, colours, dither: 0 }).toBuffer();
        expect(readIhdr(png)).toMatchObject({ depth, colorType: 3 });
        expect(chunksOf(png).some(([type]) => type === 'tRNS')).toBe(channels === 4);
        const decoded = decodePng(png, MAX_PIXELS);
        expect(decoded.channels).toBe(channels);
        expect(Buffer.from(decoded.data)).toEqual(await viaSharp(png));
      }
    }
  });

  it('keeps the high byte of 16-bit samples, as sharp does (it truncates, it does not round v/257)', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const [width, height] = [31, 17];
      const values = Uint16Array.from(samples(width * height * channels, width * channels, 16, channels));
      const png = await sharp(values, { raw: { width, height, channels } })
        .toColourspace(channels <= 2 ? 'grey16' : 'rgb16')
        .png()
        .toBuffer();
      expect(readIhdr(png)).toMatchObject({ depth: 16, colorType: COLOR_TYPE_OF_CHANNELS[channels] });
      const decoded = decodePng(png, MAX_PIXELS);
      expect(Buffer.from(decoded.data)).toEqual(Buffer.from(values.map((v) => v >> 8)));
      expect(asSharpSees(decoded)).toEqual(await viaSharp(png));
    }
  });

  it('turns a tRNS color key on gray and RGB into an alpha channel, as libpng does', async () => {
    const cases: [depth: number, colorType: number, key: number[]][] = [
      [2, 0, [2]],
      [8, 0, [10]],
      [16, 0, [0x0102]],
      [8, 2, [1, 2, 3]],
      [16, 2, [0x0a0b, 0, 0xffff]],
    ];
    for (const [depth, colorType, key] of cases) {
      const ihdr = { width: 9, height: 6, depth, colorType };
      const perRow = ihdr.width * key.length;
      const values = samples(perRow * ihdr.height, perRow, depth, depth);
      for (let p = 0; p < values.length; p += 3 * key.length) values.splice(p, key.length, ...key);
      const tRNS = pngChunk('tRNS', Uint8Array.from(key.flatMap((k) => [k >> 8, k & 0xff])));
      const png = buildPng(
        ihdr,
        filteredOf(ihdr, values, (y) => y % 5),
        [tRNS],
      );
      const decoded = decodePng(png, MAX_PIXELS);
      expect(decoded.channels).toBe(key.length + 1);
      const alpha = Array.from(decoded.data.filter((_, i) => i % decoded.channels === key.length));
      const keyed = Array.from({ length: alpha.length }, (_, p) => key.every((k, s) => values[p * key.length + s] === k));
      expect(alpha).toEqual(keyed.map((isKey) => (isKey ? 0 : 255)));
      expect(keyed.filter(Boolean).length).toBeGreaterThanOrEqual(alpha.length / 3);
      expect(asSharpSees(decoded)).toEqual(await viaSharp(png));
    }
  });

  it('reads palette indices past the end of PLTE as black, as libpng does', async () => {
    const ihdr = { width: 8, height: 2, depth: 8, colorType: 3 };
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0];
    const plte = pngChunk('PLTE', Uint8Array.of(200, 10, 20, 30, 200, 40, 50, 60, 200));
    const png = buildPng(
      ihdr,
      filteredOf(ihdr, values, () => 0),
      [plte],
    );
    const decoded = decodePng(png, MAX_PIXELS);
    expect(Array.from(decoded.data.subarray(0, 12))).toEqual([200, 10, 20, 30, 200, 40, 50, 60, 200, 0, 0, 0]);
    expect(Buffer.from(decoded.data)).toEqual(await viaSharp(png));
  });

  it('joins image data split over several IDAT chunks and skips ancillary chunks', async () => {
    const ihdr = { width: 28, height: 28, depth: 8, colorType: 2 };
    const values = samples(28 * 28 * 3, 28 * 3, 8, 7);
    const filtered = filteredOf(ihdr, values, (y) => y % 5);
    const text = pngChunk('tEXt', Buffer.from('Comment\0made by a test', 'latin1'));
    const png = buildPng(ihdr, filtered, [text], 4);
    expect(chunksOf(png).filter(([type]) => type === 'IDAT')).toHaveLength(4);
    expect(Buffer.from(decodePng(png, MAX_PIXELS).data)).toEqual(Buffer.from(values));
    expect(Buffer.from(decodePng(png, MAX_PIXELS).data)).toEqual(await viaSharp(png));
  });
});

describe('decodePng refuses broken files with a reason an operator can act on', () => {
  const width = 28,
    height = 28;
  const data = Uint8Array.from(samples(width * height * 3, width * 3, 8, 99));
  const good = encodePng({ width, height, channels: 3, data });
  const [, idatAt, idatLength] = chunksOf(good).find(([type]) => type === 'IDAT')!;
  const filtered = filteredOf({ width, height, depth: 8, colorType: 2 }, Array.from(data), () => 1);

  it('names empty files and files that are not images', () => {
    expect(reason(new Uint8Array(0))).toBe('empty file (0 bytes)');
    expect(reason(Buffer.from('hello world, this is a text file\n'))).toBe("not an image: starts with 'hello wo'");
    expect(reason(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46))).toBe(
      "not an image: starts with '\\xff\\xd8\\xff\\xe0\\x00\\x10JF'",
    );
  });

  it('says where a truncated file ends', () => {
    expect(reason(good.subarray(0, 5))).toBe('truncated PNG: the file is only 5 bytes');
    expect(reason(good.subarray(0, 8))).toBe('truncated PNG: the file ends after 8 bytes with no IEND chunk');
    expect(reason(good.subarray(0, 20))).toBe('truncated PNG: IHDR ends after 4 of 13 bytes');
    expect(reason(good.subarray(0, idatAt + 8 + 120))).toBe(`truncated PNG: IDAT ends after 120 of ${idatLength} bytes`);
    expect(reason(good.subarray(0, idatAt + 8 + idatLength + 2))).toBe('truncated PNG: the file ends inside the checksum of IDAT');
    expect(reason(good.subarray(0, good.length - 12))).toBe(
      `truncated PNG: the file ends after ${good.length - 12} bytes with no IEND chunk`,
    );
    // Everything before IEND is whole, so a cut in IEND's own checksum loses nothing.
    expect(Buffer.from(decodePng(good.subarray(0, good.length - 2), MAX_PIXELS).data)).toEqual(Buffer.from(data));
  });

  it('tells truncated image data from corrupt image data', () => {
    const ihdr = ihdrChunk({ width, height, depth: 8, colorType: 2 });
    const withIdat = (idat: Uint8Array) => Buffer.concat([PNG_SIGNATURE, ihdr, pngChunk('IDAT', idat), IEND]);
    const stream = deflateSync(filtered);
    expect(reason(withIdat(stream.subarray(0, stream.length >> 1)))).toBe('truncated PNG: the compressed image data stops early');
    expect(reason(withIdat(deflateSync(filtered.subarray(0, 10 * (width * 3 + 1)))))).toBe(
      `truncated PNG: the image data holds ${10 * (width * 3 + 1)} of the ${height * (width * 3 + 1)} bytes a 28x28 image needs`,
    );
    const next = random(5);
    const junk = Uint8Array.from({ length: 400 }, () => Math.floor(next() * 256));
    junk.set([0x78, 0x9c]);
    expect(reason(withIdat(junk))).toMatch(/^corrupt PNG: the image data does not inflate \(.+\)$/);
  });

  it('checks the CRCs of IHDR and IDAT', () => {
    const badIdat = Buffer.from(good);
    badIdat[idatAt + 8 + 50]! ^= 0x01;
    expect(reason(badIdat)).toBe(`corrupt PNG: the IDAT chunk at byte ${idatAt} fails its CRC check (the file is damaged)`);
    const badIhdr = Buffer.from(good);
    badIhdr[19]! ^= 0x01;
    expect(reason(badIhdr)).toBe('corrupt PNG: the IHDR chunk at byte 8 fails its CRC check (the file is damaged)');
  });

  it('refuses structurally broken files', () => {
    const ihdr = (depth: number, colorType: number) => ihdrChunk({ width, height, depth, colorType });
    expect(reason(Buffer.concat([PNG_SIGNATURE, ihdr(8, 2), IEND]))).toBe('corrupt PNG: no IDAT chunk, so no image data');
    expect(reason(Buffer.concat([PNG_SIGNATURE, pngChunk('IDAT', deflateSync(filtered)), IEND]))).toBe(
      "corrupt PNG: the first chunk is 'IDAT', not IHDR",
    );
    expect(reason(Buffer.concat([PNG_SIGNATURE, ihdr(3, 2), pngChunk('IDAT', deflateSync(filtered)), IEND]))).toBe(
      'corrupt PNG: color type 2 with bit depth 3 is not valid PNG',
    );
    expect(reason(Buffer.concat([PNG_SIGNATURE, ihdr(8, 3), pngChunk('IDAT', deflateSync(filtered)), IEND]))).toBe(
      'corrupt PNG: palette image without a valid PLTE chunk',
    );
    const idat = pngChunk('IDAT', deflateSync(filtered));
    expect(reason(Buffer.concat([PNG_SIGNATURE, ihdr(8, 2), pngChunk('CgBI', new Uint8Array(4)), idat, IEND]))).toBe(
      "unsupported PNG: unknown critical chunk 'CgBI'",
    );
    const garbage = Buffer.concat([PNG_SIGNATURE, ihdr(8, 2), Buffer.from('\0\0\0\x04\x01\x02\x03\x04junkjunk', 'latin1'), idat, IEND]);
    expect(reason(garbage)).toBe('corrupt PNG: no valid chunk at byte 33');
    const badFilter = Uint8Array.from(filtered);
    badFilter[3 * (width * 3 + 1)] = 7;
    expect(reason(Buffer.concat([PNG_SIGNATURE, ihdr(8, 2), pngChunk('IDAT', deflateSync(badFilter)), IEND]))).toBe(
      'corrupt PNG: row 3 has filter type 7, which does not exist',
    );
  });

  it('refuses a decompression bomb by its header, before inflating anything', () => {
    const ihdr = ihdrChunk({ width: 100_000, height: 100_000, depth: 8, colorType: 6 });
    const bomb = Buffer.concat([PNG_SIGNATURE, ihdr, pngChunk('IDAT', deflateSync(new Uint8Array(1000))), IEND]);
    expect(reason(bomb)).toBe(
      'image is 100000x100000 (10,000,000,000 pixels), over the limit of 268,402,689; raise max_pixels if this is a real image',
    );
    // With the limit raised, a few compressed bytes still cannot hold 40 GB: refused before a buffer of that size exists.
    const before = process.memoryUsage().arrayBuffers;
    expect(reason(bomb, 1e12)).toMatch(
      /^truncated PNG: \d+ bytes of compressed image data cannot hold the 40000100000 bytes a 100000x100000 image needs$/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it('inflates no more than the header implies when the IDAT holds far more', () => {
    const flood = deflateSync(Buffer.alloc(64 * 2 ** 20), { level: 9 });
    const png = Buffer.concat([PNG_SIGNATURE, ihdrChunk({ width: 16, height: 16, depth: 8, colorType: 0 }), pngChunk('IDAT', flood), IEND]);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodePng(png, MAX_PIXELS)).toThrow(NeedsSharp);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it('leaves Adam7-interlaced PNGs to sharp, but only once their chunks check out', async () => {
    const interlaced = await sharp(data, { raw: { width, height, channels: 3 } })
      .png({ progressive: true })
      .toBuffer();
    expect(readIhdr(interlaced).interlace).toBe(1);
    expect(() => decodePng(interlaced, MAX_PIXELS)).toThrow(NeedsSharp);
    expect(reason(interlaced.subarray(0, interlaced.length - 40))).toMatch(/^truncated PNG: IDAT ends after \d+ of \d+ bytes$/);
  });
});
