// Runs anywhere in main: a small 8-bit PNG encoder (gray, gray+alpha, RGB, RGBA) with libpng's adaptive filter choice.
import { crc32, deflateSync } from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

export interface RawPixels {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; 8 bits each, row-major, interleaved. */
  channels: number;
  data: Uint8Array;
}

/** One PNG chunk: length, type, body and the CRC of type and body. */
export function pngChunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filter one row with each of the five filters and keep the one with the smallest sum of |signed bytes|. */
function filterRow(row: Uint8Array, prev: Uint8Array, bpp: number, out: Uint8Array): void {
  let best = Infinity;
  const trial = new Uint8Array(row.length);
  for (let type = 0; type < 5; type++) {
    let sum = 0;
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0,
        b = prev[i]!,
        c = i >= bpp ? prev[i - bpp]! : 0;
      const predictor = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
      const v = (row[i]! - predictor) & 0xff;
      trial[i] = v;
      sum += v < 128 ? v : 256 - v;
    }
    if (sum < best) {
      best = sum;
      out[0] = type;
      out.set(trial, 1);
    }
  }
}

export function encodePng({ width, height, channels, data }: RawPixels): Buffer {
  const colorType = COLOR_TYPE[channels];
  if (colorType === undefined) throw new RangeError(`cannot encode ${channels} channels as PNG`);
  if (data.length !== width * height * channels) throw new RangeError(`expected ${width * height * channels} bytes, got ${data.length}`);
  const stride = width * channels;
  const filtered = new Uint8Array(height * (stride + 1));
  let prev: Uint8Array = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    filterRow(row, prev, channels, filtered.subarray(y * (stride + 1), (y + 1) * (stride + 1)));
    prev = row;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(filtered)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}
