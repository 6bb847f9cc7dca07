// Runs under vitest: decodeImage end to end: format by magic bytes, the PNG fast path against sharp, channel conversion
// as Pillow does it, resizing, and the reasons given for files that cannot be read.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, sniffFormat, type TargetSpec } from '../../../../main/data/decode/image.js';
import { ImageDecodeError } from '../../../../main/data/decode/png-decode.js';
import { encodePng, pngChunk } from '../../../../main/data/decode/png-encode.js';

const MAX_PIXELS = 0x3fff * 0x3fff;
const RGB: TargetSpec = { channels: 3, interpolation: 'bilinear', maxPixels: MAX_PIXELS };
const GRAY: TargetSpec = { ...RGB, channels: 1 };

/** Deterministic bytes with some structure (a gradient plus noise), so lossy coders and resizing have work to do. */
function texture(width: number, height: number, channels: number, seed = 1): Uint8Array {
  let state = seed;
  const out = new Uint8Array(width * height * channels);
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const x = Math.floor(i / channels) % width;
    out[i] = ((x * 255) / Math.max(1, width - 1) + (state >>> 24) / 4 + (i % channels) * 40) & 0xff;
  }
  return out;
}

function raw(data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4) {
  return sharp(data, { raw: { width, height, channels } });
}

/** Pillow's RGB to L, the reference the channel step must match. */
function pillowLuma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

async function reason(bytes: Uint8Array, spec: TargetSpec = RGB): Promise<string> {
  const error = await decodeImage(bytes, spec).then(
    () => new Error('decoded without error'),
    (e: unknown) => e,
  );
  if (error instanceof ImageDecodeError) return error.reason;
  throw error;
}

describe('decodeImage reads formats by their magic bytes', () => {
  const [width, height] = [31, 17];
  const rgb = texture(width, height, 3);

  it('sniffs PNG, JPEG, WebP, GIF and TIFF, and nothing else', async () => {
    expect(sniffFormat(encodePng({ width, height, channels: 3, data: rgb }))).toBe('png');
    expect(sniffFormat(await raw(rgb, width, height, 3).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffFormat(await raw(rgb, width, height, 3).webp().toBuffer())).toBe('webp');
    expect(sniffFormat(await raw(rgb, width, height, 3).gif().toBuffer())).toBe('gif');
    expect(sniffFormat(await raw(rgb, width, height, 3).tiff().toBuffer())).toBe('tiff');
    expect(sniffFormat(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
  });

  it('ignores file names: a PNG named .jpg and a JPEG named .png both decode', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tributary-image-'));
    writeFileSync(path.join(dir, 'photo.jpg'), encodePng({ width, height, channels: 3, data: rgb }));
    writeFileSync(path.join(dir, 'scan.png'), await raw(rgb, width, height, 3).jpeg().toBuffer());
    const png = await decodeImage(readFileSync(path.join(dir, 'photo.jpg')), RGB);
    expect(png.original).toEqual({ width, height, channels: 3, format: 'png' });
    expect(Buffer.from(png.pixels)).toEqual(Buffer.from(rgb));
    expect((await decodeImage(readFileSync(path.join(dir, 'scan.png')), RGB)).original.format).toBe('jpeg');
  });

  it('refuses what is not an image, saying what it starts with', async () => {
    expect(await reason(Buffer.from('hello world\n'))).toBe("not an image: starts with 'hello wo'");
    expect(await reason(new Uint8Array(0))).toBe('empty file (0 bytes)');
    expect(await reason(Buffer.from('%PDF-1.7\n'))).toBe("not an image: starts with '%PDF-1.7'");
  });
});

describe('decodeImage: the PNG fast path and sharp give the same pixels', () => {
  const [width, height] = [31, 17];

  it('an Adam7-interlaced PNG goes through sharp and matches the same image decoded by the fast path', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const data = texture(width, height, channels, channels);
      const plain = encodePng({ width, height, channels, data });
      const interlaced = await raw(data, width, height, channels)
        .toColourspace(channels <= 2 ? 'b-w' : 'srgb')
        .png({ progressive: true })
        .toBuffer();
      expect(interlaced[28]).toBe(1);
      for (const spec of [RGB, GRAY]) {
        const fast = await decodeImage(plain, spec);
        const slow = await decodeImage(interlaced, spec);
        expect(Buffer.from(slow.pixels)).toEqual(Buffer.from(fast.pixels));
        expect(slow.original).toMatchObject({ width, height, format: 'png' });
      }
    }
  });

  it('16-bit PNGs come to 8 bits the same way on both paths', async () => {
    const values = Uint16Array.from({ length: width * height * 3 }, (_, i) => (i * 7919 + 123) & 0xffff);
    const plain = await raw(values, width, height, 3).toColourspace('rgb16').png().toBuffer();
    const interlaced = await raw(values, width, height, 3).toColourspace('rgb16').png({ progressive: true }).toBuffer();
    const fast = await decodeImage(plain, RGB);
    expect(Buffer.from(fast.pixels)).toEqual(Buffer.from(values.map((v) => v >> 8)));
    expect(Buffer.from((await decodeImage(interlaced, RGB)).pixels)).toEqual(Buffer.from(fast.pixels));
  });

  it('ignores embedded ICC profiles on both paths, as PIL does', async () => {
    const rgb = texture(width, height, 3, 12);
    const tagged = (progressive: boolean) => raw(rgb, width, height, 3).withIccProfile('p3').png({ progressive }).toBuffer();
    const [plain, interlaced] = [await tagged(false), await tagged(true)];
    expect(plain.includes('iCCP')).toBe(true);
    const fast = await decodeImage(plain, RGB);
    expect(Buffer.from((await decodeImage(interlaced, RGB)).pixels)).toEqual(Buffer.from(fast.pixels));
    // The profile does change pixels when applied, so the equality above is not a coincidence.
    expect(await sharp(interlaced).raw().toBuffer()).not.toEqual(Buffer.from(fast.pixels));
  });

  it('reads a PNG whose image data runs past what its header implies, as libpng does', async () => {
    const gray = texture(16, 16, 1);
    const rows = Buffer.concat(Array.from({ length: 16 }, (_, y) => Buffer.concat([Buffer.of(0), gray.subarray(y * 16, (y + 1) * 16)])));
    const png = encodePng({ width: 16, height: 16, channels: 1, data: gray });
    const idatAt = png.indexOf('IDAT') - 4;
    const surplus = deflateSync(Buffer.concat([rows, Buffer.alloc(4096, 7)]));
    const longer = Buffer.concat([png.subarray(0, idatAt), pngChunk('IDAT', surplus), pngChunk('IEND', new Uint8Array(0))]);
    expect(Buffer.from((await decodeImage(longer, GRAY)).pixels)).toEqual(Buffer.from(gray));
  });

  it('lossless WebP gives back the exact pixels', async () => {
    const rgb = texture(width, height, 3);
    const webp = await raw(rgb, width, height, 3).webp({ lossless: true }).toBuffer();
    const image = await decodeImage(webp, RGB);
    expect(image.original).toEqual({ width, height, channels: 3, format: 'webp' });
    expect(Buffer.from(image.pixels)).toEqual(Buffer.from(rgb));
  });
});

describe('decodeImage converts channels as Pillow does', () => {
  it('RGB to gray with rounded ITU-R 601-2 luma: values measured with Pillow 9.4 convert("L")', async () => {
    const colors = [
      [0, 1, 0],
      [1, 1, 1],
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [10, 200, 30],
      [123, 45, 67],
      [254, 253, 1],
      [77, 77, 78],
    ];
    const png = encodePng({ width: colors.length, height: 1, channels: 3, data: Uint8Array.from(colors.flat()) });
    const image = await decodeImage(png, GRAY);
    expect(image.channels).toBe(1);
    // (R*299 + G*587 + B*114) / 1000 truncated, Pillow's formula before 7.0, would give 0, 149, 123, 70 and 224 here.
    expect(Array.from(image.pixels)).toEqual([1, 1, 76, 150, 29, 124, 71, 225, 77]);
  });

  it('RGB to gray on every pixel of a textured image', async () => {
    const [width, height] = [64, 48];
    const rgb = texture(width, height, 3, 5);
    const image = await decodeImage(encodePng({ width, height, channels: 3, data: rgb }), GRAY);
    const expected = Array.from({ length: width * height }, (_, p) => pillowLuma(rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!));
    expect(Array.from(image.pixels)).toEqual(expected);
  });

  it('gray to RGB replicates the gray value', async () => {
    const gray = texture(28, 28, 1);
    const image = await decodeImage(encodePng({ width: 28, height: 28, channels: 1, data: gray }), RGB);
    expect(Buffer.from(image.pixels)).toEqual(Buffer.from(Array.from(gray).flatMap((v) => [v, v, v])));
  });

  it('drops alpha without compositing, from RGBA, gray+alpha and palette+tRNS', async () => {
    const [width, height] = [9, 7];
    const rgba = texture(width, height, 4, 3);
    for (let i = 3; i < rgba.length; i += 8) rgba[i] = 0;
    const rgbOnly = rgba.filter((_, i) => i % 4 !== 3);
    expect(Buffer.from((await decodeImage(encodePng({ width, height, channels: 4, data: rgba }), RGB)).pixels)).toEqual(
      Buffer.from(rgbOnly),
    );
    const grayAlpha = texture(width, height, 2, 4);
    const gray = grayAlpha.filter((_, i) => i % 2 === 0);
    expect(Buffer.from((await decodeImage(encodePng({ width, height, channels: 2, data: grayAlpha }), GRAY)).pixels)).toEqual(
      Buffer.from(gray),
    );
    const palette = await raw(rgba, width, height, 4).png({ palette: true, colours: 16 }).toBuffer();
    const paletteRgba = await sharp(palette).raw().toBuffer();
    expect(Buffer.from((await decodeImage(palette, RGB)).pixels)).toEqual(Buffer.from(paletteRgba.filter((_, i) => i % 4 !== 3)));
  });
});

describe('decodeImage resizes only when a size is asked for', () => {
  const [width, height] = [31, 17];
  const rgb = texture(width, height, 3, 8);
  const png = encodePng({ width, height, channels: 3, data: rgb });

  it('keeps the image size when none is given, and the same pixels when the size already fits', async () => {
    expect(await decodeImage(png, RGB)).toMatchObject({ width, height, channels: 3 });
    expect(Buffer.from((await decodeImage(png, { ...RGB, height, width })).pixels)).toEqual(Buffer.from(rgb));
  });

  it('nearest neighbour doubles each pixel into a 2x2 block', async () => {
    const tiny = Uint8Array.of(10, 20, 30, 40);
    const image = await decodeImage(encodePng({ width: 2, height: 2, channels: 1, data: tiny }), {
      ...GRAY,
      interpolation: 'nearest',
      height: 4,
      width: 4,
    });
    expect(Array.from(image.pixels)).toEqual([10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40]);
  });

  it('stretches to the target with fit fill, as sharp does from the file itself', async () => {
    const image = await decodeImage(png, { ...RGB, height: 28, width: 28 });
    expect(image).toMatchObject({ height: 28, width: 28, channels: 3 });
    const direct = await sharp(png).resize(28, 28, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    expect(Buffer.from(image.pixels)).toEqual(direct);
  });

  it('resizes gray as gray: the same values as resizing the replicated RGB', async () => {
    const gray = texture(width, height, 1, 9);
    const grayPng = encodePng({ width, height, channels: 1, data: gray });
    const target = { height: 12, width: 40 };
    const asGray = await decodeImage(grayPng, { ...GRAY, ...target });
    const asRgb = await decodeImage(grayPng, { ...RGB, ...target });
    expect(asGray.pixels.length).toBe(12 * 40);
    expect(Buffer.from(asGray.pixels)).toEqual(Buffer.from(asRgb.pixels.filter((_, i) => i % 3 === 0)));
  });

  it('maps each interpolation to its own sharp kernel', async () => {
    const kernels = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos3: 'lanczos3' } as const;
    const outputs = new Set<string>();
    for (const [interpolation, kernel] of Object.entries(kernels) as [
      TargetSpec['interpolation'],
      (typeof kernels)[keyof typeof kernels],
    ][]) {
      const image = await decodeImage(png, { ...RGB, interpolation, height: 11, width: 13 });
      expect(Buffer.from(image.pixels)).toEqual(await sharp(png).resize(13, 11, { fit: 'fill', kernel }).raw().toBuffer());
      outputs.add(Buffer.from(image.pixels).toString('hex'));
    }
    expect(outputs.size).toBe(4);
  });
});

describe('decodeImage through sharp: JPEG, WebP, GIF', () => {
  const [width, height] = [40, 30];
  const rgb = texture(width, height, 3, 11);

  it('decodes JPEG (color and gray) and reports its own channel count', async () => {
    const jpeg = await raw(rgb, width, height, 3).jpeg({ quality: 90 }).toBuffer();
    const color = await decodeImage(jpeg, RGB);
    expect(color.original).toEqual({ width, height, channels: 3, format: 'jpeg' });
    expect(Buffer.from(color.pixels)).toEqual(await sharp(jpeg).raw().toBuffer());
    const grayJpeg = await raw(texture(width, height, 1), width, height, 1)
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    const gray = await decodeImage(grayJpeg, GRAY);
    expect(gray.original).toEqual({ width, height, channels: 1, format: 'jpeg' });
    const grayBand = (await sharp(grayJpeg).raw().toBuffer()).filter((_, i) => i % 3 === 0);
    expect(Buffer.from(gray.pixels)).toEqual(Buffer.from(grayBand));
  });

  it('decodes lossy WebP and GIF to sharp’s pixels, alpha dropped', async () => {
    const webp = await raw(rgb, width, height, 3).webp({ quality: 80 }).toBuffer();
    expect(Buffer.from((await decodeImage(webp, RGB)).pixels)).toEqual(await sharp(webp).raw().toBuffer());
    const gif = await raw(rgb, width, height, 3).gif().toBuffer();
    const image = await decodeImage(gif, RGB);
    expect(image.original.format).toBe('gif');
    const { data, info } = await sharp(gif).raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.from(image.pixels)).toEqual(Buffer.from(data.filter((_, i) => i % info.channels < 3)));
  });

  it('refuses truncated files instead of returning them half decoded', async () => {
    const jpeg = await raw(rgb, width, height, 3).jpeg().toBuffer();
    expect(await reason(jpeg.subarray(0, Math.floor(jpeg.length * 0.8)))).toMatch(/^unreadable JPEG: .*premature end of JPEG/);
    const progressive = await raw(rgb, width, height, 3).jpeg({ progressive: true }).toBuffer();
    expect(await reason(progressive.subarray(0, Math.floor(progressive.length * 0.9)))).toMatch(/^unreadable JPEG: /);
    const webp = await raw(rgb, width, height, 3).webp().toBuffer();
    expect(await reason(webp.subarray(0, webp.length >> 1))).toMatch(/^unreadable WebP: /);
  });

  it('applies max_pixels on the sharp path with the same message as on the PNG path', async () => {
    const jpeg = await raw(rgb, width, height, 3).jpeg().toBuffer();
    const message = 'image is 40x30 (1,200 pixels), over the limit of 1,000; raise max_pixels if this is a real image';
    expect(await reason(jpeg, { ...RGB, maxPixels: 1000 })).toBe(message);
    expect(await reason(encodePng({ width, height, channels: 3, data: rgb }), { ...RGB, maxPixels: 1000 })).toBe(message);
  });
});
