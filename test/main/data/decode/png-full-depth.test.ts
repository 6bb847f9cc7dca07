// Runs under vitest: 16-bit PNGs (written by sharp/libpng at test time) decode to float32 with all 16 bits, not the high byte.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePng, decodePngFullDepth, NeedsSharp } from '../../../../main/data/decode/png-decode.js';
import { encodePng } from '../../../../main/data/decode/png-encode.js';

const MAX_PIXELS = 2 ** 24;

/** Values that differ only in their low byte next to each other, and a ramp over the whole range. */
function values(count: number, seed: number): Uint16Array {
  return Uint16Array.from({ length: count }, (_, i) => (i % 3 === 0 ? 0x1200 + (i % 7) : (i * 2654435761 + seed) % 65536));
}

async function png16(data: Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4, options = {}): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels } })
    .toColourspace(channels <= 2 ? 'grey16' : 'rgb16')
    .png({ adaptiveFiltering: true, ...options })
    .toBuffer();
}

describe('decodePngFullDepth', () => {
  it.each([1, 2, 3, 4] as const)('keeps all 16 bits of every sample with %i channel(s)', async (channels) => {
    const [width, height] = [31, 17];
    const data = values(width * height * channels, channels);
    const png = await png16(data, width, height, channels);
    expect(png[24]).toBe(16); // the bit depth in IHDR: libpng wrote 16 bits
    const decoded = decodePngFullDepth(png, MAX_PIXELS);
    expect({ width: decoded.width, height: decoded.height, channels: decoded.channels, maxValue: decoded.maxValue }).toEqual({
      width,
      height,
      channels,
      maxValue: 65535,
    });
    expect(decoded.data).toEqual(Float32Array.from(data));
    // The 8-bit path still keeps only the high byte, which is what this one exists to avoid.
    expect(Array.from(decodePng(png, MAX_PIXELS).data.subarray(0, 4))).toEqual(Array.from(data.subarray(0, 4), (v) => v >> 8));
  });

  it('gives 8-bit files their 8-bit values as floats', () => {
    const data = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256);
    const png = encodePng({ width: 28, height: 28, channels: 1, data });
    const decoded = decodePngFullDepth(png, MAX_PIXELS);
    expect(decoded.maxValue).toBe(255);
    expect(decoded.data).toEqual(Float32Array.from(data));
  });

  it('refuses by its header an image over the pixel limit, and leaves interlaced files to sharp', async () => {
    const png = await png16(values(64 * 64, 1), 64, 64, 1);
    expect(() => decodePngFullDepth(png, 100)).toThrow('over the limit of 100');
    const interlaced = await png16(values(8 * 8, 2), 8, 8, 1, { progressive: true });
    expect(() => decodePngFullDepth(interlaced, MAX_PIXELS)).toThrow(NeedsSharp);
  });
});
